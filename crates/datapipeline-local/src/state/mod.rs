//! The service's state: every pipeline, queue, lease and runner, behind one
//! lock.
//!
//! One `Mutex<State>` keeps every operation atomic: an attempt is popped from
//! its queue and leased in the same critical section, so two polls can never
//! receive the same task, and a lease's expiry and a report for it can never
//! interleave. Operations hold the lock for microseconds and never across an
//! await; long polls wait on a per-worker-group `Notify` outside it.

pub(crate) mod audit;
pub(crate) mod changes;
pub(crate) mod ledger;
pub(crate) mod pipeline;
pub(crate) mod queue;
pub(crate) mod run;
pub(crate) mod runners;
mod runtime_fields;
pub(crate) mod timers;
pub(crate) mod tracked;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Limits, Timing};
use crate::error::{ServiceError, ServiceResult};

pub use audit::Audit;
pub use ledger::{LeaseEnd, LeaseRecord, Ledger, LedgerCounts};
pub(crate) use pipeline::Pipeline;
pub(crate) use queue::{AttemptKey, Queues};
pub use runners::RunnerRecord;
pub(crate) use runners::Runners;
pub(crate) use timers::{TimerEvent, Timers};
pub(crate) use tracked::Tracked;

/// Everything the service knows.
#[derive(Debug)]
pub(crate) struct State {
    /// Live pipelines by id, in id order (ListPipelines pages through them).
    /// Every change to a pipeline goes through [`Tracked::get_mut`], which
    /// records its id for `--state`.
    pub(crate) pipelines: Tracked<Pipeline>,
    /// Ids of deleted pipelines: later calls answer PipelineDeletedException.
    pub(crate) deleted: HashSet<String>,
    /// (name, uniqueId) → pipeline id, for CreatePipeline's idempotency.
    pub(crate) unique_ids: HashMap<(String, String), String>,
    /// Live leases: taskId → the attempt it holds.
    pub(crate) leases: HashMap<Arc<str>, AttemptKey>,
    /// taskIds of leases whose pipeline was deleted → the pipeline id, so
    /// their holders get PipelineDeletedException rather than TaskNotFound.
    pub(crate) deleted_leases: HashMap<Arc<str>, String>,
    pub(crate) queues: Queues,
    /// Attempts of system-managed preconditions waiting for the service to
    /// check them itself (see `scheduler::service_checks`). Not written to
    /// the state file: a load finds such attempts by their status.
    pub(crate) service_checks: Vec<AttemptKey>,
    pub(crate) runners: Runners,
    pub(crate) timers: Timers,
    pub(crate) audit: Audit,
    /// The history of every lease, for chaos tests; see [`Ledger`].
    pub(crate) ledger: Ledger,
    pub(crate) clock: Clock,
    pub(crate) timing: Timing,
    pub(crate) limits: Limits,
}

impl State {
    pub(crate) fn new(clock: Clock, timing: Timing, limits: Limits) -> Self {
        Self {
            pipelines: Tracked::default(),
            deleted: HashSet::new(),
            unique_ids: HashMap::new(),
            leases: HashMap::new(),
            deleted_leases: HashMap::new(),
            queues: Queues::default(),
            service_checks: Vec::new(),
            runners: Runners::default(),
            timers: Timers::default(),
            audit: Audit::default(),
            ledger: Ledger::default(),
            clock,
            timing,
            limits,
        }
    }

    /// The pipeline `id`, or the modeled error for a deleted or unknown one.
    ///
    /// # Errors
    /// PipelineDeletedException or PipelineNotFoundException naming the id.
    pub(crate) fn pipeline(&self, id: &str) -> ServiceResult<&Pipeline> {
        match self.pipelines.get(id) {
            Some(pipeline) => Ok(pipeline),
            None => Err(self.missing_pipeline(id)),
        }
    }

    /// As [`State::pipeline`], mutably.
    pub(crate) fn pipeline_mut(&mut self, id: &str) -> ServiceResult<&mut Pipeline> {
        if !self.pipelines.contains_key(id) {
            return Err(self.missing_pipeline(id));
        }
        self.pipelines
            .get_mut(id)
            .ok_or_else(|| ServiceError::Internal("pipeline vanished".into()))
    }

    fn missing_pipeline(&self, id: &str) -> ServiceError {
        if self.deleted.contains(id) {
            ServiceError::PipelineDeleted(format!("pipeline {id} was deleted"))
        } else {
            ServiceError::PipelineNotFound(format!("pipeline {id} does not exist"))
        }
    }
}
