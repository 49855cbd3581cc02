//! The process-wide call budget: one token bucket per task-runner operation.
//!
//! AWS Data Pipeline enforces per-account quotas on the task-runner calls
//! (PollForTask 2/s, ReportTaskProgress 10/s, SetTaskStatus 10/s,
//! ReportTaskRunnerHeartbeat 1/s, each with a burst of 100). Calls, not CPU,
//! are the scarce resource: a runner that exceeds them throttles itself, and
//! everything else in the account with it. A [`CallBudget`] is shared (it is
//! a cheap clone) by every component of a process that calls the service, so
//! the process as a whole stays inside the quotas.
//!
//! The quotas are per account and region. A fleet of N runners in one account
//! should give each runner about 1/N of them.

mod bucket;

use std::sync::Arc;

use crate::Operation;
use parking_lot::Mutex;
use tokio::time::Instant;

pub(crate) use bucket::TokenBucket;

/// A sustained rate and a burst: the shape of one service quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    /// Tokens per second; finite and positive.
    per_second: f64,
    /// Largest number of calls allowed at once after an idle period; ≥ 1.
    burst: u32,
}

impl Quota {
    /// A quota of `per_second` calls per second with bursts of up to `burst`.
    ///
    /// # Errors
    ///
    /// [`QuotaError::InvalidRate`] when `per_second` is not finite and
    /// positive; [`QuotaError::ZeroBurst`] when `burst` is zero (no call could
    /// ever be made).
    pub fn new(per_second: f64, burst: u32) -> Result<Self, QuotaError> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(QuotaError::InvalidRate { per_second });
        }
        if burst == 0 {
            return Err(QuotaError::ZeroBurst);
        }
        Ok(Self { per_second, burst })
    }

    /// The quota AWS documents for `operation`, or `None` for an operation
    /// this crate knows no quota for.
    pub fn documented(operation: Operation) -> Option<Self> {
        let per_second = match operation {
            Operation::PollForTask => 2.0,
            Operation::ReportTaskProgress | Operation::SetTaskStatus => 10.0,
            Operation::ReportTaskRunnerHeartbeat => 1.0,
            #[allow(unreachable_patterns)] // `Operation` may grow.
            _ => return None,
        };
        Some(Self {
            per_second,
            burst: 100,
        })
    }

    /// Sustained calls per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Largest burst.
    pub fn burst(&self) -> u32 {
        self.burst
    }
}

/// Why a [`Quota`] could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QuotaError {
    /// The rate is zero, negative, or not a number. Give a positive number of
    /// calls per second, e.g. `0.5`.
    #[error("call rate {per_second} per second must be a positive number")]
    InvalidRate {
        /// The rate as given.
        per_second: f64,
    },
    /// The burst is zero. Give at least 1.
    #[error("call burst must be at least 1")]
    ZeroBurst,
}

/// Token buckets per [`Operation`], shared by a whole process.
///
/// Cloning is cheap and shares the buckets. Operations without a quota are
/// unlimited.
#[derive(Debug, Clone)]
pub struct CallBudget {
    /// One bucket per limited operation. At most four entries, so a linear
    /// scan beats hashing; each bucket has its own lock so that operations
    /// never contend with each other.
    buckets: Arc<[(Operation, Mutex<TokenBucket>)]>,
}

impl CallBudget {
    /// A budget with the given quotas; operations not listed are unlimited.
    /// If an operation is listed twice, the first quota applies.
    pub fn new(quotas: impl IntoIterator<Item = (Operation, Quota)>) -> Self {
        let now = Instant::now();
        let buckets: Vec<_> = quotas
            .into_iter()
            .map(|(operation, quota)| (operation, Mutex::new(TokenBucket::new(quota, now))))
            .collect();
        Self {
            buckets: buckets.into(),
        }
    }

    /// A budget with the quotas AWS documents (see [`Quota::documented`]).
    pub fn documented() -> Self {
        Self::new(
            [
                Operation::PollForTask,
                Operation::ReportTaskProgress,
                Operation::ReportTaskRunnerHeartbeat,
                Operation::SetTaskStatus,
            ]
            .into_iter()
            .filter_map(|operation| Some((operation, Quota::documented(operation)?))),
        )
    }

    /// A budget that never waits: for tests, and for services without quotas
    /// (such as the local service).
    pub fn unlimited() -> Self {
        Self::new([])
    }

    /// The bucket of `operation`, `None` when it is unlimited.
    fn bucket(&self, operation: Operation) -> Option<&Mutex<TokenBucket>> {
        self.buckets
            .iter()
            .find(|(limited, _)| *limited == operation)
            .map(|(_, bucket)| bucket)
    }

    /// Waits until a call of `operation` fits the budget, and takes it.
    ///
    /// Waiters are served in the order they called, and the wait uses tokio's
    /// clock (so paused-time tests need no real waiting).
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: dropping the future before it completes returns its
    /// reserved token, so abandoned waits cost the budget nothing.
    pub async fn acquire(&self, operation: Operation) {
        let Some(bucket) = self.bucket(operation) else {
            return;
        };
        let wait = bucket.lock().reserve(Instant::now());
        if wait.is_zero() {
            return;
        }
        let refund = RefundOnDrop {
            bucket: Some(bucket),
        };
        tokio::time::sleep(wait).await;
        refund.disarm();
    }

    /// Takes a call of `operation` from the budget if it fits now.
    ///
    /// Returns `false`, taking nothing, when the caller would have to wait.
    pub fn try_acquire(&self, operation: Operation) -> bool {
        self.try_acquire_at(operation, Instant::now())
    }

    /// [`try_acquire`](Self::try_acquire) at `now` rather than at the clock's
    /// reading: for models that step a clock of their own (the lease queue's
    /// simulation), where no tokio runtime keeps time. `now` must not go
    /// backwards between calls.
    pub fn try_acquire_at(&self, operation: Operation, now: Instant) -> bool {
        match self.bucket(operation) {
            Some(bucket) => bucket.lock().try_take(now),
            None => true,
        }
    }
}

impl Default for CallBudget {
    /// The documented quotas, as [`CallBudget::documented`].
    fn default() -> Self {
        Self::documented()
    }
}

/// Gives a reserved token back unless disarmed: the cancel-safety of
/// [`CallBudget::acquire`].
struct RefundOnDrop<'budget> {
    /// The bucket to refund; `None` once disarmed.
    bucket: Option<&'budget Mutex<TokenBucket>>,
}

impl RefundOnDrop<'_> {
    /// The reservation was used: keep the token spent.
    fn disarm(mut self) {
        self.bucket = None;
    }
}

impl Drop for RefundOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(bucket) = self.bucket {
            bucket.lock().refund(Instant::now());
        }
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
