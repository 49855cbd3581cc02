//! Why a runner could not be built.

use taskrunner_poller::PollerConfigError;

/// Why [`RunnerBuilder::build`](crate::RunnerBuilder::build) refused the
/// configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No worker group was given: add one with `worker_group("name")`, the
    /// `workerGroup` your pipeline's activities name.
    #[error("no worker group: add one with worker_group(\"name\"), the workerGroup your activities name")]
    NoWorkerGroup,
    /// The same worker group was added twice: keep one.
    #[error("worker group '{0}' was added twice")]
    DuplicateWorkerGroup(String),
    /// No activity was registered, so every task would fail: register one
    /// with `activity_for_type(…)` or `activity_for_field(…)`.
    #[error("no activity registered: every task would fail; register one with activity_for_type(type, …) or activity_for_field(field, value, …)")]
    NoActivity,
    /// A worker group's poller settings are invalid, such as a concurrency
    /// or a number of pollers of 0 (the runner's own or the group's); the
    /// error names the group.
    #[error(transparent)]
    Poller(#[from] PollerConfigError),
}
