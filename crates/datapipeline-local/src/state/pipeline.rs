//! A pipeline: its identity, tags, definitions and the run its activation
//! created.

use chrono::NaiveDateTime;

use crate::clock::format_time;
use crate::definition::Definition;
use crate::model::{Field, PipelineObject};
use crate::state::run::Run;

/// A tag on a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The state of a pipeline as a whole (`@pipelineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipelineState {
    /// Created, never activated.
    Pending,
    /// Activated and running its schedule.
    Scheduled,
    /// Deactivated.
    Inactive,
    /// Every instance of its run reached an end state and its schedule has
    /// no more periods.
    Finished,
}

impl PipelineState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Scheduled => "SCHEDULED",
            Self::Inactive => "INACTIVE",
            Self::Finished => "FINISHED",
        }
    }
}

/// One pipeline of the account.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) unique_id: String,
    pub(crate) description: Option<String>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) created: NaiveDateTime,
    pub(crate) state: PipelineState,
    /// The definition last put; GetPipelineDefinition version `latest`.
    pub(crate) latest: Option<Definition>,
    /// The definition in force since the last activation; version `active`.
    pub(crate) active: Option<Definition>,
    pub(crate) last_activation: Option<NaiveDateTime>,
    /// When DeactivatePipeline last stopped it (`@lastDeactivatedTime`).
    pub(crate) last_deactivation: Option<NaiveDateTime>,
    /// How many times the pipeline was activated.
    pub(crate) activations: u32,
    pub(crate) run: Run,
    /// Whether `latest`, `active`, or the run's components or parameters
    /// changed since the state file last had them: they are written only
    /// then, being large and rarely changed (see [`crate::persist`]).
    pub(crate) definitions_changed: bool,
}

impl Pipeline {
    pub(crate) fn new(id: String, name: String, unique_id: String, created: NaiveDateTime) -> Self {
        Self {
            id,
            name,
            unique_id,
            description: None,
            tags: Vec::new(),
            created,
            state: PipelineState::Pending,
            latest: None,
            active: None,
            last_activation: None,
            last_deactivation: None,
            activations: 0,
            run: Run::default(),
            definitions_changed: true,
        }
    }

    /// The fields DescribePipelines and ListPipelines report.
    pub(crate) fn description_fields(&self) -> Vec<Field> {
        let mut fields = vec![
            Field::string("@pipelineState", self.state.as_str()),
            Field::string("@creationTime", format_time(self.created)),
            Field::string("@id", &self.id),
            Field::string("@sphere", "PIPELINE"),
            Field::string("@userId", "000000000000"),
            Field::string("@accountId", "000000000000"),
            Field::string("name", &self.name),
            Field::string("uniqueId", &self.unique_id),
            Field::string("pipelineCreator", "000000000000"),
            Field::string("@healthStatus", self.health()),
        ];
        if let Some(description) = &self.description {
            fields.push(Field::string("description", description));
        }
        if let Some(time) = self.last_activation {
            fields.push(Field::string("@lastActivationTime", format_time(time)));
            fields.push(Field::string("@latestRunTime", format_time(time)));
        }
        if self.latest.is_some() {
            fields.push(Field::string(
                "@version",
                self.activations.max(1).to_string(),
            ));
        }
        fields
    }

    /// `HEALTHY` unless an instance of the run failed.
    fn health(&self) -> &'static str {
        let failed = self.run.instances.values().any(|instance| {
            matches!(
                instance.status,
                crate::model::Status::Failed
                    | crate::model::Status::CascadeFailed
                    | crate::model::Status::TimedOut
            )
        });
        if failed {
            "ERROR"
        } else {
            "HEALTHY"
        }
    }

    /// Looks an object up by id in every sphere: attempts, instances, then
    /// components; each with its runtime fields and `@version`.
    pub(crate) fn object(&self, id: &str) -> Option<PipelineObject> {
        let mut object = self.object_without_version(id)?;
        if let Some(version) = self.version() {
            object.fields.push(Field::string("@version", version));
        }
        Some(object)
    }

    fn object_without_version(&self, id: &str) -> Option<PipelineObject> {
        if let Some(attempt) = self.run.attempts.get(id) {
            let instance = self.run.instances.get(&attempt.instance)?;
            return Some(attempt.to_object(instance, &self.id));
        }
        if let Some(instance) = self.run.instances.get(id) {
            return Some(instance.to_object(&self.id));
        }
        let component = self.run.components.get(id).or_else(|| {
            self.latest
                .as_ref()
                .and_then(|definition| definition.objects.iter().find(|object| object.id == id))
        })?;
        let mut object = component.clone();
        object.fields.push(Field::string("@sphere", "COMPONENT"));
        object.fields.push(Field::string("@pipelineId", &self.id));
        object.fields.extend(self.component_fields(id));
        Some(object)
    }
}
