//! One lease: its states, its timing rules, and its sans-IO state machine.
//!
//! # Timing rules
//!
//! * **Acknowledge at once.** A lease is registered right after PollForTask
//!   returns its task, and its first report (the acknowledgement) is due
//!   immediately. Until the service accepts it the lease deadline is
//!   registration + [`acknowledgement_timeout`] − margin (90 s by default).
//! * **Report every interval.** After each accepted report the next routine
//!   report is due after [`progress_interval`] (60 s) ± [`jitter`] (10%). When
//!   a third ([`timeout_fraction`]) of the task's `reportProgressTimeout` is
//!   smaller, that is the ceiling instead, and the jitter spreads below it.
//! * **The lease deadline** is the send time of the last accepted report +
//!   the task's `reportProgressTimeout` (default 15 minutes) − the
//!   [`deadline_margin`] (30 s, at most a quarter of the timeout). Past it the
//!   lease is [`Expired`](LeaseState::Expired): the holder must not report
//!   the task's outcome, because the service may have given it away.
//! * **Failures** are retried with exponential backoff and jitter, always
//!   leaving room for one more attempt before the deadline; only "the task
//!   is gone" answers end a lease early.
//!
//! [`acknowledgement_timeout`]: crate::LeaseConfig::acknowledgement_timeout
//! [`progress_interval`]: crate::LeaseConfig::progress_interval
//! [`jitter`]: crate::LeaseConfig::jitter
//! [`timeout_fraction`]: crate::LeaseConfig::timeout_fraction
//! [`deadline_margin`]: crate::LeaseConfig::deadline_margin

mod machine;
mod state;
mod timing;

pub(crate) use machine::{Action, Lease, Phase, Priority};
pub use state::{LeaseState, LeaseVerdict};
pub(crate) use timing::LeaseTiming;
