//! The status values of instances and attempts.

use std::fmt;

/// The status of an instance or attempt (`@status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for its `dependsOn` objects, inputs or preconditions.
    WaitingOnDependencies,
    /// Queued for a runner of its worker group.
    WaitingForRunner,
    /// Held by a runner.
    Running,
    /// Waiting out `retryDelay` before its next attempt.
    WaitingToRetry,
    /// Finished successfully.
    Finished,
    /// Failed with no retries left.
    Failed,
    /// Failed because an object it depends on failed.
    CascadeFailed,
    /// Canceled by DeactivatePipeline or SetStatus TRY_CANCEL.
    Canceled,
    /// Ran past its `attemptTimeout`.
    TimedOut,
    /// Its component is paused.
    Paused,
    /// Skipped by MARK_FINISHED on a waiting instance's dependents (unused
    /// by the scheduler, accepted from clients).
    Skipped,
}

impl Status {
    /// The value written to `@status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitingOnDependencies => "WAITING_ON_DEPENDENCIES",
            Self::WaitingForRunner => "WAITING_FOR_RUNNER",
            Self::Running => "RUNNING",
            Self::WaitingToRetry => "WAITING_ON_DEPENDENCIES",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::CascadeFailed => "CASCADE_FAILED",
            Self::Canceled => "CANCELED",
            Self::TimedOut => "TIMEDOUT",
            Self::Paused => "PAUSED",
            Self::Skipped => "SKIPPED",
        }
    }

    /// Whether the status is final: nothing happens to the object unless a
    /// client asks for a rerun.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Finished
                | Self::Failed
                | Self::CascadeFailed
                | Self::Canceled
                | Self::TimedOut
                | Self::Skipped
        )
    }

    /// Whether the status satisfies the objects that depend on this one.
    pub fn satisfies_dependents(self) -> bool {
        matches!(self, Self::Finished | Self::Skipped)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
