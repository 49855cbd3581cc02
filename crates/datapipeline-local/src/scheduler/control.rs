//! SetStatus and the cancellations it and DeactivatePipeline cause.

use super::Scheduler;
use crate::error::{ServiceError, ServiceResult};
use crate::model::Status;
use crate::state::run::ErrorFields;

/// A status SetStatus may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Components: no new attempts start until RESUME.
    Pause,
    /// Components: undo PAUSE.
    Resume,
    /// Instances: cancel, telling the lease holder to stop.
    TryCancel,
    /// Instances: run again from the start.
    Rerun,
    /// Instances: count as finished, releasing dependents.
    MarkFinished,
}

impl Control {
    /// Parses SetStatus's `status` member.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "PAUSE" => Self::Pause,
            "RESUME" => Self::Resume,
            "TRY_CANCEL" => Self::TryCancel,
            "RERUN" => Self::Rerun,
            "MARK_FINISHED" => Self::MarkFinished,
            _ => return None,
        })
    }

    fn for_components(self) -> bool {
        matches!(self, Self::Pause | Self::Resume)
    }
}

impl Scheduler<'_> {
    /// Checks that every id names an object `control` applies to, before
    /// anything changes.
    ///
    /// # Errors
    /// InvalidRequest naming the first id that does not fit.
    pub(crate) fn check_control(&self, ids: &[String], control: Control) -> ServiceResult<()> {
        let run = &self.pipeline.run;
        for id in ids {
            let fits = if control.for_components() {
                run.components.contains_key(id)
            } else {
                run.instances.contains_key(id)
            };
            if !fits {
                let sphere = if control.for_components() {
                    "a component"
                } else {
                    "an instance"
                };
                return Err(ServiceError::invalid(format!(
                    "objectIds: {id} is not {sphere} of pipeline {}; PAUSE and RESUME take component ids, TRY_CANCEL, RERUN and MARK_FINISHED take instance ids",
                    self.pipeline.id
                )));
            }
        }
        Ok(())
    }

    /// Applies a checked SetStatus.
    pub(crate) fn apply_control(&mut self, ids: &[String], control: Control) {
        for id in ids {
            match control {
                Control::Pause => {
                    self.pipeline.run.paused.insert(id.clone());
                    // An attempt already queued has not started: hold it
                    // back too, so RESUME is what lets the component run.
                    let queued: Vec<String> = self
                        .pipeline
                        .run
                        .instances
                        .values()
                        .filter(|instance| {
                            instance.component == *id && instance.status == Status::WaitingForRunner
                        })
                        .map(|instance| instance.id.clone())
                        .collect();
                    for instance in queued {
                        self.unqueue_instance(&instance);
                    }
                }
                Control::Resume => {
                    self.pipeline.run.paused.remove(id);
                    let waiting: Vec<String> = self
                        .pipeline
                        .run
                        .instances
                        .values()
                        .filter(|instance| {
                            instance.component == *id
                                && instance.status == Status::WaitingOnDependencies
                        })
                        .map(|instance| instance.id.clone())
                        .collect();
                    for instance in waiting {
                        self.refresh(&instance);
                    }
                }
                Control::TryCancel => self.cancel_instance(id),
                Control::Rerun => self.rerun(id),
                Control::MarkFinished => self.mark_finished(id),
            }
        }
    }

    /// Cancels instance `id` if it has not ended: its attempt's lease holder
    /// gets `canceled: true` at its next report.
    pub(crate) fn cancel_instance(&mut self, id: &str) {
        let now = self.clock.now();
        let run = &mut self.pipeline.run;
        let Some(instance) = run.instances.get_mut(id) else {
            return;
        };
        if instance.status.is_terminal() {
            return;
        }
        instance.status = Status::Canceled;
        instance.actual_end = Some(now);
        if let Some(attempt) = instance
            .attempts
            .last()
            .and_then(|head| run.attempts.get_mut(head))
        {
            if !attempt.status.is_terminal() {
                attempt.status = Status::Canceled;
                attempt.actual_end = Some(now);
                if let Some(lease) = attempt.lease.as_mut() {
                    lease.cancel_requested = true;
                }
            }
        }
        self.instance_ended(id);
    }

    /// Runs instance `id` again from the start, with its tries renewed, and
    /// reruns the instances that cascade-failed because of it.
    fn rerun(&mut self, id: &str) {
        self.cancel_instance(id);
        let run = &mut self.pipeline.run;
        let Some(instance) = run.instances.get_mut(id) else {
            return;
        };
        if instance.status == Status::Finished {
            self.audit.reruns += 1;
            self.ledger.rerun(&self.pipeline.id, id);
        }
        instance.status = Status::WaitingOnDependencies;
        instance.actual_end = None;
        instance.error = None;
        instance.precondition_deadline = None;
        instance.canceled_by_deactivation = false;
        let component = instance.component.clone();
        if let Some(object) = run.components.get(&component) {
            instance.tries_left = super::fields::maximum_retries(&object.fields);
        }
        let cascaded: Vec<String> = run
            .instances
            .values()
            .filter(|other| {
                other.status == Status::CascadeFailed
                    && other.cascade_failed_on.as_deref() == Some(id)
            })
            .map(|other| other.id.clone())
            .collect();
        for other in &cascaded {
            if let Some(instance) = run.instances.get_mut(other) {
                instance.status = Status::WaitingOnDependencies;
                instance.cascade_failed_on = None;
                instance.error = None;
                instance.actual_end = None;
            }
        }
        if self.pipeline.state == crate::state::pipeline::PipelineState::Finished {
            self.pipeline.state = crate::state::pipeline::PipelineState::Scheduled;
        }
        self.refresh(id);
    }

    /// Marks instance `id` finished, canceling a running attempt, and
    /// releases its dependents.
    fn mark_finished(&mut self, id: &str) {
        let now = self.clock.now();
        let run = &mut self.pipeline.run;
        let Some(instance) = run.instances.get_mut(id) else {
            return;
        };
        if let Some(attempt) = instance
            .attempts
            .last()
            .and_then(|head| run.attempts.get_mut(head))
        {
            if let Some(lease) = attempt.lease.as_mut() {
                lease.cancel_requested = true;
            }
        }
        instance.status = Status::Finished;
        instance.actual_end = Some(now);
        instance.error = None::<ErrorFields>;
        instance.canceled_by_deactivation = false;
        // A pipeline that settled on a failure has work again: the
        // dependents this releases.
        if self.pipeline.state == crate::state::pipeline::PipelineState::Finished {
            self.pipeline.state = crate::state::pipeline::PipelineState::Scheduled;
        }
        self.instance_ended(id);
    }
}
