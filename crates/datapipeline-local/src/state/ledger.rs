//! The lease ledger: the history of every lease the service granted, kept
//! so that chaos tests check the service's own records rather than trust
//! the runners'.
//!
//! The ledger is written by one-line hooks where leases are granted and end
//! and where reports and statuses arrive, under the state lock, so its order
//! is the order the service saw. It keeps its own view of which leases are
//! live instead of reading the lease table, so a bug in the lease table
//! shows up as a disagreement (an overlapping grant, a status accepted for a
//! lease the ledger saw end) rather than being copied into the record.
//!
//! The holder of a lease is what PollForTask carried: the `hostname` (one
//! per runner process when runners set it) and the worker group.
//!
//! With a state file the ledger's events are written with the changes they
//! came with (`persist/ledger.rs`), so a restarted service, a SIGKILLed one
//! included, replays them and keeps one ledger for the whole run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::AttemptKey;

/// How a lease ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseEnd {
    /// SetTaskStatus was accepted with this `taskStatus` (`FINISHED`,
    /// `FAILED` or `FALSE`).
    Status(&'static str),
    /// SetTaskStatus arrived after the attempt was canceled: accepted, and
    /// it changed nothing.
    StatusAfterCancel,
    /// The lease lapsed (no acknowledgement or report in time). `requeued`
    /// says whether its attempt went back to the queue for another runner.
    Expired {
        /// Whether the attempt was queued again under a new taskId. It is
        /// not when the pipeline was inactive (deactivated without
        /// `cancelActive`): the attempt ends, and its instance runs again
        /// with a new attempt when the pipeline is activated.
        requeued: bool,
    },
    /// The attempt was canceled (SetStatus TRY_CANCEL, a deactivation)
    /// while the lease was held, and the lease then lapsed with no status
    /// from its holder, as the protocol asks of a canceled runner.
    Canceled,
    /// The pipeline was deleted while the lease was held.
    PipelineDeleted,
}

/// One lease's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    /// The pipeline of the attempt.
    pub pipeline_id: String,
    /// The attempt held (`@Work_2026-01-01T00:00:00_Attempt=1`).
    pub attempt_id: String,
    /// The `hostname` the holder gave to PollForTask, if any.
    pub holder: Option<String>,
    /// The worker group the holder polled.
    pub worker_group: String,
    /// When the lease was granted, since the service started.
    pub granted_at: Duration,
    /// When the first ReportTaskProgress was accepted.
    pub acknowledged_at: Option<Duration>,
    /// ReportTaskProgress calls accepted, the acknowledgement included.
    pub reports: u32,
    /// Whether the attempt had lost an earlier lease to expiry: this grant
    /// is a reassignment.
    pub reassignment: bool,
    /// How and when the lease ended; `None` while it is live.
    pub end: Option<(LeaseEnd, Duration)>,
    /// SetTaskStatus calls refused (TaskNotFound or PipelineDeleted) for
    /// this taskId because the lease was gone.
    pub statuses_fenced: u32,
    /// SetTaskStatus calls accepted for this taskId after the ledger saw the
    /// lease end. A correct service never has one.
    pub statuses_after_loss: u32,
    /// Whether a ReportTaskProgress for this lease was answered
    /// `canceled: true`.
    pub cancel_delivered: bool,
}

/// Totals over the ledger: what a chaos test prints and checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    /// Leases granted by PollForTask.
    pub granted: u64,
    /// Leases whose acknowledgement arrived.
    pub acknowledged: u64,
    /// Leases ended by an accepted SetTaskStatus (after-cancel ones
    /// included).
    pub ended_by_status: u64,
    /// Leases that lapsed.
    pub expired: u64,
    /// Leases that lapsed and whose attempt was queued again.
    pub expired_and_requeued: u64,
    /// Leases ended by DeletePipeline.
    pub deleted: u64,
    /// Leases whose attempt was canceled while they were held and that
    /// then lapsed without a status ([`LeaseEnd::Canceled`]; counted in
    /// `expired` too).
    pub canceled: u64,
    /// Leases whose holder was told `canceled: true` by ReportTaskProgress.
    pub cancels_delivered: u64,
    /// Leases ended by a SetTaskStatus that arrived after their attempt was
    /// canceled ([`LeaseEnd::StatusAfterCancel`]): the holder had not yet
    /// heard, or did not stop.
    pub statuses_after_cancel: u64,
    /// Leases still live: granted, never ended.
    pub live: u64,
    /// Grants of an attempt that had lost an earlier lease to expiry.
    pub reassignments: u64,
    /// Grants of an attempt that another live lease still held. Must be 0.
    pub overlapping_grants: u64,
    /// SetTaskStatus calls refused because the taskId's lease had ended
    /// (the two counts below, and refusals for deleted pipelines).
    pub statuses_fenced: u64,
    /// Of those, statuses from a holder whose lease had lapsed (and been
    /// requeued for another runner): the holder did not know it lost it.
    pub statuses_fenced_after_lapse: u64,
    /// Of those, statuses for a lease already ended by an accepted status:
    /// a retry of a call that went through but whose answer was lost.
    pub statuses_fenced_after_status: u64,
    /// SetTaskStatus calls accepted for a lease the ledger saw end. Must be 0.
    pub statuses_after_loss: u64,
    /// SetTaskStatus calls refused for taskIds the service never granted.
    pub statuses_unknown: u64,
    /// First grants of an attempt of an instance that finished (one of its
    /// attempts was accepted as FINISHED) and was not rerun since. Must be
    /// 0: only SetStatus RERUN may run a finished instance again, and a
    /// reassignment after a lapse is the same attempt, not a new run.
    pub runs_after_finish: u64,
    /// SetStatus RERUN of an instance that had finished.
    pub reruns_of_finished: u64,
}

/// One thing the ledger was told. The ledger keeps them in order, and a
/// service with a state file writes each one with the change it came with,
/// so a restarted service (a SIGKILLed one included) replays them and goes
/// on with the same ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    Granted {
        task_id: Arc<str>,
        key: AttemptKey,
        worker_group: String,
        holder: Option<String>,
    },
    Reported(Arc<str>),
    StatusAccepted(Arc<str>, Option<&'static str>),
    StatusFenced(Arc<str>),
    Expired(Arc<str>, bool),
    CancelDelivered(Arc<str>),
    CanceledLapsed(Arc<str>),
    PipelineDeleted(Arc<str>),
    Rerun {
        pipeline: Arc<str>,
        instance: String,
    },
}

/// The lease ledger. [`ServiceHandle::ledger`](crate::ServiceHandle::ledger)
/// answers a snapshot.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Every event, with when it happened since `started`, in order.
    log: Vec<(Event, Duration)>,
    /// Every lease, in grant order.
    records: Vec<LeaseRecord>,
    /// taskId → index in `records`, for every lease ever granted.
    by_task_id: HashMap<Arc<str>, usize>,
    /// The live lease of each attempt, in the ledger's own view.
    live: HashMap<AttemptKey, usize>,
    /// Attempts that lost a lease to expiry.
    expired_attempts: HashSet<AttemptKey>,
    /// (pipeline, instance) pairs with an attempt accepted as FINISHED.
    finished_instances: HashSet<(Arc<str>, String)>,
    counts: LedgerCounts,
    /// The service's start: times are kept relative to it.
    started: Instant,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            log: Vec::new(),
            records: Vec::new(),
            by_task_id: HashMap::new(),
            live: HashMap::new(),
            expired_attempts: HashSet::new(),
            finished_instances: HashSet::new(),
            counts: LedgerCounts::default(),
            started: Instant::now(),
        }
    }
}

/// The instance an attempt id belongs to: `@X_2026-…_Attempt=2` → `@X_2026-…`.
fn instance_of(attempt_id: &str) -> &str {
    attempt_id
        .rsplit_once("_Attempt=")
        .map_or(attempt_id, |(instance, _)| instance)
}

impl Ledger {
    /// Every lease, in grant order.
    pub fn records(&self) -> &[LeaseRecord] {
        &self.records
    }

    /// The totals.
    pub fn counts(&self) -> LedgerCounts {
        LedgerCounts {
            live: self
                .records
                .iter()
                .filter(|record| record.end.is_none())
                .count() as u64,
            ..self.counts
        }
    }

    /// The ledger that `log` makes, its times counted from `started`: what
    /// a service restarted on its state file goes on from.
    pub(crate) fn replayed(log: Vec<(Event, Duration)>, started: Instant) -> Self {
        let mut ledger = Self {
            started,
            ..Self::default()
        };
        for (event, at) in log {
            ledger.apply(event, at);
        }
        ledger
    }

    /// Every event, with when it happened since [`Ledger::started`], in
    /// order.
    pub(crate) fn log(&self) -> &[(Event, Duration)] {
        &self.log
    }

    /// What the ledger's times are counted from.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The index in [`Ledger::records`] of lease `task_id`.
    pub(crate) fn lease_index(&self, task_id: &str) -> Option<usize> {
        self.by_task_id.get(task_id).copied()
    }

    fn note(&mut self, event: Event) {
        let at = Instant::now().saturating_duration_since(self.started);
        self.apply(event, at);
    }

    fn apply(&mut self, event: Event, at: Duration) {
        self.log.push((event.clone(), at));
        match event {
            Event::Granted {
                task_id,
                key,
                worker_group,
                holder,
            } => self.apply_granted(task_id, &key, worker_group, holder, at),
            Event::Reported(task_id) => self.apply_reported(&task_id, at),
            Event::StatusAccepted(task_id, status) => {
                self.apply_status_accepted(&task_id, status, at);
            }
            Event::StatusFenced(task_id) => self.apply_status_fenced(&task_id),
            Event::Expired(task_id, requeued) => self.apply_expired(&task_id, requeued, at),
            Event::CancelDelivered(task_id) => self.apply_cancel_delivered(&task_id),
            Event::CanceledLapsed(task_id) => {
                if self.end(&task_id, LeaseEnd::Canceled, at) {
                    self.counts.expired += 1;
                    self.counts.canceled += 1;
                }
            }
            Event::PipelineDeleted(task_id) => {
                if self.end(&task_id, LeaseEnd::PipelineDeleted, at) {
                    self.counts.deleted += 1;
                }
            }
            Event::Rerun { pipeline, instance } => {
                if self.finished_instances.remove(&(pipeline, instance)) {
                    self.counts.reruns_of_finished += 1;
                }
            }
        }
    }

    /// PollForTask leased `key` under `task_id` to `holder` of `worker_group`.
    pub(crate) fn granted(
        &mut self,
        task_id: &Arc<str>,
        key: &AttemptKey,
        worker_group: &str,
        holder: Option<&str>,
    ) {
        self.note(Event::Granted {
            task_id: task_id.clone(),
            key: key.clone(),
            worker_group: worker_group.to_owned(),
            holder: holder.map(str::to_owned),
        });
    }

    /// ReportTaskProgress for `task_id` was accepted.
    pub(crate) fn reported(&mut self, task_id: &str) {
        self.note(Event::Reported(task_id.into()));
    }

    /// SetTaskStatus for `task_id` was accepted: with `status`, or, when
    /// the attempt had been canceled, with no effect (`None`).
    pub(crate) fn status_accepted(&mut self, task_id: &str, status: Option<&'static str>) {
        self.note(Event::StatusAccepted(task_id.into(), status));
    }

    /// SetTaskStatus for `task_id` was refused because its lease is gone.
    pub(crate) fn status_fenced(&mut self, task_id: &str) {
        self.note(Event::StatusFenced(task_id.into()));
    }

    /// Lease `task_id` lapsed; `requeued` when its attempt went back to the
    /// queue.
    pub(crate) fn expired(&mut self, task_id: &str, requeued: bool) {
        self.note(Event::Expired(task_id.into(), requeued));
    }

    /// ReportTaskProgress for `task_id` was answered `canceled: true`.
    pub(crate) fn cancel_delivered(&mut self, task_id: &str) {
        self.note(Event::CancelDelivered(task_id.into()));
    }

    /// Lease `task_id`, whose attempt had been canceled, lapsed.
    pub(crate) fn canceled_lapsed(&mut self, task_id: &str) {
        self.note(Event::CanceledLapsed(task_id.into()));
    }

    /// SetStatus RERUN put `instance` of `pipeline` back to run: a grant
    /// after this is not a finished instance running again.
    pub(crate) fn rerun(&mut self, pipeline: &str, instance: &str) {
        self.note(Event::Rerun {
            pipeline: pipeline.into(),
            instance: instance.to_owned(),
        });
    }

    /// Lease `task_id` ended because its pipeline was deleted.
    pub(crate) fn pipeline_deleted(&mut self, task_id: &str) {
        self.note(Event::PipelineDeleted(task_id.into()));
    }

    fn apply_granted(
        &mut self,
        task_id: Arc<str>,
        key: &AttemptKey,
        worker_group: String,
        holder: Option<String>,
        at: Duration,
    ) {
        let index = self.records.len();
        let reassignment = self.expired_attempts.contains(key);
        self.counts.granted += 1;
        self.counts.reassignments += u64::from(reassignment);
        if self.live.insert(key.clone(), index).is_some() {
            self.counts.overlapping_grants += 1;
        }
        let instance = instance_of(&key.attempt).to_owned();
        if !reassignment
            && self
                .finished_instances
                .contains(&(key.pipeline.clone(), instance))
        {
            self.counts.runs_after_finish += 1;
        }
        self.records.push(LeaseRecord {
            pipeline_id: key.pipeline.to_string(),
            attempt_id: key.attempt.to_string(),
            holder,
            worker_group,
            granted_at: at,
            acknowledged_at: None,
            reports: 0,
            reassignment,
            end: None,
            statuses_fenced: 0,
            statuses_after_loss: 0,
            cancel_delivered: false,
        });
        self.by_task_id.insert(task_id, index);
    }

    fn apply_reported(&mut self, task_id: &str, elapsed: Duration) {
        let Some(record) = self.record_mut(task_id) else {
            return;
        };
        record.reports += 1;
        if record.acknowledged_at.is_none() {
            record.acknowledged_at = Some(elapsed);
            self.counts.acknowledged += 1;
        }
    }

    fn apply_cancel_delivered(&mut self, task_id: &str) {
        if let Some(record) = self.record_mut(task_id) {
            if !record.cancel_delivered {
                record.cancel_delivered = true;
                self.counts.cancels_delivered += 1;
            }
        }
    }

    fn apply_status_accepted(&mut self, task_id: &str, status: Option<&'static str>, at: Duration) {
        let end = status.map_or(LeaseEnd::StatusAfterCancel, LeaseEnd::Status);
        if !self.end(task_id, end, at) {
            return;
        }
        self.counts.ended_by_status += 1;
        self.counts.statuses_after_cancel += u64::from(status.is_none());
        if status == Some("FINISHED") {
            if let Some(record) = self.record_mut(task_id) {
                let pipeline: Arc<str> = record.pipeline_id.as_str().into();
                let instance = instance_of(&record.attempt_id).to_owned();
                self.finished_instances.insert((pipeline, instance));
            }
        }
    }

    fn apply_status_fenced(&mut self, task_id: &str) {
        self.counts.statuses_fenced += 1;
        let Some(record) = self.record_mut(task_id) else {
            self.counts.statuses_unknown += 1;
            return;
        };
        record.statuses_fenced += 1;
        match record.end {
            Some((LeaseEnd::Expired { .. } | LeaseEnd::Canceled, _)) => {
                self.counts.statuses_fenced_after_lapse += 1;
            }
            Some((LeaseEnd::Status(_) | LeaseEnd::StatusAfterCancel, _)) => {
                self.counts.statuses_fenced_after_status += 1;
            }
            _ => {}
        }
    }

    fn apply_expired(&mut self, task_id: &str, requeued: bool, at: Duration) {
        if !self.end(task_id, LeaseEnd::Expired { requeued }, at) {
            return;
        }
        self.counts.expired += 1;
        self.counts.expired_and_requeued += u64::from(requeued);
        if let Some(record) = self.record_mut(task_id) {
            let key = AttemptKey {
                pipeline: record.pipeline_id.as_str().into(),
                attempt: record.attempt_id.as_str().into(),
            };
            self.expired_attempts.insert(key);
        }
    }

    fn record_mut(&mut self, task_id: &str) -> Option<&mut LeaseRecord> {
        let index = *self.by_task_id.get(task_id)?;
        self.records.get_mut(index)
    }

    /// Ends lease `task_id` with `end`. Answers false, and counts a status
    /// accepted after loss, when the ledger had already seen it end.
    fn end(&mut self, task_id: &str, end: LeaseEnd, elapsed: Duration) -> bool {
        let Some(&index) = self.by_task_id.get(task_id) else {
            return false;
        };
        let Some(record) = self.records.get_mut(index) else {
            return false;
        };
        if record.end.is_some() {
            if matches!(end, LeaseEnd::Status(_) | LeaseEnd::StatusAfterCancel) {
                record.statuses_after_loss += 1;
                self.counts.statuses_after_loss += 1;
            }
            return false;
        }
        record.end = Some((end, elapsed));
        let key = AttemptKey {
            pipeline: record.pipeline_id.as_str().into(),
            attempt: record.attempt_id.as_str().into(),
        };
        if self.live.get(&key) == Some(&index) {
            self.live.remove(&key);
        }
        true
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
