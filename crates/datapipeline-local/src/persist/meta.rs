//! The account-wide rows of the state file: the registry of deleted
//! pipelines and uniqueIds, the runners, the audit counters and the
//! pipeline clock's anchor.

use serde::{Deserialize, Serialize};

use super::records::RecordResult;
use super::values::{time, time_text, WallClock};
use crate::clock::Clock;
use crate::state::{Audit, RunnerRecord, State};

/// Deleted pipeline ids, CreatePipeline's uniqueIds, and the leases of
/// deleted pipelines.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RegistryRecord {
    deleted: Vec<String>,
    /// (name, uniqueId, pipeline id).
    unique_ids: Vec<(String, String, String)>,
    /// (taskId, pipeline id).
    deleted_leases: Vec<(String, String)>,
}

impl RegistryRecord {
    pub(super) fn new(state: &State) -> Self {
        Self {
            deleted: state.deleted.iter().cloned().collect(),
            unique_ids: (state.unique_ids.iter())
                .map(|((name, unique_id), id)| (name.clone(), unique_id.clone(), id.clone()))
                .collect(),
            deleted_leases: (state.deleted_leases.iter())
                .map(|(task_id, id)| (task_id.to_string(), id.clone()))
                .collect(),
        }
    }

    pub(super) fn restore(self, state: &mut State) {
        state.deleted = self.deleted.into_iter().collect();
        state.unique_ids = (self.unique_ids.into_iter())
            .map(|(name, unique_id, id)| ((name, unique_id), id))
            .collect();
        state.deleted_leases = (self.deleted_leases.into_iter())
            .map(|(task_id, id)| (task_id.into(), id))
            .collect();
    }
}

/// One runner that sent heartbeats.
#[derive(Debug, Serialize, Deserialize)]
struct RunnerRow {
    taskrunner_id: String,
    worker_group: Option<String>,
    hostname: Option<String>,
    first_seen: String,
    last_seen: String,
    heartbeats: u64,
}

/// The runners seen and those told to terminate.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct RunnersRecord {
    records: Vec<RunnerRow>,
    terminate: Vec<String>,
}

/// A cheap summary that changes whenever the runners do: a heartbeat adds
/// one to a count, a new runner or a termination adds a member.
pub(super) fn runners_fingerprint(state: &State) -> (usize, u64, usize) {
    let runners = &state.runners;
    let heartbeats = runners
        .records
        .values()
        .map(|runner| runner.heartbeats)
        .sum();
    (runners.records.len(), heartbeats, runners.terminate.len())
}

impl RunnersRecord {
    pub(super) fn new(state: &State) -> Self {
        Self {
            records: (state.runners.records.values())
                .map(|runner| RunnerRow {
                    taskrunner_id: runner.taskrunner_id.clone(),
                    worker_group: runner.worker_group.clone(),
                    hostname: runner.hostname.clone(),
                    first_seen: time_text(runner.first_seen),
                    last_seen: time_text(runner.last_seen),
                    heartbeats: runner.heartbeats,
                })
                .collect(),
            terminate: state.runners.terminate.iter().cloned().collect(),
        }
    }

    pub(super) fn restore(self, state: &mut State) -> RecordResult<()> {
        for row in self.records {
            let record = RunnerRecord {
                taskrunner_id: row.taskrunner_id.clone(),
                worker_group: row.worker_group,
                hostname: row.hostname,
                first_seen: time(&row.first_seen)?,
                last_seen: time(&row.last_seen)?,
                heartbeats: row.heartbeats,
            };
            state.runners.records.insert(row.taskrunner_id, record);
        }
        state.runners.terminate.extend(self.terminate);
        Ok(())
    }
}

/// The audit counters, carried across restarts so that they count the
/// service's whole life.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AuditRecord {
    tasks_polled: u64,
    empty_polls: u64,
    acknowledgements: u64,
    progress_reports: u64,
    leases_expired: u64,
    stale_reports: u64,
    statuses_accepted: u64,
    stale_statuses: u64,
    statuses_after_cancel: u64,
    attempts_finished: u64,
    attempts_failed: u64,
    reruns: u64,
}

impl AuditRecord {
    pub(super) fn new(audit: &Audit) -> Self {
        Self {
            tasks_polled: audit.tasks_polled,
            empty_polls: audit.empty_polls,
            acknowledgements: audit.acknowledgements,
            progress_reports: audit.progress_reports,
            leases_expired: audit.leases_expired,
            stale_reports: audit.stale_reports,
            statuses_accepted: audit.statuses_accepted,
            stale_statuses: audit.stale_statuses,
            statuses_after_cancel: audit.statuses_after_cancel,
            attempts_finished: audit.attempts_finished,
            attempts_failed: audit.attempts_failed,
            reruns: audit.reruns,
        }
    }

    pub(super) fn audit(self) -> Audit {
        Audit {
            tasks_polled: self.tasks_polled,
            empty_polls: self.empty_polls,
            acknowledgements: self.acknowledgements,
            progress_reports: self.progress_reports,
            leases_expired: self.leases_expired,
            stale_reports: self.stale_reports,
            statuses_accepted: self.statuses_accepted,
            stale_statuses: self.stale_statuses,
            statuses_after_cancel: self.statuses_after_cancel,
            attempts_finished: self.attempts_finished,
            attempts_failed: self.attempts_failed,
            reruns: self.reruns,
        }
    }
}

/// Where pipeline time stood at a wall-clock time, and how fast it ran:
/// pipeline time goes on while the service is down, at the speed it had.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ClockRecord {
    wall_millis: i64,
    pipeline_time: String,
    time_scale: f64,
}

impl ClockRecord {
    pub(super) fn new(clock: &Clock, wall: WallClock, time_scale: f64) -> Self {
        Self {
            wall_millis: wall.millis(),
            pipeline_time: time_text(clock.now()),
            time_scale,
        }
    }

    /// A clock running at `time_scale` from where this anchor's pipeline
    /// time has got to by `wall`.
    pub(super) fn resume(self, wall: WallClock, time_scale: f64) -> RecordResult<Clock> {
        let anchored = time(&self.pipeline_time)?;
        let elapsed_millis = wall.millis().saturating_sub(self.wall_millis).max(0);
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        let pipeline_millis = (elapsed_millis as f64 * scale).min(i64::MAX as f64) as i64;
        let now = anchored
            .checked_add_signed(chrono::TimeDelta::milliseconds(pipeline_millis))
            .unwrap_or(anchored);
        Ok(Clock::resumed(time_scale, now))
    }
}
