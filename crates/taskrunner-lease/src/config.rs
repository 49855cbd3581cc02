//! [`LeaseConfig`]: every timing constant of the lease manager, in one place.

use std::time::Duration;

/// The timing rules of the lease manager.
///
/// Every constant the lease logic uses is a field here so that tests (and
/// unusual deployments) can change it; [`LeaseConfig::default`] holds values
/// that follow the service documentation. The fields are public: build one
/// with struct-update syntax, `LeaseConfig { jitter: 0.0, ..LeaseConfig::default() }`.
///
/// See [`crate::lease`] for how the fields combine into a report schedule and
/// a lease deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseConfig {
    /// How often a held lease is reported when the call budget has room.
    ///
    /// Default 60 s, the cadence AWS recommends. It is shortened per task when
    /// the task's own `reportProgressTimeout` demands it (see
    /// [`timeout_fraction`](Self::timeout_fraction)), and stretched (never
    /// beyond the lease deadline) when the call budget is the constraint.
    pub progress_interval: Duration,
    /// The largest share of a task's `reportProgressTimeout` allowed between
    /// two routine reports. Default `1/3`.
    ///
    /// One third means a report that fails, or waits for the budget, still
    /// leaves room for two more routine reports before the service gives the
    /// task away, and keeps the interval (with upward jitter) well clear of
    /// the safety margin. With the default 15-minute timeout the limit is
    /// 5 minutes and the 60 s interval wins; a `"2 minutes"` timeout gives 40 s.
    pub timeout_fraction: f64,
    /// Spread applied to each routine interval, as a fraction: default `0.1`
    /// (±10%). Clamped to `0.0..=0.5`.
    ///
    /// Leases polled in a burst would otherwise report in lockstep forever,
    /// turning a smooth call rate into spikes that hit the call budget at
    /// once. The upward half of the spread never exceeds the
    /// [`timeout_fraction`](Self::timeout_fraction) limit.
    pub jitter: f64,
    /// The report-progress timeout for tasks whose attempt object has no
    /// (or no valid) `reportProgressTimeout` field. Default 15 minutes, the
    /// service's documented default.
    pub default_report_timeout: Duration,
    /// How long the service waits for the acknowledgement (the first
    /// ReportTaskProgress) after PollForTask returned the task. Default
    /// 2 minutes, as documented; the lease deadline before the acknowledgement
    /// is accepted is registration time + this − the safety margin.
    pub acknowledgement_timeout: Duration,
    /// Subtracted from every lease deadline. Default 30 s, and never more than
    /// a quarter of the timeout it is subtracted from.
    ///
    /// The service measures its timeout from when it *received* the last
    /// report; we measure from when we *sent* it, which is earlier, so our
    /// deadline errs early already. The margin covers the other end: a final
    /// report or SetTaskStatus sent just before our deadline still has to
    /// travel, be retried by the SDK, and land before the service's.
    pub deadline_margin: Duration,
    /// The shortest time between two reports of one lease when its handler
    /// asks for an early report ([`ProgressSink::request_report`]). Default 5 s.
    ///
    /// Early reports let progress fields reach the service sooner, but a
    /// handler asking in a loop must not spend the process's call budget.
    ///
    /// [`ProgressSink::request_report`]: taskrunner_api::ProgressSink::request_report
    pub minimum_report_spacing: Duration,
    /// First delay before retrying a failed report. Default 1 s.
    pub retry_initial_backoff: Duration,
    /// Longest delay between retries of a failed report. Default 60 s.
    ///
    /// Retries double from [`retry_initial_backoff`](Self::retry_initial_backoff)
    /// up to this, with jitter, and are always pulled in so that at least one
    /// more attempt happens before the lease deadline.
    pub retry_max_backoff: Duration,
    /// At most this many ReportTaskProgress calls in flight at once. Default 64.
    ///
    /// The call budget bounds the *rate*; this bounds memory and sockets when
    /// the service is slow to answer.
    pub max_concurrent_reports: usize,
    /// Seed for the jitter's random numbers; `None` (the default) seeds from
    /// the operating system. Tests set it to get repeatable schedules.
    pub jitter_seed: Option<u64>,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self {
            progress_interval: Duration::from_secs(60),
            timeout_fraction: 1.0 / 3.0,
            jitter: 0.1,
            default_report_timeout: Duration::from_secs(15 * 60),
            acknowledgement_timeout: Duration::from_secs(2 * 60),
            deadline_margin: Duration::from_secs(30),
            minimum_report_spacing: Duration::from_secs(5),
            retry_initial_backoff: Duration::from_secs(1),
            retry_max_backoff: Duration::from_secs(60),
            max_concurrent_reports: 64,
            jitter_seed: None,
        }
    }
}
