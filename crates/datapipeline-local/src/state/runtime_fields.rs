//! The `@`-runtime fields a component carries in DescribeObjects, derived
//! from its instances: each object page of the Developer Guide lists them
//! in its "Runtime Fields" table (dp-object-sqlactivity.md and the like).
//! Instances and attempts render their own (`run.rs`); the pipeline's
//! `@version` goes on every sphere.

use crate::clock::format_time;
use crate::model::{Field, Status};
use crate::state::pipeline::{Pipeline, PipelineState};
use crate::state::run::Instance;

impl Pipeline {
    /// `@version`: the version of the definition the run was created
    /// with (as DescribePipelines reports it), once one was put.
    pub(crate) fn version(&self) -> Option<String> {
        self.latest
            .is_some()
            .then(|| self.activations.max(1).to_string())
    }

    /// The runtime fields of `component` that its instances determine:
    /// `@activeInstances` (those not yet ended), the health of the last one
    /// that ended (`@healthStatus`, `@healthStatusFromInstanceId`,
    /// `@healthStatusUpdatedTime`), `@latestRunTime` (the latest scheduled
    /// start of an instance that started), `@latestCompletedRunTime` (of
    /// one that finished) and `@nextRunTime` (the next period the schedule
    /// will create), and `@lastDeactivatedTime` once the pipeline was
    /// deactivated. A component without instances (a database, a schedule,
    /// an output-only data node) gets none of them.
    pub(crate) fn component_fields(&self, component: &str) -> Vec<Field> {
        let run = &self.run;
        let instances: Vec<&Instance> = run
            .instances
            .values()
            .filter(|instance| instance.component == component)
            .collect();
        let mut fields = Vec::new();
        for instance in &instances {
            if !instance.status.is_terminal() {
                fields.push(Field::reference("@activeInstances", &instance.id));
            }
        }
        let last_ended = instances
            .iter()
            .filter(|instance| instance.status.is_terminal())
            .max_by_key(|instance| (instance.actual_end, instance.scheduled_start));
        if let Some(instance) = last_ended {
            let health = match instance.status {
                Status::Failed | Status::CascadeFailed | Status::TimedOut => "ERROR",
                _ => "HEALTHY",
            };
            fields.push(Field::string("@healthStatus", health));
            fields.push(Field::string("@healthStatusFromInstanceId", &instance.id));
            if let Some(time) = instance.actual_end {
                fields.push(Field::string("@healthStatusUpdatedTime", format_time(time)));
            }
        }
        let latest = |started: fn(&Instance) -> bool| {
            instances
                .iter()
                .filter(|instance| started(instance))
                .map(|instance| instance.scheduled_start)
                .max()
        };
        if let Some(time) = latest(|instance| instance.actual_start.is_some()) {
            fields.push(Field::string("@latestRunTime", format_time(time)));
        }
        if let Some(time) = latest(|instance| instance.status == Status::Finished) {
            fields.push(Field::string("@latestCompletedRunTime", format_time(time)));
        }
        if instances.is_empty() {
            return fields;
        }
        // A finished or deactivated pipeline schedules nothing more.
        let scheduling = self.state == PipelineState::Scheduled;
        if let Some(time) = run.next_period.get(component).filter(|_| scheduling) {
            fields.push(Field::string("@nextRunTime", format_time(*time)));
        }
        if let Some(time) = self.last_deactivation {
            fields.push(Field::string("@lastDeactivatedTime", format_time(time)));
        }
        fields
    }
}
