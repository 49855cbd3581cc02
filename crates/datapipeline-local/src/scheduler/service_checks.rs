//! System-managed preconditions: the ones the service checks itself, with
//! no runner (dp-concepts-preconditions.md). `S3KeyExists` and
//! `S3PrefixNotEmpty` are checked against the S3 store the service is
//! configured with; the DynamoDB ones cannot be, as DynamoDB is not
//! emulated, and fail.
//!
//! The scheduler is synchronous and runs under the state lock, while a check
//! is network I/O. So the split is: [`Scheduler::start`] gives a
//! system-managed precondition an attempt like any other, but puts its key
//! in [`State::service_checks`] instead of a worker group's queue; the
//! service's check driver (`crate::checks`) takes them with
//! [`State::take_service_checks`], runs each check outside the lock, and
//! reports the outcome with [`State::service_check_ended`], which ends the
//! attempt through the same path a runner's SetTaskStatus takes, so that
//! `FALSE` is retried after `retryDelay` until `preconditionTimeout` as for
//! any precondition.

use super::fields::first;
use super::leasing::TaskStatus;
use super::Scheduler;
use crate::model::Status;
use crate::state::run::{ErrorFields, InstanceKind};
use crate::state::{AttemptKey, State};

/// The hostname recorded on the attempts the service runs itself.
pub(crate) const SERVICE_HOSTNAME: &str = "datapipeline-local";

/// What a system-managed precondition asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// `S3KeyExists`: is there an object at this `s3://bucket/key`?
    S3Key(String),
    /// `S3PrefixNotEmpty`: is there any object under this
    /// `s3://bucket/prefix`?
    S3Prefix(String),
    /// `DynamoDBDataExists` or `DynamoDBTableExists`, named by type:
    /// DynamoDB is not emulated, so these always fail.
    DynamoDb(&'static str),
}

impl Check {
    /// The check a precondition of type `type_name` with `fields` asks
    /// for, or `None` when the type is user-managed (a runner checks it).
    pub(crate) fn of(type_name: &str, fields: &[crate::model::Field]) -> Option<Self> {
        let value = |key| first(fields, key).unwrap_or_default().to_owned();
        match type_name {
            "S3KeyExists" => Some(Self::S3Key(value("s3Key"))),
            "S3PrefixNotEmpty" => Some(Self::S3Prefix(value("s3Prefix"))),
            "DynamoDBDataExists" => Some(Self::DynamoDb("DynamoDBDataExists")),
            "DynamoDBTableExists" => Some(Self::DynamoDb("DynamoDBTableExists")),
            _ => None,
        }
    }
}

/// A check taken from the state to run: the attempt it ends, and what it asks.
#[derive(Debug, Clone)]
pub(crate) struct ServiceCheck {
    /// The attempt the outcome ends.
    pub(crate) key: AttemptKey,
    /// What to check.
    pub(crate) check: Check,
}

/// How a check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    /// The condition holds: the precondition finishes.
    Holds,
    /// The condition does not hold yet: retried as a runner's `FALSE` is.
    DoesNotHold(String),
    /// The store could not be asked (unreachable, refused): the attempt
    /// fails and is retried while `maximumRetries` allows.
    Error(ErrorFields),
    /// The check can never succeed here (no S3 store configured, DynamoDB,
    /// a malformed URI): the instance fails at once, with no retry.
    Impossible(ErrorFields),
}

impl Scheduler<'_> {
    /// The check instance `id` needs from the service itself, if it is a
    /// system-managed precondition.
    pub(super) fn service_check(&self, id: &str) -> Option<Check> {
        let instance = self.pipeline.run.instances.get(id)?;
        if instance.kind != InstanceKind::Precondition {
            return None;
        }
        Check::of(first(&instance.fields, "type")?, &instance.fields)
    }

    /// Fails `attempt` and its instance with `error`, spending no retry:
    /// for a check that cannot succeed however often it is tried.
    fn fail_for_good(&mut self, attempt: &str, error: ErrorFields) {
        let now = self.clock.now();
        let Some(held) = self.pipeline.run.attempts.get_mut(attempt) else {
            return;
        };
        held.status = Status::Failed;
        held.actual_end = Some(now);
        held.error = Some(error.clone());
        self.audit.attempts_failed += 1;
        let instance_id = held.instance.clone();
        let Some(instance) = self.pipeline.run.instances.get_mut(&instance_id) else {
            return;
        };
        instance.status = Status::Failed;
        instance.actual_end = Some(now);
        instance.error = Some(error);
        self.instance_ended(&instance_id);
    }
}

impl State {
    /// Takes the checks waiting for the driver, marking each attempt and
    /// its instance RUNNING. Keys whose attempt no longer waits (canceled,
    /// paused, its pipeline deleted) are dropped.
    pub(crate) fn take_service_checks(&mut self) -> Vec<ServiceCheck> {
        let keys = std::mem::take(&mut self.service_checks);
        let now = self.clock.now();
        let mut taken = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(pipeline) = self.pipelines.get_mut(&*key.pipeline) else {
                continue;
            };
            let Some(attempt) = pipeline.run.attempts.get_mut(&*key.attempt) else {
                continue;
            };
            if attempt.status != Status::WaitingForRunner || attempt.lease.is_some() {
                continue;
            }
            let instance_id = attempt.instance.clone();
            let Some(instance) = pipeline.run.instances.get_mut(&instance_id) else {
                continue;
            };
            let Some(check) = first(&instance.fields, "type")
                .and_then(|type_name| Check::of(type_name, &instance.fields))
            else {
                continue;
            };
            instance.status = Status::Running;
            attempt.status = Status::Running;
            attempt.actual_start.get_or_insert(now);
            attempt.hostname = Some(SERVICE_HOSTNAME.to_owned());
            taken.push(ServiceCheck { key, check });
        }
        taken
    }

    /// Ends the attempt of a check with its outcome, if the attempt and its
    /// instance still run (a cancel, a rerun, a MARK_FINISHED or a
    /// deactivation may have ended them while the check was in flight;
    /// then the outcome is dropped).
    pub(crate) fn service_check_ended(&mut self, key: &AttemptKey, outcome: CheckOutcome) {
        let Ok(mut scheduler) = self.scheduler(&key.pipeline) else {
            return;
        };
        // The instance too: MARK_FINISHED ends the instance but leaves its
        // attempt as it was, and a late FALSE must not undo it.
        let run = &scheduler.pipeline.run;
        let running = run
            .attempts
            .get(&*key.attempt)
            .filter(|attempt| attempt.status == Status::Running && attempt.lease.is_none())
            .and_then(|attempt| run.instances.get(&attempt.instance))
            .is_some_and(|instance| instance.status == Status::Running);
        if !running {
            return;
        }
        match outcome {
            CheckOutcome::Holds => {
                scheduler.attempt_ended(&key.attempt, TaskStatus::Finished, ErrorFields::default());
            }
            CheckOutcome::DoesNotHold(message) => {
                let error = ErrorFields {
                    error_id: Some("PreconditionNotMet".into()),
                    error_message: Some(message),
                    error_stack_trace: None,
                };
                scheduler.attempt_ended(&key.attempt, TaskStatus::False, error);
            }
            CheckOutcome::Error(error) => {
                scheduler.attempt_ended(&key.attempt, TaskStatus::Failed, error);
            }
            CheckOutcome::Impossible(error) => scheduler.fail_for_good(&key.attempt, error),
        }
    }

    /// Queues again the checks a restart interrupted: with `--state`, an
    /// attempt of a system-managed precondition that was waiting for its
    /// check, or whose check was in flight, when the service stopped.
    pub(crate) fn recover_service_checks(&mut self) {
        let mut interrupted = Vec::new();
        for (pipeline_id, pipeline) in self.pipelines.iter() {
            for instance in pipeline.run.instances.values() {
                let waits = matches!(instance.status, Status::WaitingForRunner | Status::Running);
                let is_check = instance.kind == InstanceKind::Precondition
                    && first(&instance.fields, "type")
                        .and_then(|type_name| Check::of(type_name, &instance.fields))
                        .is_some();
                if !(waits && is_check) {
                    continue;
                }
                if let Some(head) = instance.attempts.last() {
                    interrupted.push(AttemptKey {
                        pipeline: pipeline_id.as_str().into(),
                        attempt: head.as_str().into(),
                    });
                }
            }
        }
        for key in interrupted {
            let Some(pipeline) = self.pipelines.get_mut(&*key.pipeline) else {
                continue;
            };
            let Some(attempt) = pipeline.run.attempts.get_mut(&*key.attempt) else {
                continue;
            };
            if attempt.lease.is_none() && attempt.status == Status::Running {
                attempt.status = Status::WaitingForRunner;
            }
            self.service_checks.push(key);
        }
    }
}
