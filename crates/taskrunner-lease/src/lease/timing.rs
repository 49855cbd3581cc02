//! Per-task timing: report intervals, deadlines and retry delays.
//!
//! [`LeaseTiming`] turns the process-wide [`LeaseConfig`] and one task's
//! `reportProgressTimeout` into the handful of durations the lease state
//! machine needs. Random numbers come in as arguments (a uniform sample in
//! `0.0..1.0`) so every function here is deterministic.

use std::time::Duration;

use crate::LeaseConfig;

/// The durations one lease is scheduled by.
///
/// Computed once, when the lease is registered; about 100 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LeaseTiming {
    /// The task's `reportProgressTimeout`: how long the service waits between
    /// accepted reports before it hands the task to someone else.
    report_timeout: Duration,
    /// Subtracted from `report_timeout` to get the lease deadline.
    report_margin: Duration,
    /// How long before the acknowledgement deadline we stop trusting the
    /// lease: the acknowledgement timeout minus its margin.
    acknowledgement_window: Duration,
    /// Shortest routine interval: the nominal interval minus the jitter.
    interval_low: Duration,
    /// Longest routine interval: the nominal interval plus the jitter, but
    /// never beyond `timeout_fraction` of the report timeout.
    interval_high: Duration,
    /// Shortest time between two reports when the handler asks for an
    /// early one.
    report_spacing: Duration,
    /// First retry delay after a failed report.
    retry_initial: Duration,
    /// Largest retry delay.
    retry_max: Duration,
}

impl LeaseTiming {
    /// Derives the timing of a task whose report-progress timeout is
    /// `report_timeout`.
    pub(crate) fn new(config: &LeaseConfig, report_timeout: Duration) -> Self {
        let jitter = clamp_fraction(config.jitter, 0.5);
        let fraction = clamp_fraction(config.timeout_fraction, 1.0);
        // The ceiling a routine interval must respect: a fraction of the
        // task's own timeout (see `LeaseConfig::timeout_fraction`).
        let ceiling = report_timeout.mul_f64(fraction);
        let nominal = config.progress_interval.min(ceiling);
        let interval_high = nominal.mul_f64(1.0 + jitter).min(ceiling);
        let interval_low = nominal.mul_f64(1.0 - jitter).min(interval_high);
        Self {
            report_timeout,
            report_margin: margin(config.deadline_margin, report_timeout),
            acknowledgement_window: config.acknowledgement_timeout.saturating_sub(margin(
                config.deadline_margin,
                config.acknowledgement_timeout,
            )),
            interval_low,
            interval_high,
            report_spacing: config.minimum_report_spacing,
            retry_initial: config.retry_initial_backoff,
            retry_max: config.retry_max_backoff.max(config.retry_initial_backoff),
        }
    }

    /// How long after the last accepted report (measured from when it was
    /// sent) the lease is still ours.
    pub(crate) fn lease_window(&self) -> Duration {
        self.report_timeout.saturating_sub(self.report_margin)
    }

    /// How long after registration the lease is ours while the
    /// acknowledgement has not been accepted yet.
    pub(crate) fn acknowledgement_window(&self) -> Duration {
        self.acknowledgement_window
    }

    /// The delay from an accepted report to the next routine one; `unit` is a
    /// uniform random sample in `0.0..1.0` that picks a point in the jitter
    /// range.
    pub(crate) fn routine_interval(&self, unit: f64) -> Duration {
        let spread = self.interval_high.saturating_sub(self.interval_low);
        self.interval_low + spread.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Shortest time between two reports when the handler asks for an
    /// early one.
    pub(crate) fn report_spacing(&self) -> Duration {
        self.report_spacing
    }

    /// The delay before retry number `failures` (1 for the first retry):
    /// exponential from the initial backoff up to the maximum, with "equal
    /// jitter" (half fixed, half random) so that leases failing together
    /// spread out without any of them retrying immediately.
    pub(crate) fn retry_delay(&self, failures: u32, unit: f64) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        let exponential = self
            .retry_initial
            .saturating_mul(1 << doublings)
            .min(self.retry_max);
        let half = exponential / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The floor under a retry delay, so that retries close to the deadline
    /// do not degenerate into a busy loop.
    pub(crate) fn minimum_retry_delay(&self) -> Duration {
        self.retry_initial / 2
    }
}

/// The safety margin for a timeout: the configured margin, but at most a
/// quarter of the timeout so that short timeouts keep most of their window.
fn margin(configured: Duration, timeout: Duration) -> Duration {
    configured.min(timeout / 4)
}

/// Clamps a configured fraction into `0.0..=max`, mapping NaN to zero.
fn clamp_fraction(value: f64, max: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(report_timeout: Duration) -> LeaseTiming {
        LeaseTiming::new(&LeaseConfig::default(), report_timeout)
    }

    #[test]
    fn default_timeout_keeps_the_sixty_second_cadence_with_ten_percent_jitter() {
        let timing = timing(Duration::from_secs(15 * 60));
        assert_eq!(timing.routine_interval(0.0), Duration::from_secs(54));
        assert_eq!(timing.routine_interval(1.0), Duration::from_secs(66));
        assert_eq!(timing.lease_window(), Duration::from_secs(870));
        assert_eq!(timing.acknowledgement_window(), Duration::from_secs(90));
    }

    #[test]
    fn short_timeout_caps_the_interval_at_a_third_and_jitters_below_it() {
        let timing = timing(Duration::from_secs(120));
        assert_eq!(timing.routine_interval(1.0), Duration::from_secs(40));
        assert_eq!(timing.routine_interval(0.0), Duration::from_secs(36));
        // A quarter of two minutes is less than the configured 30 s margin.
        assert_eq!(timing.lease_window(), Duration::from_secs(90));
    }

    #[test]
    fn timeout_near_the_interval_clamps_only_the_upper_jitter() {
        // A third of 186 s is 62 s: between 60 s and 66 s.
        let timing = timing(Duration::from_secs(186));
        assert_eq!(timing.routine_interval(0.0), Duration::from_secs(54));
        assert_eq!(timing.routine_interval(1.0), Duration::from_secs(62));
    }

    #[test]
    fn retry_delays_double_up_to_the_maximum_with_equal_jitter() {
        let timing = timing(Duration::from_secs(900));
        assert_eq!(timing.retry_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(timing.retry_delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(timing.retry_delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(timing.retry_delay(40, 1.0), Duration::from_secs(60));
        assert_eq!(timing.retry_delay(40, 0.0), Duration::from_secs(30));
    }
}
