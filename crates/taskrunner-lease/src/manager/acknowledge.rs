//! [`LeaseManager::acknowledge`]: a task's acknowledgement, sent by the task
//! that holds it whenever the call budget allows.
//!
//! Through [`LeaseManager::acquire`] the acknowledgement takes four
//! hand-offs between tasks: the holder wakes the driver, the driver spawns
//! the call, the call's answer wakes the driver, the driver wakes the holder
//! through the lease state. Each is a wake-up of another thread, and on a
//! busy runner of short tasks they cost more CPU than the lease's own
//! bookkeeping. When a ReportTaskProgress token is at hand, nothing needs
//! the driver: the holder runs the lease machine's first steps itself (due,
//! sent, answered) and hands the driver a lease that is already held, whose
//! next report is a routine one a minute away, which the [`Inbox`] passes
//! on without waking anyone.
//!
//! The guarantees are those of the driver's path: the same machine decides,
//! the acknowledgement still goes out before the task runs and takes a
//! budget token, a refusal ends the lease the same way, and a failed call is
//! retried by the driver with the machine's backoff. Without a token at hand
//! the driver sends it, first in its queue, as before.
//!
//! [`Inbox`]: super::inbox::Inbox

use rand::Rng;
use taskrunner_api::{CancelReason, Cancellation, Operation, ProgressSink, Task, TaskId};
use tokio::time::Instant;

use super::{AcquireError, LeaseHandle, LeaseManager};
use crate::fields::sanitize;
use crate::lease::{Action, Lease};
use crate::{telemetry, LeaseState};

/// Why [`LeaseManager::acknowledge`] returned no lease. Either way the task
/// must not run, and no SetTaskStatus may be sent for it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcknowledgeError {
    /// The manager has shut down; see [`AcquireError::Stopped`].
    #[error(transparent)]
    Stopped(#[from] AcquireError),
    /// The lease ended before its acknowledgement was accepted: the service
    /// canceled the task or said it is gone, or the acknowledgement window
    /// passed while the calls failed.
    #[error("the lease of {task_id} ended before it was acknowledged: {reason}")]
    Ended {
        /// The task that must not run.
        task_id: TaskId,
        /// Why the lease ended.
        reason: CancelReason,
    },
}

impl AcknowledgeError {
    /// The reason the task's cancellation was tripped with, if the lease
    /// ended (`None` when the manager had stopped).
    pub fn cancel_reason(&self) -> Option<CancelReason> {
        match self {
            Self::Stopped(_) => None,
            Self::Ended { reason, .. } => Some(*reason),
        }
    }
}

impl LeaseManager {
    /// Registers a task that PollForTask just returned and completes once
    /// its acknowledgement was accepted: [`LeaseManager::acquire`] and
    /// [`LeaseHandle::acknowledged`] in one call, and cheaper.
    ///
    /// When the call budget has a ReportTaskProgress token at hand, the
    /// acknowledgement is sent from the calling task itself instead of the
    /// manager's driver, saving the wake-ups of other threads that the
    /// driver's path takes (see the module docs). Otherwise, or when that
    /// call fails with an error worth retrying, the driver sends and retries
    /// it as it does for `acquire`. Acknowledgements sent this way do not
    /// count towards [`LeaseConfig::max_concurrent_reports`]: they are
    /// bounded by the tasks being acknowledged at once.
    ///
    /// # Errors
    ///
    /// [`AcknowledgeError::Ended`] when the lease ended before the
    /// acknowledgement was accepted (its `cancellation` is tripped with the
    /// reason); [`AcknowledgeError::Stopped`] once the manager has shut down.
    ///
    /// # Cancellation
    ///
    /// Dropping the future before it completes gives the task up: nothing is
    /// reported for it any more, and the service hands it to another runner
    /// once its window passes.
    ///
    /// [`LeaseConfig::max_concurrent_reports`]: crate::LeaseConfig::max_concurrent_reports
    pub async fn acknowledge(
        &self,
        task: &Task,
        cancellation: Cancellation,
        progress: ProgressSink,
    ) -> Result<LeaseHandle, AcknowledgeError> {
        let registered_at = Instant::now();
        let lease = Lease::new(self.timing_of(task), registered_at);
        let open = !self.inbox.is_stopped();
        let handle = if open && self.budget.try_acquire(Operation::ReportTaskProgress) {
            let lease = self
                .send_acknowledgement(task, lease, registered_at, &cancellation, &progress)
                .await?;
            let held = lease.state() == LeaseState::Held;
            let handle = self.register(task, lease, cancellation, progress)?;
            if held {
                return Ok(handle);
            }
            handle
        } else {
            self.register(task, lease, cancellation, progress)?
        };
        match handle.acknowledged().await {
            Ok(()) => Ok(handle),
            Err(reason) => {
                handle.release();
                Err(AcknowledgeError::Ended {
                    task_id: task.task_id.clone(),
                    reason,
                })
            }
        }
    }

    /// Sends the acknowledgement of `lease` from the calling task and feeds
    /// the answer to the lease machine. Answers the lease to register (held,
    /// or with a retry scheduled), or the reason it ended.
    async fn send_acknowledgement(
        &self,
        task: &Task,
        mut lease: Lease,
        registered_at: Instant,
        cancellation: &Cancellation,
        progress: &ProgressSink,
    ) -> Result<Lease, AcknowledgeError> {
        // Due at once, sent now: the machine's own first two steps.
        lease.on_timer(registered_at);
        lease.on_sent(registered_at);
        let fields = sanitize(progress.snapshot());
        let answer = self
            .service
            .report_task_progress(&task.task_id, &fields)
            .await;
        telemetry::report_answered(answer.is_ok());
        let now = Instant::now();
        let unit = self.jitter.lock().random::<f64>();
        let actions = match answer {
            Ok(response) => lease.on_report_accepted(response.canceled, now, unit),
            Err(error) => {
                tracing::warn!(task = %task.task_id, class = %error.class(), %error, "acknowledgement failed; the lease manager retries it");
                lease.on_report_failed(error.class(), now, unit)
            }
        };
        for action in actions {
            match action {
                Action::Acknowledged { latency } => {
                    telemetry::acknowledged(latency);
                    tracing::debug!(task = %task.task_id, ?latency, "task acknowledged");
                }
                Action::End { state, reason } => {
                    telemetry::lease_ended(state);
                    cancellation.trip(reason);
                    tracing::warn!(task = %task.task_id, %reason, "lease ended before it was acknowledged; the task does not run");
                    return Err(AcknowledgeError::Ended {
                        task_id: task.task_id.clone(),
                        reason,
                    });
                }
                // The deadline is read from the machine when registered; a
                // scheduled report is the driver's to send.
                Action::DeadlineMoved(_) | Action::SendReport { .. } => {}
            }
        }
        Ok(lease)
    }
}
