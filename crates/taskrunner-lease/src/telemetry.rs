//! Metrics emitted by the lease manager, through the `metrics` facade.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `taskrunner_acks_total` | counter | |
//! | `taskrunner_ack_latency_seconds` | histogram | |
//! | `taskrunner_reports_total` | counter | `outcome` = `accepted` \| `failed` |
//! | `taskrunner_cancels_total` | counter | |
//! | `taskrunner_lost_leases_total` | counter | `reason` = `task_not_found` \| `pipeline_not_found` \| `pipeline_deleted` \| `expired` |
//!
//! Acknowledgements are reports too: they count in `taskrunner_reports_total`.
//! Nothing is recorded unless the application installs a `metrics` recorder.

use std::time::Duration;

use taskrunner_api::LeaseGone;

use crate::LeaseState;

/// An acknowledgement was accepted `latency` after the lease was registered.
pub(crate) fn acknowledged(latency: Duration) {
    metrics::counter!("taskrunner_acks_total").increment(1);
    metrics::histogram!("taskrunner_ack_latency_seconds").record(latency.as_secs_f64());
}

/// The service answered a ReportTaskProgress call.
pub(crate) fn report_answered(accepted: bool) {
    // Each label written out: a label from a variable makes the macro
    // build its key (an allocation) on every call, recorder or not.
    if accepted {
        metrics::counter!("taskrunner_reports_total", "outcome" => "accepted").increment(1);
    } else {
        metrics::counter!("taskrunner_reports_total", "outcome" => "failed").increment(1);
    }
}

/// A lease ended in the terminal `state` (not counted for `Released`).
pub(crate) fn lease_ended(state: LeaseState) {
    match state {
        LeaseState::Canceled => metrics::counter!("taskrunner_cancels_total").increment(1),
        LeaseState::Lost(kind) => lost(lease_gone_label(kind)),
        LeaseState::Expired => lost("expired"),
        _ => {}
    }
}

/// Counts a lost lease under `reason`.
fn lost(reason: &'static str) {
    metrics::counter!("taskrunner_lost_leases_total", "reason" => reason).increment(1);
}

/// The metric label (and log word) for a lease-gone answer.
pub(crate) fn lease_gone_label(kind: LeaseGone) -> &'static str {
    match kind {
        LeaseGone::TaskNotFound => "task_not_found",
        LeaseGone::PipelineNotFound => "pipeline_not_found",
        LeaseGone::PipelineDeleted => "pipeline_deleted",
        #[allow(unreachable_patterns)] // `LeaseGone` may grow.
        _ => "gone",
    }
}
