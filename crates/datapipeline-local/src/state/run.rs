//! The objects a pipeline's activation creates: instances and attempts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use tokio::time::Instant;

use crate::clock::format_time;
use crate::model::{Field, PipelineObject, Status};
use crate::state::tracked::Tracked;

/// What an instance is for, which decides how it moves through its states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceKind {
    /// An activity: a task for a runner.
    Activity,
    /// A precondition: a task for a runner whose `FALSE` means "not yet".
    Precondition,
    /// A data node: finishes by itself once its preconditions hold.
    DataNode,
}

/// One scheduled run of a component (`@sphere` INSTANCE).
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// `@Component_2012-12-12T00:00:00`.
    pub(crate) id: String,
    /// The component it instantiates (`@componentParent`).
    pub(crate) component: String,
    pub(crate) kind: InstanceKind,
    pub(crate) status: Status,
    pub(crate) scheduled_start: NaiveDateTime,
    pub(crate) scheduled_end: NaiveDateTime,
    pub(crate) actual_start: Option<NaiveDateTime>,
    pub(crate) actual_end: Option<NaiveDateTime>,
    /// The component's effective fields with expressions evaluated for this
    /// instance; attempts and tasks carry these.
    pub(crate) fields: Vec<Field>,
    /// The worker group whose runners get its tasks, when it makes tasks.
    pub(crate) worker_group: Option<String>,
    /// Instances that must finish first: `dependsOn`, inputs, preconditions.
    pub(crate) waiting_on: Vec<String>,
    /// Attempt ids, oldest first.
    pub(crate) attempts: Vec<String>,
    /// Failed attempts that still may be retried (`@triesLeft`).
    pub(crate) tries_left: u32,
    /// For preconditions: the pipeline time after which `FALSE` is final.
    pub(crate) precondition_deadline: Option<NaiveDateTime>,
    /// The instance whose failure cascaded here (`@cascadeFailedOn`).
    pub(crate) cascade_failed_on: Option<String>,
    pub(crate) error: Option<ErrorFields>,
    /// Canceled by DeactivatePipeline (`cancelActive`), not by SetStatus:
    /// the next activation runs it again; an instance an operator canceled
    /// stays canceled.
    pub(crate) canceled_by_deactivation: bool,
}

/// The error fields SetTaskStatus stores, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorFields {
    pub(crate) error_id: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) error_stack_trace: Option<String>,
}

/// The lease a runner holds on an attempt.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    /// The opaque id the runner holds; a reassigned attempt gets a new one.
    pub(crate) task_id: Arc<str>,
    /// Whether the first ReportTaskProgress arrived.
    pub(crate) acknowledged: bool,
    /// When the lease lapses unless the runner reports.
    pub(crate) deadline: Instant,
    /// Whether the runner's next report answers `canceled: true`.
    pub(crate) cancel_requested: bool,
}

/// One try of an instance (`@sphere` ATTEMPT).
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// `@Component_2012-12-12T00:00:00_Attempt=1`.
    pub(crate) id: String,
    pub(crate) instance: String,
    pub(crate) number: u32,
    pub(crate) status: Status,
    pub(crate) actual_start: Option<NaiveDateTime>,
    pub(crate) actual_end: Option<NaiveDateTime>,
    /// The hostname the holder gave to PollForTask.
    pub(crate) hostname: Option<String>,
    /// The last time the holder reported (`reportProgressTime`).
    pub(crate) report_progress_time: Option<NaiveDateTime>,
    /// Fields the holder sent with its last report.
    pub(crate) progress: Vec<Field>,
    /// The current lease, while a runner holds the attempt.
    pub(crate) lease: Option<Lease>,
    /// Leases this attempt lost to expiry: each was reassigned.
    pub(crate) reassignments: u32,
    pub(crate) error: Option<ErrorFields>,
}

/// Everything an activation created for one pipeline.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// The components (definition objects) with their effective fields.
    pub(crate) components: BTreeMap<String, PipelineObject>,
    /// Parameter values in force for this activation.
    pub(crate) parameters: BTreeMap<String, Vec<String>>,
    /// Instances by id; changes are recorded for `--state`.
    pub(crate) instances: Tracked<Instance>,
    /// Attempts by id; changes are recorded for `--state`.
    pub(crate) attempts: Tracked<Attempt>,
    /// Instance id → the instances waiting on it.
    pub(crate) dependents: HashMap<String, Vec<String>>,
    /// Per scheduled component: the start of the next period to create.
    pub(crate) next_period: HashMap<String, NaiveDateTime>,
    /// Per scheduled component: how many instances were created.
    pub(crate) created: HashMap<String, u32>,
    /// Components paused with SetStatus PAUSE.
    pub(crate) paused: HashSet<String>,
}

impl Instance {
    /// The instance rendered as a pipeline object.
    pub(crate) fn to_object(&self, pipeline_id: &str) -> PipelineObject {
        let mut fields = self.fields.clone();
        fields.retain(|field| !field.key.starts_with('@'));
        fields.push(Field::string("@pipelineId", pipeline_id));
        fields.push(Field::reference("@componentParent", &self.component));
        fields.push(Field::string("@sphere", "INSTANCE"));
        fields.push(Field::string("@status", self.status.as_str()));
        fields.push(Field::string(
            "@scheduledStartTime",
            format_time(self.scheduled_start),
        ));
        fields.push(Field::string(
            "@scheduledEndTime",
            format_time(self.scheduled_end),
        ));
        if let Some(time) = self.actual_start {
            fields.push(Field::string("@actualStartTime", format_time(time)));
        }
        if let Some(time) = self.actual_end {
            fields.push(Field::string("@actualEndTime", format_time(time)));
            if self.status.is_terminal() {
                fields.push(Field::string("@finishedTime", format_time(time)));
            }
        }
        fields.push(Field::string(
            "@attemptCount",
            self.attempts.len().to_string(),
        ));
        fields.push(Field::string("@triesLeft", self.tries_left.to_string()));
        if let Some(head) = self.attempts.last() {
            fields.push(Field::reference("@headAttempt", head));
        }
        for waiting in &self.waiting_on {
            fields.push(Field::reference("@waitingOn", waiting));
        }
        if let Some(origin) = &self.cascade_failed_on {
            fields.push(Field::reference("@cascadeFailedOn", origin));
        }
        push_error(&mut fields, self.error.as_ref());
        PipelineObject {
            id: self.id.clone(),
            name: self.id.clone(),
            fields,
        }
    }
}

impl Attempt {
    /// The attempt rendered as a pipeline object, with its instance's
    /// evaluated fields merged in as the API Reference's PollForTask example
    /// shows.
    pub(crate) fn to_object(&self, instance: &Instance, pipeline_id: &str) -> PipelineObject {
        let mut fields = instance.fields.clone();
        fields.retain(|field| !field.key.starts_with('@'));
        fields.push(Field::string("@pipelineId", pipeline_id));
        fields.push(Field::reference("@componentParent", &instance.component));
        fields.push(Field::reference("@instanceParent", &instance.id));
        fields.push(Field::string("@sphere", "ATTEMPT"));
        fields.push(Field::string("@status", self.status.as_str()));
        fields.push(Field::string("@attemptNumber", self.number.to_string()));
        fields.push(Field::string(
            "@scheduledStartTime",
            format_time(instance.scheduled_start),
        ));
        fields.push(Field::string(
            "@scheduledEndTime",
            format_time(instance.scheduled_end),
        ));
        if let Some(time) = self.actual_start {
            fields.push(Field::string("@actualStartTime", format_time(time)));
        }
        if let Some(time) = self.actual_end {
            fields.push(Field::string("@actualEndTime", format_time(time)));
            if self.status.is_terminal() {
                fields.push(Field::string("@finishedTime", format_time(time)));
            }
        }
        if let Some(hostname) = &self.hostname {
            fields.push(Field::string("hostname", hostname));
        }
        if let Some(time) = self.report_progress_time {
            fields.push(Field::string("reportProgressTime", format_time(time)));
        }
        push_error(&mut fields, self.error.as_ref());
        PipelineObject {
            id: self.id.clone(),
            name: self.id.clone(),
            fields,
        }
    }
}

fn push_error(fields: &mut Vec<Field>, error: Option<&ErrorFields>) {
    let Some(error) = error else { return };
    for (key, value) in [
        ("errorId", &error.error_id),
        ("errorMessage", &error.error_message),
        ("errorStackTrace", &error.error_stack_trace),
    ] {
        if let Some(value) = value {
            fields.push(Field::string(key, value));
        }
    }
}

/// The id of the instance of `component` scheduled at `start`.
pub(crate) fn instance_id(component: &str, start: NaiveDateTime) -> String {
    format!("@{component}_{}", format_time(start))
}

/// The id of attempt `number` of `instance`.
pub(crate) fn attempt_id(instance: &str, number: u32) -> String {
    format!("{instance}_Attempt={number}")
}
