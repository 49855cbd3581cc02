//! [`Cancellation`] and [`CancelReason`]: the signal that tells a running
//! activity to stop, and why.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use crate::LeaseGone;

/// A one-shot "stop the work" signal shared by the lease (which trips it) and
/// the activity (which observes it), carrying the first reason given.
///
/// Clones share the signal. Tripping is idempotent: the first
/// [`CancelReason`] wins and later ones are ignored, so the activity sees one
/// consistent reason even when, say, a shutdown and a service cancellation
/// race.
///
/// ```
/// use taskrunner_api::{CancelReason, Cancellation};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let cancellation = Cancellation::new();
/// let observer = cancellation.clone();
/// cancellation.trip(CancelReason::CanceledByService);
/// cancellation.trip(CancelReason::Shutdown);
/// observer.cancelled().await;
/// assert_eq!(observer.reason(), Some(CancelReason::CanceledByService));
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cancellation {
    /// Wakes waiters; cancelled only after `reason` is set, so a waiter that
    /// wakes finds a reason (unless someone cancelled the raw token, which
    /// [`Cancellation::reason`] answers as a shutdown).
    token: CancellationToken,
    /// The first reason given to [`Cancellation::trip`].
    reason: Arc<OnceLock<CancelReason>>,
}

impl Cancellation {
    /// A signal that has not been tripped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trips the signal. The first reason wins; later calls change nothing.
    pub fn trip(&self, reason: CancelReason) {
        // Set the reason before waking anyone: observers read it right after.
        let _first = self.reason.set(reason);
        self.token.cancel();
    }

    /// The reason, once tripped; `None` while the work may go on.
    ///
    /// A token cancelled directly (through [`token`](Self::token), by code
    /// that knows no reason) counts as [`CancelReason::Shutdown`]: this is
    /// the one place that choice is made.
    pub fn reason(&self) -> Option<CancelReason> {
        self.token.is_cancelled().then(|| self.tripped_reason())
    }

    /// Whether the signal has been tripped.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once the signal is tripped (at once if it already is).
    /// Cancel-safe. [`stopped`](Self::stopped) also answers why.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// Completes once the signal is tripped, answering why. Cancel-safe.
    pub async fn stopped(&self) -> CancelReason {
        self.token.cancelled().await;
        self.tripped_reason()
    }

    /// `Err(Cancelled)` once tripped, for `?` between steps of the work.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] with the reason, once the signal is tripped.
    pub fn check(&self) -> Result<(), Cancelled> {
        match self.reason() {
            Some(reason) => Err(Cancelled::new(reason)),
            None => Ok(()),
        }
    }

    /// Runs `work` until it completes or the signal trips, whichever comes
    /// first; `work` is dropped at its current `.await` when the signal wins.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] with the reason when the signal tripped first (or had
    /// already tripped: `work` is then not polled at all).
    pub async fn until_cancelled<F: Future>(&self, work: F) -> Result<F::Output, Cancelled> {
        tokio::select! {
            // Checked first, so work handed to a tripped signal never starts.
            biased;
            () = self.token.cancelled() => Err(Cancelled::new(self.tripped_reason())),
            output = work => Ok(output),
        }
    }

    /// The underlying token, for `select!` arms and child tokens. Cancelling
    /// it directly trips the signal without a reason (read as a shutdown).
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// The reason of a signal known to be tripped.
    fn tripped_reason(&self) -> CancelReason {
        match self.reason.get() {
            Some(reason) => *reason,
            None => CancelReason::Shutdown,
        }
    }
}

/// The work stopped because its [`Cancellation`] tripped: an error, so `?`
/// carries it out of an activity, which the runner then reports (or not)
/// according to [`reason`](Cancelled::reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("activity stopped: {reason}")]
pub struct Cancelled {
    reason: CancelReason,
}

impl Cancelled {
    /// The work stopped for `reason`.
    pub fn new(reason: CancelReason) -> Self {
        Self { reason }
    }

    /// Why the work stopped.
    pub fn reason(&self) -> CancelReason {
        self.reason
    }
}

/// Why an activity is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancelReason {
    /// The service answered a progress report with `canceled: true` (the
    /// pipeline was deactivated or the attempt cancelled).
    CanceledByService,
    /// The service says the task or pipeline is gone.
    LeaseLost(LeaseGone),
    /// Progress reports kept failing until the lease deadline passed; the
    /// task may already belong to another runner.
    LeaseExpired,
    /// The runner is shutting down.
    Shutdown,
    /// The attempt ran past its time limit.
    Timeout,
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CanceledByService => f.write_str("canceled by the service"),
            Self::LeaseLost(reason) => write!(f, "lease lost: {reason}"),
            Self::LeaseExpired => f.write_str("lease expired"),
            Self::Shutdown => f.write_str("runner shutting down"),
            Self::Timeout => f.write_str("attempt timed out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untripped_has_no_reason() {
        let cancellation = Cancellation::new();
        assert!(!cancellation.is_cancelled());
        assert_eq!(cancellation.reason(), None);
    }

    #[tokio::test]
    async fn first_reason_wins_across_clones() {
        let cancellation = Cancellation::new();
        let clone = cancellation.clone();
        let waiter = tokio::spawn(async move {
            clone.cancelled().await;
            clone.reason()
        });
        cancellation.trip(CancelReason::LeaseLost(LeaseGone::TaskNotFound));
        cancellation.trip(CancelReason::Shutdown);
        let seen = waiter.await.expect("waiter task");
        assert_eq!(seen, Some(CancelReason::LeaseLost(LeaseGone::TaskNotFound)));
        assert!(cancellation.is_cancelled());
        assert_eq!(
            CancelReason::LeaseLost(LeaseGone::TaskNotFound).to_string(),
            "lease lost: task not found"
        );
    }

    #[test]
    fn a_raw_token_cancel_reads_as_a_shutdown() {
        let cancellation = Cancellation::new();
        assert_eq!(cancellation.check(), Ok(()));
        cancellation.token().cancel();
        assert_eq!(cancellation.reason(), Some(CancelReason::Shutdown));
        assert_eq!(
            cancellation.check(),
            Err(Cancelled::new(CancelReason::Shutdown))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn until_cancelled_answers_the_work_or_the_reason() {
        let cancellation = Cancellation::new();
        assert_eq!(cancellation.until_cancelled(async { 7 }).await, Ok(7));

        let tripper = cancellation.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            tripper.trip(CancelReason::Timeout);
        });
        let never = std::future::pending::<()>();
        let stopped = cancellation.until_cancelled(never).await;
        assert_eq!(stopped, Err(Cancelled::new(CancelReason::Timeout)));
        assert_eq!(cancellation.stopped().await, CancelReason::Timeout);
        assert_eq!(
            Cancelled::new(CancelReason::Timeout).to_string(),
            "activity stopped: attempt timed out"
        );

        // Work handed to a tripped signal never starts.
        let started = std::cell::Cell::new(false);
        let work = async { started.set(true) };
        assert!(cancellation.until_cancelled(work).await.is_err());
        assert!(!started.get());
    }
}
