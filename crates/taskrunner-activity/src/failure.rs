//! [`Failure`]: the one way an activity run fails.

use std::error::Error;
use std::fmt;

use taskrunner_api::{error_chain, Cancelled, StatusReport};

use crate::{BoxError, FieldsError};

/// The errorId of an error that names none (neither a [`Failure`] nor an
/// error the framework knows is among its sources).
pub const ACTIVITY_ERROR_ID: &str = "ActivityError";

/// The errorId of task fields that do not fit the activity's parameters.
pub const INVALID_TASK_FIELDS_ERROR_ID: &str = "InvalidTaskFields";

/// The errorId of an activity that stopped because it was asked to.
pub const CANCELLED_ERROR_ID: &str = "Cancelled";

/// The errorId of an activity stopped by a tower timeout layer.
pub const ATTEMPT_TIMEOUT_ERROR_ID: &str = "AttemptTimeout";

/// The errorId of an activity that panicked.
pub const ACTIVITY_PANICKED_ERROR_ID: &str = "ActivityPanicked";

/// How an activity run failed: the errorId, message and optional stack trace
/// of the SetTaskStatus `FAILED` report.
///
/// It is an error, so a handler returns it with `?` or `Err(...)`; every
/// other error a handler returns becomes one through
/// [`Failure::from_error`]. [`Outcome::Failed`](crate::Outcome::Failed)
/// carries it.
///
/// ```
/// use taskrunner_activity::Failure;
///
/// let failure = Failure::new("SourceMissing", "s3://bucket/in.csv does not exist")
///     .with_stack_trace("listed s3://bucket/: 0 objects");
/// assert_eq!(failure.error_id, "SourceMissing");
/// assert_eq!(failure.to_string(), "s3://bucket/in.csv does not exist");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// A short, stable identifier, e.g. `NonZeroExitCode`.
    pub error_id: String,
    /// A human-readable description.
    pub message: String,
    /// Details such as the tail of stderr or an error's source chain.
    pub stack_trace: Option<String>,
}

impl Failure {
    /// A failure with this errorId and message, without a stack trace.
    pub fn new(error_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error_id: error_id.into(),
            message: message.into(),
            stack_trace: None,
        }
    }

    /// The same failure with `stack_trace`.
    #[must_use]
    pub fn with_stack_trace(mut self, stack_trace: impl Into<String>) -> Self {
        self.stack_trace = Some(stack_trace.into());
        self
    }

    /// The failure an error stands for.
    ///
    /// A boxed [`Failure`] is unboxed as it is. Otherwise the message is the
    /// error's [chain](error_chain) (`outer: inner: root`), the stack trace
    /// lists its sources one per line, and the errorId is that of the first
    /// error in the chain that names one: a [`Failure`]'s own,
    /// `InvalidTaskFields` for a [`FieldsError`], `Cancelled` for a
    /// [`Cancelled`], `AttemptTimeout` for tower's timeout error — else
    /// `ActivityError` ([`ACTIVITY_ERROR_ID`]).
    ///
    /// An `anyhow::Error` hides its outermost error's type (only its
    /// sources can be recognised), so an activity that wants its own
    /// errorId returns a [`Failure`] rather than an `anyhow` error made of
    /// one.
    pub fn from_error(error: BoxError) -> Self {
        let error = match error.downcast::<Self>() {
            Ok(failure) => return *failure,
            Err(error) => error,
        };
        let error = match error.downcast::<FieldsError>() {
            Ok(fields_error) => return Self::from(*fields_error),
            Err(error) => error,
        };
        let error = match error.downcast::<Cancelled>() {
            Ok(cancelled) => return Self::from(*cancelled),
            Err(error) => error,
        };
        // tower's own text, "request timed out", is about a request.
        if error.is::<tower::timeout::error::Elapsed>() {
            return Self::new(ATTEMPT_TIMEOUT_ERROR_ID, "activity timed out");
        }
        let error: &(dyn Error + 'static) = error.as_ref();
        let error_id = chain(error)
            .find_map(named_error_id)
            .unwrap_or(ACTIVITY_ERROR_ID);
        let failure = Self::new(error_id, error_chain(error));
        let sources: Vec<String> = chain(error).skip(1).map(ToString::to_string).collect();
        if sources.is_empty() {
            failure
        } else {
            failure.with_stack_trace(sources.join("\n"))
        }
    }

    /// The SetTaskStatus `FAILED` report (not yet
    /// [sanitised](StatusReport::sanitize); the service implementation does
    /// that).
    pub fn into_status_report(self) -> StatusReport {
        let report = StatusReport::failed(self.error_id, self.message);
        match self.stack_trace {
            Some(trace) => report.with_stack_trace(trace),
            None => report,
        }
    }
}

/// `error` and each of its sources, outermost first.
fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

/// The errorId an error names by its type, if it is one the framework knows.
fn named_error_id<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a str> {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        Some(&failure.error_id)
    } else if error.is::<FieldsError>() {
        Some(INVALID_TASK_FIELDS_ERROR_ID)
    } else if error.is::<Cancelled>() {
        Some(CANCELLED_ERROR_ID)
    } else if error.is::<tower::timeout::error::Elapsed>() {
        Some(ATTEMPT_TIMEOUT_ERROR_ID)
    } else {
        None
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Failure {}

impl From<FieldsError> for Failure {
    /// `InvalidTaskFields`, naming the field.
    fn from(error: FieldsError) -> Self {
        Self::new(
            INVALID_TASK_FIELDS_ERROR_ID,
            format!("invalid task fields: {error}"),
        )
    }
}

impl From<Cancelled> for Failure {
    /// `Cancelled`, with the reason.
    fn from(cancelled: Cancelled) -> Self {
        Self::new(CANCELLED_ERROR_ID, cancelled.to_string())
    }
}

impl From<Failure> for StatusReport {
    fn from(failure: Failure) -> Self {
        failure.into_status_report()
    }
}

#[cfg(test)]
mod tests;
