//! The rows of the state file, one serde type each, and their conversions
//! from and to the service's state.
//!
//! A pipeline is split in four kinds of rows by how often they change: its
//! header (identity, tags, state, schedule bookkeeping: every touch), its
//! definitions (latest, active, components, parameters: PutPipelineDefinition
//! and ActivatePipeline only), and one row per instance and per attempt.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::values::{
    field_records, fields, optional_time, status, status_name, time, time_text, DefinitionRecord,
    FieldRecord, ObjectRecord, WallClock,
};
use crate::state::pipeline::{PipelineState, Tag};
use crate::state::run::{Attempt, ErrorFields, Instance, InstanceKind, Lease, Run};
use crate::state::{Pipeline, TimerEvent, Tracked};

/// Why a row could not be read back.
pub(super) type RecordResult<T> = Result<T, String>;

/// A pipeline's header: everything but its definitions and its run's
/// instances and attempts.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct HeaderRecord {
    name: String,
    unique_id: String,
    description: Option<String>,
    tags: Vec<(String, String)>,
    created: String,
    state: String,
    last_activation: Option<String>,
    /// Absent from state files written before it was kept.
    #[serde(default)]
    last_deactivation: Option<String>,
    activations: u32,
    dependents: HashMap<String, Vec<String>>,
    next_period: HashMap<String, String>,
    created_per_component: HashMap<String, u32>,
    paused: HashSet<String>,
}

/// A pipeline's definitions and what its last activation derived from them.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct DefinitionsRecord {
    latest: Option<DefinitionRecord>,
    active: Option<DefinitionRecord>,
    components: Vec<(String, ObjectRecord)>,
    parameters: BTreeMap<String, Vec<String>>,
}

const PIPELINE_STATES: &[(PipelineState, &str)] = &[
    (PipelineState::Pending, "pending"),
    (PipelineState::Scheduled, "scheduled"),
    (PipelineState::Inactive, "inactive"),
    (PipelineState::Finished, "finished"),
];

impl HeaderRecord {
    pub(super) fn new(pipeline: &Pipeline) -> Self {
        let run = &pipeline.run;
        Self {
            name: pipeline.name.clone(),
            unique_id: pipeline.unique_id.clone(),
            description: pipeline.description.clone(),
            tags: (pipeline.tags.iter())
                .map(|tag| (tag.key.clone(), tag.value.clone()))
                .collect(),
            created: time_text(pipeline.created),
            state: PIPELINE_STATES
                .iter()
                .find(|(state, _)| *state == pipeline.state)
                .map_or("pending", |(_, name)| name)
                .to_owned(),
            last_activation: pipeline.last_activation.map(time_text),
            last_deactivation: pipeline.last_deactivation.map(time_text),
            activations: pipeline.activations,
            dependents: run.dependents.clone(),
            next_period: (run.next_period.iter())
                .map(|(component, start)| (component.clone(), time_text(*start)))
                .collect(),
            created_per_component: run.created.clone(),
            paused: run.paused.clone(),
        }
    }

    /// The pipeline `id` this header describes, with `definitions` and an
    /// empty run for the instances and attempts to go into.
    pub(super) fn pipeline(
        self,
        id: String,
        definitions: DefinitionsRecord,
        instances: BTreeMap<String, Instance>,
        attempts: BTreeMap<String, Attempt>,
    ) -> RecordResult<Pipeline> {
        let state = PIPELINE_STATES
            .iter()
            .find(|(_, name)| *name == self.state)
            .map(|(state, _)| *state)
            .ok_or_else(|| format!("unknown pipeline state '{}'", self.state))?;
        let next_period = (self.next_period.into_iter())
            .map(|(component, start)| Ok((component, time(&start)?)))
            .collect::<RecordResult<_>>()?;
        let run = Run {
            components: (definitions.components.into_iter())
                .map(|(id, object)| (id, object.object()))
                .collect(),
            parameters: definitions.parameters,
            instances: Tracked::loaded(instances),
            attempts: Tracked::loaded(attempts),
            dependents: self.dependents,
            next_period,
            created: self.created_per_component,
            paused: self.paused,
        };
        let mut pipeline = Pipeline::new(id, self.name, self.unique_id, time(&self.created)?);
        pipeline.description = self.description;
        pipeline.tags = (self.tags.into_iter())
            .map(|(key, value)| Tag { key, value })
            .collect();
        pipeline.state = state;
        pipeline.latest = definitions.latest.map(DefinitionRecord::definition);
        pipeline.active = definitions.active.map(DefinitionRecord::definition);
        pipeline.last_activation = optional_time(self.last_activation.as_deref())?;
        pipeline.last_deactivation = optional_time(self.last_deactivation.as_deref())?;
        pipeline.activations = self.activations;
        pipeline.run = run;
        pipeline.definitions_changed = false;
        Ok(pipeline)
    }
}

impl DefinitionsRecord {
    pub(super) fn new(pipeline: &Pipeline) -> Self {
        Self {
            latest: pipeline.latest.as_ref().map(DefinitionRecord::new),
            active: pipeline.active.as_ref().map(DefinitionRecord::new),
            components: (pipeline.run.components.iter())
                .map(|(id, object)| (id.clone(), ObjectRecord::new(object)))
                .collect(),
            parameters: pipeline.run.parameters.clone(),
        }
    }
}

/// SetTaskStatus's error fields.
#[derive(Debug, Serialize, Deserialize)]
struct ErrorRecord {
    error_id: Option<String>,
    error_message: Option<String>,
    error_stack_trace: Option<String>,
}

impl ErrorRecord {
    fn new(error: &ErrorFields) -> Self {
        Self {
            error_id: error.error_id.clone(),
            error_message: error.error_message.clone(),
            error_stack_trace: error.error_stack_trace.clone(),
        }
    }

    fn fields(self) -> ErrorFields {
        ErrorFields {
            error_id: self.error_id,
            error_message: self.error_message,
            error_stack_trace: self.error_stack_trace,
        }
    }
}

/// An instance.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct InstanceRecord {
    component: String,
    kind: String,
    status: String,
    scheduled_start: String,
    scheduled_end: String,
    actual_start: Option<String>,
    actual_end: Option<String>,
    fields: Vec<FieldRecord>,
    worker_group: Option<String>,
    waiting_on: Vec<String>,
    attempts: Vec<String>,
    tries_left: u32,
    precondition_deadline: Option<String>,
    cascade_failed_on: Option<String>,
    error: Option<ErrorRecord>,
    /// Absent in state files written before it existed.
    #[serde(default)]
    canceled_by_deactivation: bool,
}

const INSTANCE_KINDS: &[(InstanceKind, &str)] = &[
    (InstanceKind::Activity, "activity"),
    (InstanceKind::Precondition, "precondition"),
    (InstanceKind::DataNode, "data_node"),
];

impl InstanceRecord {
    pub(super) fn new(instance: &Instance) -> Self {
        Self {
            component: instance.component.clone(),
            kind: INSTANCE_KINDS
                .iter()
                .find(|(kind, _)| *kind == instance.kind)
                .map_or("activity", |(_, name)| name)
                .to_owned(),
            status: status_name(instance.status),
            scheduled_start: time_text(instance.scheduled_start),
            scheduled_end: time_text(instance.scheduled_end),
            actual_start: instance.actual_start.map(time_text),
            actual_end: instance.actual_end.map(time_text),
            fields: field_records(&instance.fields),
            worker_group: instance.worker_group.clone(),
            waiting_on: instance.waiting_on.clone(),
            attempts: instance.attempts.clone(),
            tries_left: instance.tries_left,
            precondition_deadline: instance.precondition_deadline.map(time_text),
            cascade_failed_on: instance.cascade_failed_on.clone(),
            error: instance.error.as_ref().map(ErrorRecord::new),
            canceled_by_deactivation: instance.canceled_by_deactivation,
        }
    }

    pub(super) fn instance(self, id: String) -> RecordResult<Instance> {
        let kind = INSTANCE_KINDS
            .iter()
            .find(|(_, name)| *name == self.kind)
            .map(|(kind, _)| *kind)
            .ok_or_else(|| format!("unknown instance kind '{}'", self.kind))?;
        Ok(Instance {
            id,
            component: self.component,
            kind,
            status: status(&self.status)?,
            scheduled_start: time(&self.scheduled_start)?,
            scheduled_end: time(&self.scheduled_end)?,
            actual_start: optional_time(self.actual_start.as_deref())?,
            actual_end: optional_time(self.actual_end.as_deref())?,
            fields: fields(self.fields),
            worker_group: self.worker_group,
            waiting_on: self.waiting_on,
            attempts: self.attempts,
            tries_left: self.tries_left,
            precondition_deadline: optional_time(self.precondition_deadline.as_deref())?,
            cascade_failed_on: self.cascade_failed_on,
            error: self.error.map(ErrorRecord::fields),
            canceled_by_deactivation: self.canceled_by_deactivation,
        })
    }
}

/// A lease, its deadline in wall-clock milliseconds.
#[derive(Debug, Serialize, Deserialize)]
struct LeaseRecord {
    task_id: String,
    acknowledged: bool,
    deadline_millis: i64,
    cancel_requested: bool,
}

/// An attempt, with its lease if a runner holds it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AttemptRecord {
    instance: String,
    number: u32,
    status: String,
    actual_start: Option<String>,
    actual_end: Option<String>,
    hostname: Option<String>,
    report_progress_time: Option<String>,
    progress: Vec<FieldRecord>,
    lease: Option<LeaseRecord>,
    reassignments: u32,
    error: Option<ErrorRecord>,
}

impl AttemptRecord {
    pub(super) fn new(attempt: &Attempt, wall: WallClock) -> Self {
        Self {
            instance: attempt.instance.clone(),
            number: attempt.number,
            status: status_name(attempt.status),
            actual_start: attempt.actual_start.map(time_text),
            actual_end: attempt.actual_end.map(time_text),
            hostname: attempt.hostname.clone(),
            report_progress_time: attempt.report_progress_time.map(time_text),
            progress: field_records(&attempt.progress),
            lease: attempt.lease.as_ref().map(|lease| LeaseRecord {
                task_id: lease.task_id.to_string(),
                acknowledged: lease.acknowledged,
                deadline_millis: wall.millis_at(lease.deadline),
                cancel_requested: lease.cancel_requested,
            }),
            reassignments: attempt.reassignments,
            error: attempt.error.as_ref().map(ErrorRecord::new),
        }
    }

    pub(super) fn attempt(self, id: String, wall: WallClock) -> RecordResult<Attempt> {
        Ok(Attempt {
            id,
            instance: self.instance,
            number: self.number,
            status: status(&self.status)?,
            actual_start: optional_time(self.actual_start.as_deref())?,
            actual_end: optional_time(self.actual_end.as_deref())?,
            hostname: self.hostname,
            report_progress_time: optional_time(self.report_progress_time.as_deref())?,
            progress: fields(self.progress),
            lease: self.lease.map(|lease| Lease {
                task_id: Arc::from(lease.task_id),
                acknowledged: lease.acknowledged,
                deadline: wall.instant_at(lease.deadline_millis),
                cancel_requested: lease.cancel_requested,
            }),
            reassignments: self.reassignments,
            error: self.error.map(ErrorRecord::fields),
        })
    }
}

/// A timer's event.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(super) enum TimerRecord {
    LeaseDeadline {
        task_id: String,
    },
    AttemptTimeout {
        pipeline: String,
        attempt: String,
        task_id: String,
    },
    Retry {
        pipeline: String,
        instance: String,
    },
    Schedule {
        pipeline: String,
        component: String,
    },
}

impl TimerRecord {
    pub(super) fn new(event: &TimerEvent) -> Self {
        match event {
            TimerEvent::LeaseDeadline { task_id } => Self::LeaseDeadline {
                task_id: task_id.to_string(),
            },
            TimerEvent::AttemptTimeout {
                pipeline,
                attempt,
                task_id,
            } => Self::AttemptTimeout {
                pipeline: pipeline.to_string(),
                attempt: attempt.clone(),
                task_id: task_id.to_string(),
            },
            TimerEvent::Retry { pipeline, instance } => Self::Retry {
                pipeline: pipeline.to_string(),
                instance: instance.clone(),
            },
            TimerEvent::Schedule {
                pipeline,
                component,
            } => Self::Schedule {
                pipeline: pipeline.to_string(),
                component: component.clone(),
            },
        }
    }

    pub(super) fn event(self) -> TimerEvent {
        match self {
            Self::LeaseDeadline { task_id } => TimerEvent::LeaseDeadline {
                task_id: task_id.into(),
            },
            Self::AttemptTimeout {
                pipeline,
                attempt,
                task_id,
            } => TimerEvent::AttemptTimeout {
                pipeline: pipeline.into(),
                attempt,
                task_id: task_id.into(),
            },
            Self::Retry { pipeline, instance } => TimerEvent::Retry {
                pipeline: pipeline.into(),
                instance,
            },
            Self::Schedule {
                pipeline,
                component,
            } => TimerEvent::Schedule {
                pipeline: pipeline.into(),
                component,
            },
        }
    }
}
