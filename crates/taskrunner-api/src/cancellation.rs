//! [`Cancellation`] and [`CancelReason`]: the signal that tells a running
//! activity to stop, and why.

use std::fmt;
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
    /// wakes always finds a reason (unless someone cancelled the raw token).
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

    /// The reason, once tripped.
    pub fn reason(&self) -> Option<CancelReason> {
        self.reason.get().copied()
    }

    /// Whether the signal has been tripped.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once the signal is tripped (at once if it already is).
    /// Cancel-safe.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// The underlying token, for `select!` arms and child tokens. Cancelling
    /// it directly trips the signal without a reason.
    pub fn token(&self) -> &CancellationToken {
        &self.token
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
}
