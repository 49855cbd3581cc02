//! [`Outcome`]: how an activity ended when it did not fail with an error.

use taskrunner_api::StatusReport;

/// The result of an activity run that the runner reports as-is.
///
/// `Failed` is for failures the activity has fully described (a command's
/// non-zero exit with its stderr tail); for everything else return an
/// [`ActivityError`](crate::ActivityError), which becomes `FAILED` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done: SetTaskStatus `FINISHED`.
    Finished,
    /// The work failed: SetTaskStatus `FAILED` with these error fields.
    Failed {
        /// A short, stable identifier, e.g. `NonZeroExitCode`.
        error_id: String,
        /// A human-readable description.
        message: String,
        /// Details such as the tail of stderr.
        stack_trace: Option<String>,
    },
    /// A precondition does not hold: SetTaskStatus `FALSE`.
    PreconditionFalse,
}

impl Outcome {
    /// `Failed` without a stack trace.
    pub fn failed(error_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Failed {
            error_id: error_id.into(),
            message: message.into(),
            stack_trace: None,
        }
    }

    /// The SetTaskStatus report for this outcome (not yet
    /// [sanitised](StatusReport::sanitize); the service implementation does that).
    pub fn into_status_report(self) -> StatusReport {
        match self {
            Self::Finished => StatusReport::finished(),
            Self::PreconditionFalse => StatusReport::precondition_false(),
            Self::Failed {
                error_id,
                message,
                stack_trace,
            } => {
                let report = StatusReport::failed(error_id, message);
                match stack_trace {
                    Some(trace) => report.with_stack_trace(trace),
                    None => report,
                }
            }
        }
    }
}

impl From<Outcome> for StatusReport {
    fn from(outcome: Outcome) -> Self {
        outcome.into_status_report()
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
        let report = Outcome::Failed {
            error_id: "NonZeroExitCode".into(),
            message: "exit 2".into(),
            stack_trace: Some("stderr".into()),
        }
        .into_status_report();
        assert_eq!(report.status, TaskStatus::Failed);
        assert_eq!(report.error_id.as_deref(), Some("NonZeroExitCode"));
        assert_eq!(report.error_stack_trace.as_deref(), Some("stderr"));
        assert_eq!(
            Outcome::failed("E", "m")
                .into_status_report()
                .error_stack_trace,
            None
        );
    }
}
