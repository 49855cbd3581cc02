//! Leases: handing attempts to runners, reports, statuses, and expiry.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand::RngCore;
use tokio::time::Instant;

use super::evaluate::evaluate_fields_or_keep;
use super::fields::duration;
use crate::error::{ServiceError, ServiceResult};
use crate::model::{Field, FieldValue, PipelineObject, Status};
use crate::state::pipeline::PipelineState;
use crate::state::run::{instance_id, ErrorFields, Lease};
use crate::state::{AttemptKey, State, TimerEvent};

/// A task handed to a runner by PollForTask.
#[derive(Debug, Clone)]
pub(crate) struct PolledTask {
    pub(crate) task_id: Arc<str>,
    pub(crate) pipeline_id: String,
    pub(crate) attempt_id: String,
    /// The attempt object and every object it references, transitively.
    pub(crate) objects: BTreeMap<String, PipelineObject>,
}

/// How a runner ended a task (SetTaskStatus's `taskStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskStatus {
    Finished,
    Failed,
    False,
}

impl TaskStatus {
    /// The wire name, for the lease ledger.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::False => "FALSE",
        }
    }
}

/// How many random bytes go into a taskId. The API Reference's example id is
/// about 1.4 KB; ours are long too, so that runners that store or log them
/// meet realistic sizes, and they carry nothing a runner could parse.
const TASK_ID_RANDOM_BYTES: usize = 384;

fn new_task_id() -> Arc<str> {
    let mut bytes = [0_u8; TASK_ID_RANDOM_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes).into()
}

impl State {
    /// Takes the next attempt queued for `worker_group` and leases it, or
    /// `None` when the queue is empty.
    pub(crate) fn lease_next(
        &mut self,
        worker_group: &str,
        hostname: Option<&str>,
    ) -> Option<PolledTask> {
        while let Some(key) = self.queues.pop(worker_group) {
            if let Some(task) = self.lease(&key, hostname) {
                self.ledger
                    .granted(&task.task_id, &key, worker_group, hostname);
                return Some(task);
            }
        }
        None
    }

    /// Leases the attempt `key` if it is still waiting for a runner.
    fn lease(&mut self, key: &AttemptKey, hostname: Option<&str>) -> Option<PolledTask> {
        let now = Instant::now();
        let time = self.clock.now();
        let ack_deadline = now + self.timing.ack_timeout;
        let pipeline = self.pipelines.get_mut(&*key.pipeline)?;
        let attempt = pipeline.run.attempts.get_mut(&*key.attempt)?;
        if attempt.status != Status::WaitingForRunner || attempt.lease.is_some() {
            return None;
        }
        let task_id = new_task_id();
        attempt.status = Status::Running;
        attempt.actual_start.get_or_insert(time);
        attempt.hostname = hostname.map(str::to_owned);
        attempt.lease = Some(Lease {
            task_id: task_id.clone(),
            acknowledged: false,
            deadline: ack_deadline,
            cancel_requested: false,
        });
        let instance = pipeline.run.instances.get_mut(&attempt.instance)?;
        instance.status = Status::Running;
        let attempt_timeout = duration(&instance.fields, "attemptTimeout");
        let objects = task_objects(pipeline, &key.attempt);
        self.leases.insert(task_id.clone(), key.clone());
        self.timers.arm(
            ack_deadline,
            TimerEvent::LeaseDeadline {
                task_id: task_id.clone(),
            },
        );
        if let Some(timeout) = attempt_timeout {
            let at = now + self.timing.work_deadline(timeout);
            let event = TimerEvent::AttemptTimeout {
                pipeline: key.pipeline.clone(),
                attempt: key.attempt.to_string(),
                task_id: task_id.clone(),
            };
            self.timers.arm(at, event);
        }
        self.audit.tasks_polled += 1;
        Some(PolledTask {
            task_id,
            pipeline_id: key.pipeline.to_string(),
            attempt_id: key.attempt.to_string(),
            objects,
        })
    }

    /// The live lease `task_id`, or the error its holder must get.
    fn live_lease(&self, task_id: &str) -> ServiceResult<AttemptKey> {
        if let Some(pipeline) = self.deleted_leases.get(task_id) {
            return Err(ServiceError::PipelineDeleted(format!(
                "pipeline {pipeline} of this task was deleted"
            )));
        }
        let key = self.leases.get(task_id).ok_or_else(task_not_found)?;
        if !self.pipelines.contains_key(&*key.pipeline) {
            return Err(ServiceError::PipelineNotFound(format!(
                "pipeline {} of this task does not exist",
                key.pipeline
            )));
        }
        Ok(key.clone())
    }

    /// ReportTaskProgress: extends the lease and answers whether the runner
    /// must stop.
    pub(crate) fn report_progress(
        &mut self,
        task_id: &str,
        fields: Vec<Field>,
    ) -> ServiceResult<bool> {
        let key = match self.live_lease(task_id) {
            Ok(key) => key,
            Err(error) => {
                self.audit.stale_reports += 1;
                return Err(error);
            }
        };
        let now = Instant::now();
        let time = self.clock.now();
        if self.lapse_if_past_deadline(task_id, now) {
            self.audit.stale_reports += 1;
            return Err(task_not_found());
        }
        let default_timeout = self.timing.default_report_progress_timeout;
        let timing = self.timing.clone();
        let pipeline = self
            .pipelines
            .get_mut(&*key.pipeline)
            .ok_or_else(task_not_found)?;
        let attempt = pipeline
            .run
            .attempts
            .get_mut(&*key.attempt)
            .ok_or_else(task_not_found)?;
        let instance = pipeline
            .run
            .instances
            .get(&attempt.instance)
            .ok_or_else(task_not_found)?;
        let timeout = duration(&instance.fields, "reportProgressTimeout")
            .map_or(default_timeout, |timeout| timing.work_deadline(timeout));
        let lease = attempt.lease.as_mut().ok_or_else(task_not_found)?;
        if lease.cancel_requested {
            self.ledger.cancel_delivered(task_id);
            return Ok(true);
        }
        if !lease.acknowledged {
            lease.acknowledged = true;
            self.audit.acknowledgements += 1;
        }
        // The armed timer re-arms itself when it finds the deadline
        // extended, so a report arms a timer only when it brings the
        // deadline forward (a reportProgressTimeout shorter than the
        // acknowledgement's).
        let deadline = now + timeout;
        if deadline < lease.deadline {
            let task_id = lease.task_id.clone();
            self.timers
                .arm(deadline, TimerEvent::LeaseDeadline { task_id });
        }
        lease.deadline = deadline;
        attempt.report_progress_time = Some(time);
        if !fields.is_empty() {
            attempt.progress = fields;
        }
        self.audit.progress_reports += 1;
        self.ledger.reported(task_id);
        Ok(false)
    }

    /// SetTaskStatus: ends the lease and moves the attempt and its instance.
    pub(crate) fn set_task_status(
        &mut self,
        task_id: &str,
        status: TaskStatus,
        error: ErrorFields,
    ) -> ServiceResult<()> {
        let key = match self.live_lease(task_id) {
            Ok(key) => key,
            Err(error) => {
                self.audit.stale_statuses += 1;
                self.ledger.status_fenced(task_id);
                return Err(error);
            }
        };
        if self.lapse_if_past_deadline(task_id, Instant::now()) {
            self.audit.stale_statuses += 1;
            self.ledger.status_fenced(task_id);
            return Err(task_not_found());
        }
        self.leases.remove(task_id);
        let cancel_requested = {
            let pipeline = self
                .pipelines
                .get_mut(&*key.pipeline)
                .ok_or_else(task_not_found)?;
            let attempt = pipeline
                .run
                .attempts
                .get_mut(&*key.attempt)
                .ok_or_else(task_not_found)?;
            attempt
                .lease
                .take()
                .is_some_and(|lease| lease.cancel_requested)
        };
        if cancel_requested {
            self.audit.statuses_after_cancel += 1;
            self.ledger.status_accepted(task_id, None);
            return Ok(());
        }
        self.audit.statuses_accepted += 1;
        self.ledger.status_accepted(task_id, Some(status.as_str()));
        let mut scheduler = self.scheduler(&key.pipeline)?;
        scheduler.attempt_ended(&key.attempt, status, error);
        Ok(())
    }

    /// Expires lease `task_id` now if its deadline has passed, even though
    /// its timer has not fired yet: a call that arrives after the deadline
    /// finds the lease gone, whatever the timers' order. Answers whether it
    /// expired.
    fn lapse_if_past_deadline(&mut self, task_id: &str, now: Instant) -> bool {
        let Some((task_id, key)) = self.leases.get_key_value(task_id) else {
            return false;
        };
        let lapsed = self
            .pipelines
            .get(&*key.pipeline)
            .and_then(|pipeline| pipeline.run.attempts.get(&*key.attempt))
            .and_then(|attempt| attempt.lease.as_ref())
            .is_some_and(|lease| lease.deadline <= now);
        if lapsed {
            let task_id = task_id.clone();
            self.expire_lease(&task_id, now);
        }
        lapsed
    }

    /// Expires lease `task_id` if its deadline passed, putting its attempt
    /// back in the queue; re-arms the timer if the lease was extended.
    pub(crate) fn expire_lease(&mut self, task_id: &Arc<str>, now: Instant) {
        let Some(key) = self.leases.get(task_id).cloned() else {
            return;
        };
        let Some(pipeline) = self.pipelines.get_mut(&*key.pipeline) else {
            return;
        };
        let Some(attempt) = pipeline.run.attempts.get_mut(&*key.attempt) else {
            return;
        };
        let Some(lease) = attempt.lease.as_ref() else {
            return;
        };
        if lease.deadline > now {
            let deadline = lease.deadline;
            self.timers.arm(
                deadline,
                TimerEvent::LeaseDeadline {
                    task_id: task_id.clone(),
                },
            );
            return;
        }
        let cancel_requested = lease.cancel_requested;
        attempt.lease = None;
        self.leases.remove(task_id);
        self.audit.leases_expired += 1;
        if cancel_requested {
            self.ledger.canceled_lapsed(task_id);
            return;
        }
        let requeued = pipeline.state == PipelineState::Scheduled;
        self.ledger.expired(task_id, requeued);
        let instance_id = attempt.instance.clone();
        if pipeline.state != PipelineState::Scheduled {
            // Deactivated without cancel: nothing may start until the
            // pipeline is activated again, which starts a new attempt.
            attempt.status = Status::Canceled;
            attempt.actual_end = Some(self.clock.now());
            if let Some(instance) = pipeline.run.instances.get_mut(&instance_id) {
                instance.status = Status::WaitingOnDependencies;
            }
            return;
        }
        attempt.reassignments += 1;
        attempt.status = Status::WaitingForRunner;
        let Some(instance) = pipeline.run.instances.get_mut(&instance_id) else {
            return;
        };
        instance.status = Status::WaitingForRunner;
        if let Some(worker_group) = instance.worker_group.clone() {
            self.queues.push(&worker_group, key);
        }
    }

    /// Times out the attempt if lease `task_id` still holds it.
    pub(crate) fn time_out_attempt(&mut self, pipeline: &str, attempt: &str, task_id: &Arc<str>) {
        let Ok(mut scheduler) = self.scheduler(pipeline) else {
            return;
        };
        let Some(held) = scheduler.pipeline.run.attempts.get_mut(attempt) else {
            return;
        };
        let Some(lease) = held
            .lease
            .as_mut()
            .filter(|lease| lease.task_id == *task_id && !lease.cancel_requested)
        else {
            return;
        };
        // The holder learns from its next report; the lease stays until it
        // lapses so that the holder gets `canceled: true`, not TaskNotFound.
        lease.cancel_requested = true;
        let error = ErrorFields {
            error_id: Some("AttemptTimeout".into()),
            error_message: Some(format!("{attempt} ran past its attemptTimeout")),
            error_stack_trace: None,
        };
        scheduler.attempt_timed_out(attempt, error);
    }
}

fn task_not_found() -> ServiceError {
    ServiceError::TaskNotFound(
        "the task does not exist or is no longer held under this taskId".into(),
    )
}

/// The objects a polled task carries: the attempt object, keyed by its id,
/// and every object it references, transitively, with their effective
/// fields evaluated for the attempt's period (see [`referenced_object`]).
fn task_objects(
    pipeline: &crate::state::Pipeline,
    attempt_id: &str,
) -> BTreeMap<String, PipelineObject> {
    let mut objects = BTreeMap::new();
    let Some(attempt) = pipeline.object(attempt_id) else {
        return objects;
    };
    let mut pending: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let collect = |object: &PipelineObject, pending: &mut Vec<String>| {
        for field in &object.fields {
            if let FieldValue::Ref(id) = &field.value {
                // Runtime references (@instanceParent, @headAttempt, …) point
                // at objects the runner does not need.
                if !field.key.starts_with('@') {
                    pending.push(id.clone());
                }
            }
        }
    };
    collect(&attempt, &mut pending);
    seen.insert(attempt.id.clone());
    objects.insert(attempt.id.clone(), attempt);
    while let Some(id) = pending.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(object) = referenced_object(pipeline, attempt_id, &id) {
            collect(&object, &mut pending);
            objects.insert(id, object);
        }
    }
    objects
}

/// The component `id` as a task referring to it sees it: its expressions
/// evaluated for the period of the attempt's instance, so that an input's
/// `directoryPath` of `s3://…/#{format(@scheduledStartTime, …)}` names the
/// period's data. The instance of `id` for that period (an input's or a
/// precondition's) is used when there is one; else the component is
/// evaluated in that period's scope. A field whose expression fails keeps
/// its text, as the component has it.
fn referenced_object(
    pipeline: &crate::state::Pipeline,
    attempt_id: &str,
    id: &str,
) -> Option<PipelineObject> {
    let component = pipeline.run.components.get(id)?;
    let period_instance = pipeline
        .run
        .attempts
        .get(attempt_id)
        .and_then(|attempt| pipeline.run.instances.get(&attempt.instance));
    let Some(period_instance) = period_instance else {
        return Some(component.clone());
    };
    let own_instance_id = instance_id(id, period_instance.scheduled_start);
    let fields = match pipeline.run.instances.get(&own_instance_id) {
        Some(own) if !own.fields.is_empty() => own.fields.clone(),
        _ => {
            let mut scope = period_instance.clone();
            scope.id = own_instance_id;
            evaluate_fields_or_keep(
                component,
                &scope,
                &pipeline.run.components,
                &pipeline.run.parameters,
            )
        }
    };
    Some(PipelineObject {
        fields,
        ..component.clone()
    })
}
