//! The scheduler: turns an activated definition into instances and attempts,
//! queues attempts for runners, hands out and expires leases, and moves
//! objects through their statuses.
//!
//! Every method here is synchronous and runs under the state lock; time
//! enters only as the [`Clock`](crate::clock::Clock)'s readings and as timers
//! in [`Timers`](crate::state::Timers), which the driver task fires.
//!
//! The rules, where AWS leaves room:
//! - An activity's instance waits on the instances of its `dependsOn`
//!   objects and its `input` data nodes for the same scheduled period, and
//!   on its `precondition`s. A user-managed precondition is itself a task;
//!   a system-managed one (`S3KeyExists`, `S3PrefixNotEmpty`, the DynamoDB
//!   ones) is checked by the service (see [`service_checks`]). `FALSE` is
//!   retried after its `retryDelay` until its `preconditionTimeout` (counted
//!   from its first attempt), and without a `preconditionTimeout` it spends
//!   `maximumRetries` like a failure.
//! - A failed instance leaves `dependsOn` dependents waiting
//!   (WAITING_ON_DEPENDENCIES, as AWS does) unless the dependent's
//!   `failureAndRerunMode` is `cascade`, which makes them CASCADE_FAILED.
//!   A failed precondition or input always cascades: its dependent can never
//!   run.
//! - A lease that lapses puts the same attempt back in its queue; its next
//!   poll hands it out under a new taskId and the old one answers
//!   TaskNotFound.

mod activation;
mod control;
pub(crate) mod evaluate;
pub(crate) mod fields;
mod instances;
mod leasing;
mod outcomes;
mod readiness;
pub(crate) mod service_checks;
mod timers;

pub(crate) use control::Control;
pub(crate) use leasing::{PolledTask, TaskStatus};

use crate::clock::Clock;
use crate::config::{Limits, Timing};
use crate::error::ServiceResult;
use crate::state::{AttemptKey, Audit, Ledger, Pipeline, Queues, State, Timers};

/// The scheduler's view of one pipeline and the shared parts of the state
/// it changes: borrowed from [`State`] field by field so that the pipeline
/// and the queues can be changed together.
#[derive(Debug)]
pub(crate) struct Scheduler<'a> {
    pub(crate) pipeline: &'a mut Pipeline,
    pub(crate) queues: &'a mut Queues,
    /// Where system-managed preconditions wait for the service's own check.
    pub(crate) service_checks: &'a mut Vec<AttemptKey>,
    pub(crate) timers: &'a mut Timers,
    pub(crate) audit: &'a mut Audit,
    pub(crate) ledger: &'a mut Ledger,
    pub(crate) clock: Clock,
    pub(crate) timing: &'a Timing,
    pub(crate) limits: &'a Limits,
}

impl State {
    /// The scheduler for pipeline `id`.
    ///
    /// # Errors
    /// PipelineNotFound or PipelineDeleted.
    pub(crate) fn scheduler(&mut self, id: &str) -> ServiceResult<Scheduler<'_>> {
        self.pipeline(id)?;
        let State {
            pipelines,
            queues,
            service_checks,
            timers,
            audit,
            ledger,
            clock,
            timing,
            limits,
            ..
        } = self;
        let pipeline = pipelines.get_mut(id).ok_or_else(|| {
            crate::error::ServiceError::Internal(format!("pipeline {id} vanished"))
        })?;
        Ok(Scheduler {
            pipeline,
            queues,
            service_checks,
            timers,
            audit,
            ledger,
            clock: *clock,
            timing,
            limits,
        })
    }
}
