//! The leases page: what no AWS console shows. For each task held now, its
//! holder, whether it acknowledged, its last report and how long until the
//! lease lapses; and from the lease ledger, every lease the pipeline's
//! attempts had, with reassignments and fenced statuses.

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::clock::format_time;
use crate::state::{LeaseEnd, LeaseRecord, Pipeline, State};

use super::runs::runner_of;

/// The most ledger records one answer carries, newest first.
const HISTORY_LIMIT: usize = 300;

/// Live leases and the ledger of `pipeline`.
pub(crate) fn leases(state: &State, pipeline: &Pipeline) -> Value {
    let now = Instant::now();
    let live: Vec<Value> = pipeline
        .run
        .attempts
        .values()
        .filter_map(|attempt| Some((attempt, attempt.lease.as_ref()?)))
        .map(|(attempt, lease)| {
            let deadline = lease.deadline.saturating_duration_since(now).as_secs_f64();
            json!({
                "attempt": attempt.id,
                "instance": attempt.instance,
                "holder": attempt.hostname,
                "runner": attempt.hostname.as_deref().and_then(|hostname| runner_of(state, hostname)),
                "acknowledged": lease.acknowledged,
                "lastReport": attempt.report_progress_time.map(format_time),
                "deadlineInSeconds": deadline,
                "cancelRequested": lease.cancel_requested,
                "reassignments": attempt.reassignments,
            })
        })
        .collect();
    let since_start = now.saturating_duration_since(state.ledger.started());
    let records: Vec<&LeaseRecord> = state
        .ledger
        .records()
        .iter()
        .filter(|record| record.pipeline_id == pipeline.id)
        .collect();
    let mut totals = Totals::default();
    for record in &records {
        totals.add(record);
    }
    let history: Vec<Value> = records
        .iter()
        .rev()
        .take(HISTORY_LIMIT)
        .map(|record| {
            let ago = |at: std::time::Duration| since_start.saturating_sub(at).as_secs_f64();
            json!({
                "attempt": record.attempt_id,
                "holder": record.holder,
                "workerGroup": record.worker_group,
                "grantedSecondsAgo": ago(record.granted_at),
                "acknowledged": record.acknowledged_at.is_some(),
                "reports": record.reports,
                "reassignment": record.reassignment,
                "end": record.end.map(|(end, _)| end_text(end)),
                "endedSecondsAgo": record.end.map(|(_, at)| ago(at)),
                "statusesFenced": record.statuses_fenced,
                "statusesAfterLoss": record.statuses_after_loss,
                "cancelDelivered": record.cancel_delivered,
            })
        })
        .collect();
    json!({
        "live": live,
        "history": history,
        "historyTotal": records.len(),
        "totals": {
            "granted": records.len(),
            "live": totals.live,
            "reassignments": totals.reassignments,
            "expired": totals.expired,
            "statusesFenced": totals.statuses_fenced,
            "cancelsDelivered": totals.cancels_delivered,
        },
    })
}

/// This pipeline's share of the ledger's counts.
#[derive(Debug, Default)]
struct Totals {
    live: u64,
    reassignments: u64,
    expired: u64,
    statuses_fenced: u64,
    cancels_delivered: u64,
}

impl Totals {
    fn add(&mut self, record: &LeaseRecord) {
        self.live += u64::from(record.end.is_none());
        self.reassignments += u64::from(record.reassignment);
        self.expired += u64::from(matches!(
            record.end,
            Some((LeaseEnd::Expired { .. } | LeaseEnd::Canceled, _))
        ));
        self.statuses_fenced += u64::from(record.statuses_fenced);
        self.cancels_delivered += u64::from(record.cancel_delivered);
    }
}

/// How a lease ended, in words.
fn end_text(end: LeaseEnd) -> String {
    match end {
        LeaseEnd::Status(status) => format!("status {status}"),
        LeaseEnd::StatusAfterCancel => "status after cancel (ignored)".to_owned(),
        LeaseEnd::Expired { requeued: true } => "lapsed, reassigned".to_owned(),
        LeaseEnd::Expired { requeued: false } => "lapsed".to_owned(),
        LeaseEnd::Canceled => "canceled, lapsed".to_owned(),
        LeaseEnd::PipelineDeleted => "pipeline deleted".to_owned(),
    }
}
