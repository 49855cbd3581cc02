//! ActivatePipeline and DeactivatePipeline.

use chrono::{NaiveDateTime, TimeDelta};

use super::instances::Cadence;
use super::Scheduler;
use crate::definition::{
    effective_objects, parameter_table, validate, ParameterValue, ValidationReport,
};
use crate::error::{ServiceError, ServiceResult};
use crate::model::Status;
use crate::state::pipeline::PipelineState;
use crate::state::run::{instance_id, InstanceKind};

impl Scheduler<'_> {
    /// Activates the pipeline: puts its latest definition in force with the
    /// given parameter values and starts scheduling. Activating an active
    /// pipeline changes nothing; activating a deactivated one resumes it,
    /// rerunning what the deactivation canceled (what SetStatus TRY_CANCEL
    /// canceled stays canceled). An on-demand pipeline runs
    /// once more at every activation.
    ///
    /// # Errors
    /// InvalidRequest when the pipeline has no definition or the definition
    /// or parameter values are invalid.
    pub(crate) fn activate(
        &mut self,
        overrides: Option<&[ParameterValue]>,
        start: Option<NaiveDateTime>,
    ) -> ServiceResult<()> {
        let definition = self.pipeline.latest.clone().ok_or_else(|| {
            ServiceError::invalid(format!(
                "pipeline {} has no definition: put one with PutPipelineDefinition before activating it",
                self.pipeline.id
            ))
        })?;
        let report = validate(&definition);
        if report.errored() {
            return Err(ServiceError::invalid(format!(
                "pipeline {} has an invalid definition: {}",
                self.pipeline.id,
                summarize(&report)
            )));
        }
        let parameters = parameter_table(&definition, overrides)
            .map_err(|error| ServiceError::invalid(format!("parameterValues: {error}")))?;
        let components = effective_objects(&definition.objects)
            .map_err(|error| ServiceError::invalid(error.to_string()))?;
        let was_active = self.pipeline.state == PipelineState::Scheduled;
        let resumed = self.pipeline.state == PipelineState::Inactive;
        let now = start.unwrap_or_else(|| self.clock.now());
        self.pipeline.run.components = components;
        self.pipeline.run.parameters = parameters;
        self.pipeline.active = Some(definition);
        self.pipeline.last_activation = Some(now);
        self.pipeline.activations += 1;
        self.pipeline.state = PipelineState::Scheduled;
        if was_active {
            return Ok(());
        }
        if resumed {
            let canceled: Vec<String> = self
                .pipeline
                .run
                .instances
                .values()
                .filter(|instance| {
                    instance.status == Status::Canceled && instance.canceled_by_deactivation
                })
                .map(|instance| instance.id.clone())
                .collect();
            for id in canceled {
                if let Some(instance) = self.pipeline.run.instances.get_mut(&id) {
                    instance.status = Status::WaitingOnDependencies;
                    instance.actual_end = None;
                    instance.canceled_by_deactivation = false;
                }
            }
        }
        for component in self.activity_components() {
            match self.cadence(&component) {
                Cadence::OnDemand if !resumed => {
                    let mut start = now;
                    while self
                        .pipeline
                        .run
                        .instances
                        .contains_key(&instance_id(&component, start))
                    {
                        // Two activations in one second: keep instance ids
                        // unique by moving the later one a second on.
                        start += TimeDelta::seconds(1);
                    }
                    self.create_instance(&component, start, start, InstanceKind::Activity, None);
                }
                Cadence::OnDemand => {}
                Cadence::Scheduled { .. } => self.schedule_component(&component),
            }
        }
        let waiting: Vec<String> = self
            .pipeline
            .run
            .instances
            .values()
            .filter(|instance| instance.status == Status::WaitingOnDependencies)
            .map(|instance| instance.id.clone())
            .collect();
        for id in waiting {
            self.refresh(&id);
        }
        self.finish_pipeline_if_done();
        Ok(())
    }

    /// Deactivates the pipeline. With `cancel_active`, every instance that
    /// has not ended is canceled and the holders of its leases are told to
    /// stop; without it, running attempts go on and nothing new starts.
    pub(crate) fn deactivate(&mut self, cancel_active: bool) {
        if self.pipeline.state != PipelineState::Scheduled {
            return;
        }
        self.pipeline.state = PipelineState::Inactive;
        self.pipeline.last_deactivation = Some(self.clock.now());
        let open: Vec<String> = self
            .pipeline
            .run
            .instances
            .values()
            .filter(|instance| !instance.status.is_terminal())
            .map(|instance| instance.id.clone())
            .collect();
        for id in open {
            if cancel_active {
                self.cancel_instance(&id);
                if let Some(instance) = self.pipeline.run.instances.get_mut(&id) {
                    instance.canceled_by_deactivation = true;
                }
            } else {
                self.unqueue_instance(&id);
            }
        }
    }

    /// Takes a queued, unleased attempt of `id` back, so that nothing starts
    /// while the pipeline is inactive or the component paused; the instance
    /// waits again.
    pub(super) fn unqueue_instance(&mut self, id: &str) {
        let run = &mut self.pipeline.run;
        let Some(instance) = run.instances.get_mut(id) else {
            return;
        };
        if instance.status != Status::WaitingForRunner {
            return;
        }
        let Some(head) = instance.attempts.last() else {
            return;
        };
        if run
            .attempts
            .get(head)
            .is_some_and(|attempt| attempt.lease.is_none())
        {
            // The queue entry stays behind and is skipped when popped.
            run.attempts.remove(head);
            instance.attempts.pop();
            instance.status = Status::WaitingOnDependencies;
        }
    }
}

/// The errors of a validation report on one line, for an error message.
fn summarize(report: &ValidationReport) -> String {
    report
        .errors
        .iter()
        .flat_map(|object| {
            object
                .messages
                .iter()
                .map(move |message| format!("{}: {message}", object.id))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
