//! The task runners that sent ReportTaskRunnerHeartbeat.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;

/// What the service knows of a task runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerRecord {
    /// The runner's `taskrunnerId`.
    pub taskrunner_id: String,
    /// The worker group it gave in its last heartbeat.
    pub worker_group: Option<String>,
    /// The hostname it gave in its last heartbeat.
    pub hostname: Option<String>,
    /// The pipeline time of its first heartbeat.
    pub first_seen: NaiveDateTime,
    /// The pipeline time of its last heartbeat.
    pub last_seen: NaiveDateTime,
    /// How many heartbeats it sent.
    pub heartbeats: u64,
}

/// The runners seen, and those asked to terminate.
#[derive(Debug, Default)]
pub(crate) struct Runners {
    pub(crate) records: BTreeMap<String, RunnerRecord>,
    /// Runner ids whose next heartbeat answers `terminate: true`.
    pub(crate) terminate: HashSet<String>,
}
