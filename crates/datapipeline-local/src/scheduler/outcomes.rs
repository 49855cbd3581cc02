//! What happens when an attempt ends: finish, retry, or fail.

use super::fields::retry_delay;
use super::leasing::TaskStatus;
use super::Scheduler;
use crate::model::Status;
use crate::state::run::{ErrorFields, InstanceKind};
use crate::state::TimerEvent;

impl Scheduler<'_> {
    /// Applies a runner's SetTaskStatus to `attempt`, whose lease was just
    /// released.
    pub(crate) fn attempt_ended(&mut self, attempt: &str, status: TaskStatus, error: ErrorFields) {
        let now = self.clock.now();
        let Some(held) = self.pipeline.run.attempts.get_mut(attempt) else {
            return;
        };
        held.actual_end = Some(now);
        let instance_id = held.instance.clone();
        match status {
            TaskStatus::Finished => {
                held.status = Status::Finished;
                self.audit.attempts_finished += 1;
                let Some(instance) = self.pipeline.run.instances.get_mut(&instance_id) else {
                    return;
                };
                instance.status = Status::Finished;
                instance.actual_end = Some(now);
                instance.error = None;
                self.instance_ended(&instance_id);
            }
            TaskStatus::Failed => {
                held.status = Status::Failed;
                held.error = Some(error.clone());
                self.audit.attempts_failed += 1;
                self.retry_or_fail(&instance_id, error, false);
            }
            TaskStatus::False => {
                held.status = Status::Failed;
                let error = ErrorFields {
                    error_id: error.error_id.or_else(|| Some("PreconditionNotMet".into())),
                    error_message: error
                        .error_message
                        .or_else(|| Some("the precondition does not hold yet".into())),
                    error_stack_trace: error.error_stack_trace,
                };
                held.error = Some(error.clone());
                self.audit.attempts_failed += 1;
                self.retry_or_fail(&instance_id, error, true);
            }
        }
    }

    /// Marks `attempt` TIMEDOUT and retries or fails its instance.
    pub(crate) fn attempt_timed_out(&mut self, attempt: &str, error: ErrorFields) {
        let now = self.clock.now();
        let Some(held) = self.pipeline.run.attempts.get_mut(attempt) else {
            return;
        };
        held.status = Status::TimedOut;
        held.actual_end = Some(now);
        held.error = Some(error.clone());
        self.audit.attempts_failed += 1;
        let instance_id = held.instance.clone();
        self.retry_or_fail(&instance_id, error, false);
    }

    /// Schedules another attempt of `instance_id` after its `retryDelay`
    /// if it has tries left, else fails it. A precondition's `FALSE`
    /// (`precondition_false`) is retried until its `preconditionTimeout`
    /// when it has one, regardless of tries.
    fn retry_or_fail(&mut self, instance_id: &str, error: ErrorFields, precondition_false: bool) {
        let now = self.clock.now();
        let floor = self.timing.retry_delay_floor;
        let Some(instance) = self.pipeline.run.instances.get_mut(instance_id) else {
            return;
        };
        let within_timeout = instance
            .precondition_deadline
            .map(|deadline| now < deadline);
        let retry = match (
            precondition_false && instance.kind == InstanceKind::Precondition,
            within_timeout,
        ) {
            (true, Some(within)) => within,
            _ if instance.tries_left > 0 => {
                instance.tries_left -= 1;
                true
            }
            _ => false,
        };
        if retry {
            instance.status = Status::WaitingToRetry;
            let delay = self.clock.wall(retry_delay(&instance.fields)).max(floor);
            let event = TimerEvent::Retry {
                pipeline: self.pipeline.id.as_str().into(),
                instance: instance_id.to_owned(),
            };
            self.timers.arm(tokio::time::Instant::now() + delay, event);
            return;
        }
        instance.status = if error.error_id.as_deref() == Some("AttemptTimeout") {
            Status::TimedOut
        } else {
            Status::Failed
        };
        instance.actual_end = Some(now);
        instance.error = Some(if within_timeout == Some(false) {
            ErrorFields {
                error_id: Some("PreconditionTimeout".into()),
                error_message: Some(format!(
                    "{instance_id} did not hold within its preconditionTimeout"
                )),
                error_stack_trace: None,
            }
        } else {
            error
        });
        self.instance_ended(instance_id);
    }

    /// A retry timer fired: start the next attempt if the instance still
    /// waits for it.
    pub(crate) fn retry_due(&mut self, instance_id: &str) {
        let Some(instance) = self.pipeline.run.instances.get_mut(instance_id) else {
            return;
        };
        if instance.status != Status::WaitingToRetry {
            return;
        }
        instance.status = Status::WaitingOnDependencies;
        self.refresh(instance_id);
    }
}
