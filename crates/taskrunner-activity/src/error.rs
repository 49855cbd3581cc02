//! [`ActivityError`]: an activity run that ended in an error.

use std::error::Error as StdError;

use taskrunner_api::{CancelReason, StatusReport};

use crate::FieldsError;

/// Why an activity run failed.
///
/// Every variant becomes SetTaskStatus `FAILED` with a stable errorId (see
/// [`ActivityError::error_id`]) — except that the runner sends nothing at all
/// when the lease is gone, whatever the activity returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActivityError {
    /// The activity failed and says why. Reported with the given errorId;
    /// nothing to do but fix the cause (the service may retry the attempt).
    #[error("activity failed ({error_id}): {message}")]
    Failed {
        /// A short, stable identifier, e.g. `SourceMissing`.
        error_id: String,
        /// A human-readable description.
        message: String,
    },
    /// The task's fields do not fit the activity's parameter type. Fix the
    /// pipeline definition; retrying cannot help.
    #[error("invalid task fields: {0}")]
    Fields(#[from] FieldsError),
    /// The activity stopped because it was asked to. No action needed: the
    /// runner decides from the reason whether any status is reported.
    #[error("activity stopped: {0}")]
    Cancelled(CancelReason),
    /// The activity ran past its time limit (e.g. a
    /// `tower::timeout::TimeoutLayer`). Raise the limit or speed up the work.
    #[error("activity timed out")]
    Timeout,
    /// The activity panicked; the panic was caught and the runner carries on.
    /// This is a bug in the activity: fix it.
    #[error("activity panicked: {0}")]
    Panicked(String),
    /// Any other error; its source chain becomes the stack trace.
    #[error("activity error: {0}")]
    Other(#[source] Box<dyn StdError + Send + Sync + 'static>),
}

impl ActivityError {
    /// The activity stopped because of `reason` (usually
    /// [`TaskContext::cancel_reason`](crate::TaskContext::cancel_reason)).
    pub fn cancelled(reason: CancelReason) -> Self {
        Self::Cancelled(reason)
    }

    /// The activity failed with this errorId and message.
    pub fn failed(error_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Failed {
            error_id: error_id.into(),
            message: message.into(),
        }
    }

    /// Wraps any error.
    pub fn other(error: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::Other(error.into())
    }

    /// The errorId reported for this error: the activity's own for
    /// [`Failed`](Self::Failed), else `InvalidTaskFields`, `Cancelled`,
    /// `AttemptTimeout`, `ActivityPanicked` or `ActivityError`.
    pub fn error_id(&self) -> &str {
        match self {
            Self::Failed { error_id, .. } => error_id,
            Self::Fields(_) => "InvalidTaskFields",
            Self::Cancelled(_) => "Cancelled",
            Self::Timeout => "AttemptTimeout",
            Self::Panicked(_) => "ActivityPanicked",
            Self::Other(_) => "ActivityError",
        }
    }

    /// The SetTaskStatus `FAILED` report for this error. For
    /// [`Other`](Self::Other), the stack trace lists the source chain.
    pub fn into_status_report(self) -> StatusReport {
        let message = match &self {
            Self::Failed { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let report = StatusReport::failed(self.error_id(), message);
        match &self {
            Self::Other(error) => match source_chain(error.as_ref()) {
                Some(chain) => report.with_stack_trace(chain),
                None => report,
            },
            _ => report,
        }
    }
}

/// `caused by: …` lines for each source below `error`, if there are any.
fn source_chain(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut lines = Vec::new();
    let mut next = error.source();
    while let Some(source) = next {
        lines.push(format!("caused by: {source}"));
        next = source.source();
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

impl From<tower::BoxError> for ActivityError {
    /// Recovers an `ActivityError` that went through a tower layer's
    /// `BoxError`: a `tower::timeout::error::Elapsed` becomes
    /// [`Timeout`](Self::Timeout), a boxed `ActivityError` or `FieldsError`
    /// is unboxed, anything else is [`Other`](Self::Other).
    fn from(error: tower::BoxError) -> Self {
        if error.is::<tower::timeout::error::Elapsed>() {
            return Self::Timeout;
        }
        let error = match error.downcast::<ActivityError>() {
            Ok(activity_error) => return *activity_error,
            Err(error) => error,
        };
        match error.downcast::<FieldsError>() {
            Ok(fields_error) => Self::Fields(*fields_error),
            Err(error) => Self::Other(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taskrunner_api::TaskStatus;

    #[test]
    fn error_ids_are_stable() {
        let cases = [
            (ActivityError::failed("Mine", "m"), "Mine"),
            (
                ActivityError::Fields(FieldsError::Other("x".into())),
                "InvalidTaskFields",
            ),
            (
                ActivityError::cancelled(CancelReason::Shutdown),
                "Cancelled",
            ),
            (ActivityError::Timeout, "AttemptTimeout"),
            (ActivityError::Panicked("p".into()), "ActivityPanicked"),
            (ActivityError::other("o"), "ActivityError"),
        ];
        for (error, id) in cases {
            assert_eq!(error.error_id(), id);
            let report = error.into_status_report();
            assert_eq!(report.status, TaskStatus::Failed);
            assert_eq!(report.error_id.as_deref(), Some(id));
        }
    }

    #[test]
    fn failed_keeps_its_message_and_other_its_chain() {
        let report = ActivityError::failed("E", "disk full").into_status_report();
        assert_eq!(report.error_message.as_deref(), Some("disk full"));

        #[derive(Debug, thiserror::Error)]
        #[error("copy failed")]
        struct Outer(#[source] std::io::Error);
        let error = ActivityError::other(Outer(std::io::Error::other("disk full")));
        let report = error.into_status_report();
        assert_eq!(
            report.error_message.as_deref(),
            Some("activity error: copy failed")
        );
        assert_eq!(
            report.error_stack_trace.as_deref(),
            Some("caused by: disk full")
        );
    }

    #[test]
    fn box_errors_are_recovered() {
        let elapsed: tower::BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert!(matches!(
            ActivityError::from(elapsed),
            ActivityError::Timeout
        ));
        let boxed: tower::BoxError = Box::new(ActivityError::failed("E", "m"));
        assert_eq!(ActivityError::from(boxed).error_id(), "E");
        let boxed: tower::BoxError = Box::new(FieldsError::Other("x".into()));
        assert!(matches!(
            ActivityError::from(boxed),
            ActivityError::Fields(_)
        ));
        let boxed: tower::BoxError = "plain".into();
        assert!(matches!(
            ActivityError::from(boxed),
            ActivityError::Other(_)
        ));
    }
}
