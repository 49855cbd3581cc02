//! What one critical section changed: the input to a `--state` write.
//!
//! The state records its own changes as they happen (see
//! [`Tracked`](crate::state::Tracked), [`Queues`](crate::state::Queues) and
//! [`Timers`](crate::state::Timers)); [`State::take_changes`] collects them
//! at the end of a critical section. Without `--state` they are dropped
//! there, so the record never outgrows one operation.

use std::collections::BTreeSet;

use crate::state::queue::QueueChange;
use crate::state::timers::TimerChange;
use crate::state::State;

/// The changes to one pipeline.
#[derive(Debug, Default)]
pub(crate) struct PipelineChanges {
    /// The pipeline's id. When it is no longer in the state, it was deleted.
    pub(crate) id: String,
    /// Instances inserted, removed or changed.
    pub(crate) instances: BTreeSet<String>,
    /// Whether an instance was inserted or removed.
    pub(crate) instances_reshaped: bool,
    /// Attempts inserted, removed or changed.
    pub(crate) attempts: BTreeSet<String>,
    /// Whether an attempt was inserted or removed.
    pub(crate) attempts_reshaped: bool,
    /// Whether its definitions, components or parameters changed.
    pub(crate) definitions: bool,
}

/// Everything a critical section changed.
#[derive(Debug, Default)]
pub(crate) struct StateChanges {
    /// Pipelines created, deleted or changed.
    pub(crate) pipelines: Vec<PipelineChanges>,
    /// Whether a pipeline was created or deleted: the registry of deleted
    /// ids, uniqueIds and deleted leases changes only then.
    pub(crate) registry: bool,
    /// Queue entries pushed and popped, oldest first.
    pub(crate) queues: Vec<QueueChange>,
    /// Timers armed and fired, oldest first.
    pub(crate) timers: Vec<TimerChange>,
}

impl StateChanges {
    /// Whether nothing recorded changed (audit and runners aside, which the
    /// store compares itself).
    pub(crate) fn is_empty(&self) -> bool {
        self.pipelines.is_empty()
            && !self.registry
            && self.queues.is_empty()
            && self.timers.is_empty()
    }
}

impl State {
    /// Collects and clears the changes recorded since the last call.
    pub(crate) fn take_changes(&mut self) -> StateChanges {
        let queues = self.queues.take_changes();
        let timers = self.timers.take_changes();
        if !self.pipelines.is_changed() {
            return StateChanges {
                queues,
                timers,
                ..StateChanges::default()
            };
        }
        let (ids, registry) = self.pipelines.take_changed();
        let pipelines = ids
            .into_iter()
            .map(|id| {
                let mut changes = PipelineChanges::default();
                if let Some(pipeline) = self.pipelines.get_mut(&id) {
                    (changes.instances, changes.instances_reshaped) =
                        pipeline.run.instances.take_changed();
                    (changes.attempts, changes.attempts_reshaped) =
                        pipeline.run.attempts.take_changed();
                    changes.definitions = std::mem::take(&mut pipeline.definitions_changed);
                }
                changes.id = id;
                changes
            })
            .collect();
        // The get_mut calls above recorded the ids again: clear them.
        let _ = self.pipelines.take_changed();
        StateChanges {
            pipelines,
            registry,
            queues,
            timers,
        }
    }

    /// Records `changes` again after their write failed, so that the next
    /// write carries them.
    pub(crate) fn restore_changes(&mut self, changes: StateChanges) {
        self.queues.restore_changes(changes.queues);
        self.timers.restore_changes(changes.timers);
        let mut ids = BTreeSet::new();
        for pipeline in changes.pipelines {
            if let Some(held) = self.pipelines.get_mut(&pipeline.id) {
                held.run
                    .instances
                    .restore_changed(pipeline.instances, pipeline.instances_reshaped);
                held.run
                    .attempts
                    .restore_changed(pipeline.attempts, pipeline.attempts_reshaped);
                held.definitions_changed |= pipeline.definitions;
            }
            ids.insert(pipeline.id);
        }
        self.pipelines.restore_changed(ids, changes.registry);
    }
}
