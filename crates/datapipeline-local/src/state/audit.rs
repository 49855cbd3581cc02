//! Counts of what happened to leases, kept so that chaos tests can check the
//! service's own records rather than trust the runners'.

/// Lease and task counters since the service started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audit {
    /// Tasks handed out by PollForTask.
    pub tasks_polled: u64,
    /// PollForTask calls that answered `{}` after waiting.
    pub empty_polls: u64,
    /// Acknowledgements (first ReportTaskProgress of a lease).
    pub acknowledgements: u64,
    /// ReportTaskProgress calls accepted, acknowledgements included.
    pub progress_reports: u64,
    /// Leases that lapsed (no ack in time, or no report within
    /// `reportProgressTimeout`); each attempt went back to its queue under a
    /// new taskId.
    pub leases_expired: u64,
    /// ReportTaskProgress calls with a taskId that was not, or no longer, a
    /// live lease.
    pub stale_reports: u64,
    /// SetTaskStatus calls accepted.
    pub statuses_accepted: u64,
    /// SetTaskStatus calls with a taskId that was not, or no longer, a live
    /// lease (fenced off with TaskNotFound).
    pub stale_statuses: u64,
    /// SetTaskStatus calls for leases whose attempt had been canceled; they
    /// are accepted and change nothing.
    pub statuses_after_cancel: u64,
    /// Attempts that reached FINISHED.
    pub attempts_finished: u64,
    /// Attempts that reached FAILED, TIMEDOUT or FALSE.
    pub attempts_failed: u64,
    /// Times a finished instance was set running again (RERUN): the only
    /// documented way a finished task runs twice.
    pub reruns: u64,
}
