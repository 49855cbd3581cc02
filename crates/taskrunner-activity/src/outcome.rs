//! [`Outcome`]: how an activity run ended, and [`IntoOutcome`]: what a
//! handler may return instead of one.

use taskrunner_api::StatusReport;

use crate::{BoxError, Failure};

/// How an activity run ended; the runner reports it with SetTaskStatus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done: `FINISHED`.
    Finished,
    /// A precondition does not hold: `FALSE`.
    PreconditionFalse,
    /// The work failed: `FAILED` with the failure's errorId, message and
    /// stack trace.
    Failed(Failure),
}

impl Outcome {
    /// `Failed` with this errorId and message, without a stack trace.
    pub fn failed(error_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Failed(Failure::new(error_id, message))
    }

    /// The SetTaskStatus report for this outcome (not yet
    /// [sanitised](StatusReport::sanitize); the service implementation does that).
    pub fn into_status_report(self) -> StatusReport {
        match self {
            Self::Finished => StatusReport::finished(),
            Self::PreconditionFalse => StatusReport::precondition_false(),
            Self::Failed(failure) => failure.into_status_report(),
        }
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}

impl From<Outcome> for StatusReport {
    fn from(outcome: Outcome) -> Self {
        outcome.into_status_report()
    }
}

/// What a [handler](crate::Handler) may return: anything that says how the
/// run ended.
///
/// | returned | reported |
/// |---|---|
/// | `()` | `FINISHED` |
/// | `bool` (a precondition) | `FINISHED` for `true`, `FALSE` for `false` |
/// | [`Outcome`] | as it says |
/// | `Result<T, E>` | `T`'s outcome, or `FAILED` with [`Failure::from_error`] |
///
/// `E` is any error that converts into a [`BoxError`]: every
/// `std::error::Error + Send + Sync`, `anyhow::Error`, a `String`.
pub trait IntoOutcome {
    /// The outcome this value stands for.
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Outcome {
        self
    }
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Outcome {
        Outcome::Finished
    }
}

impl IntoOutcome for bool {
    fn into_outcome(self) -> Outcome {
        if self {
            Outcome::Finished
        } else {
            Outcome::PreconditionFalse
        }
    }
}

impl<T: IntoOutcome, E: Into<BoxError>> IntoOutcome for Result<T, E> {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(value) => value.into_outcome(),
            Err(error) => Outcome::Failed(Failure::from_error(error.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taskrunner_api::TaskStatus;

    #[test]
    fn outcomes_map_to_statuses() {
        assert_eq!(
            Outcome::Finished.into_status_report().status,
            TaskStatus::Finished
        );
        assert_eq!(
            StatusReport::from(Outcome::PreconditionFalse).status,
            TaskStatus::False
        );
        let report =
            Outcome::from(Failure::new("NonZeroExitCode", "exit 2").with_stack_trace("stderr"))
                .into_status_report();
        assert_eq!(report.status, TaskStatus::Failed);
        assert_eq!(report.error_id.as_deref(), Some("NonZeroExitCode"));
        assert_eq!(report.error_stack_trace.as_deref(), Some("stderr"));
    }

    #[test]
    fn return_values_become_outcomes() {
        assert_eq!(().into_outcome(), Outcome::Finished);
        assert_eq!(true.into_outcome(), Outcome::Finished);
        assert_eq!(false.into_outcome(), Outcome::PreconditionFalse);
        assert_eq!(
            Ok::<bool, std::io::Error>(false).into_outcome(),
            Outcome::PreconditionFalse
        );
        let failed = Err::<(), _>(std::io::Error::other("gone")).into_outcome();
        assert_eq!(failed, Outcome::failed("ActivityError", "gone"));
        let failed = Err::<Outcome, _>(Failure::new("Mine", "m")).into_outcome();
        assert_eq!(failed, Outcome::failed("Mine", "m"));
    }
}
