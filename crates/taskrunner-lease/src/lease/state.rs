//! [`LeaseState`] and [`LeaseVerdict`]: where a lease stands, and what its
//! holder may still do when it lets go.

use taskrunner_api::{CancelReason, LeaseGone};
use tokio::time::Instant;

/// Where one lease stands.
///
/// ```text
///                 ack accepted              handler done
/// Acknowledging ───────────────▶ Held ───────────────────▶ Released
///       │                         │
///       ├── canceled: true ───────┼──▶ Canceled
///       ├── TaskNotFound, … ──────┼──▶ Lost(kind)
///       └── deadline passed ──────┴──▶ Expired
/// ```
///
/// `Canceled`, `Lost`, `Expired` and `Released` are terminal: nothing is
/// reported for the task any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaseState {
    /// The acknowledgement (the first ReportTaskProgress) has not been
    /// accepted yet. The handler must not start.
    Acknowledging,
    /// The service accepted the last report; the lease is ours until its
    /// deadline.
    Held,
    /// The service answered a report with `canceled: true`: stop the work;
    /// no SetTaskStatus is needed.
    Canceled,
    /// The service said the task or its pipeline is gone. Someone else may
    /// hold the task now; no SetTaskStatus may be sent.
    Lost(LeaseGone),
    /// No report was accepted before the lease deadline (transient errors,
    /// or a budget too small for the number of leases). The service may have
    /// handed the task to another runner; no SetTaskStatus may be sent.
    Expired,
    /// The holder released the lease; nothing more is reported.
    Released,
}

impl LeaseState {
    /// True when no more reports will be sent for this lease.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Acknowledging | Self::Held)
    }

    /// The reason the handler's cancellation is tripped with when the lease
    /// ends in this state; `None` for live leases and for `Released`.
    pub fn cancel_reason(self) -> Option<CancelReason> {
        match self {
            Self::Canceled => Some(CancelReason::CanceledByService),
            Self::Lost(kind) => Some(CancelReason::LeaseLost(kind)),
            Self::Expired => Some(CancelReason::LeaseExpired),
            Self::Acknowledging | Self::Held | Self::Released => None,
        }
    }
}

/// What the holder of a released lease may still do.
///
/// Returned by [`LeaseHandle::release`](crate::LeaseHandle::release). Only
/// [`LeaseVerdict::Held`] permits a SetTaskStatus: for a lease that is gone the
/// service has either settled the task already (canceled) or may have given it
/// to another runner, and a status from us would be wrong or would overwrite
/// theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaseVerdict {
    /// The lease was held, and inside its deadline, when it was released:
    /// send SetTaskStatus with the outcome.
    Held,
    /// The service canceled the task: send no SetTaskStatus.
    Canceled,
    /// The service said the task is gone: send no SetTaskStatus.
    Lost(LeaseGone),
    /// The lease deadline passed: send no SetTaskStatus.
    Expired,
}

impl LeaseVerdict {
    /// Decides the verdict for a lease in `state` whose deadline is
    /// `deadline`, released at `now`.
    ///
    /// This is the fencing rule: a live state is not enough, the deadline
    /// must also lie ahead, because the manager notices an expired deadline
    /// only when its timer fires.
    pub(crate) fn decide(state: LeaseState, deadline: Option<Instant>, now: Instant) -> Self {
        match state {
            LeaseState::Acknowledging | LeaseState::Held => {
                if deadline.is_some_and(|deadline| now < deadline) {
                    Self::Held
                } else {
                    Self::Expired
                }
            }
            LeaseState::Canceled => Self::Canceled,
            LeaseState::Lost(kind) => Self::Lost(kind),
            // `Released` cannot be seen here (a handle is released once);
            // if it were, refusing the status is the safe answer.
            LeaseState::Expired | LeaseState::Released => Self::Expired,
        }
    }

    /// True when the caller may still send SetTaskStatus for the task.
    pub fn may_set_status(self) -> bool {
        matches!(self, Self::Held)
    }

    /// The cancellation reason matching this verdict, `None` for `Held`.
    pub fn cancel_reason(self) -> Option<CancelReason> {
        match self {
            Self::Held => None,
            Self::Canceled => Some(CancelReason::CanceledByService),
            Self::Lost(kind) => Some(CancelReason::LeaseLost(kind)),
            Self::Expired => Some(CancelReason::LeaseExpired),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn only_a_live_lease_inside_its_deadline_may_set_status() {
        let now = Instant::now();
        let later = now + Duration::from_secs(1);
        assert_eq!(
            LeaseVerdict::decide(LeaseState::Held, Some(later), now),
            LeaseVerdict::Held
        );
        assert_eq!(
            LeaseVerdict::decide(LeaseState::Held, Some(now), now),
            LeaseVerdict::Expired
        );
        assert_eq!(
            LeaseVerdict::decide(LeaseState::Held, None, now),
            LeaseVerdict::Expired
        );
        assert_eq!(
            LeaseVerdict::decide(LeaseState::Canceled, Some(later), now),
            LeaseVerdict::Canceled
        );
        let lost =
            LeaseVerdict::decide(LeaseState::Lost(LeaseGone::TaskNotFound), Some(later), now);
        assert!(!lost.may_set_status());
        assert_eq!(
            lost.cancel_reason(),
            Some(CancelReason::LeaseLost(LeaseGone::TaskNotFound))
        );
    }

    #[test]
    fn terminal_states_carry_their_cancel_reason() {
        assert!(!LeaseState::Held.is_terminal());
        assert!(LeaseState::Released.is_terminal());
        assert_eq!(
            LeaseState::Expired.cancel_reason(),
            Some(CancelReason::LeaseExpired)
        );
        assert_eq!(LeaseState::Released.cancel_reason(), None);
    }
}
