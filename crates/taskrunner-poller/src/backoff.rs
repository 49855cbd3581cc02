//! Exponential backoff with full jitter, harder for throttling.

use std::time::Duration;

use rand::Rng;
use taskrunner_api::ErrorClass;

/// How long to wait after consecutive failed calls.
///
/// The delay before retry *n* (counting from 0) is drawn uniformly from
/// `[0, min(cap, base × 2ⁿ)]` ("full jitter"), so that many runners that
/// failed together do not retry together. Throttling starts from a larger
/// base: the account's quota, not a fault, is what refused the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay's upper bound after an ordinary failure.
    pub base: Duration,
    /// The first delay's upper bound after throttling.
    pub throttled_base: Duration,
    /// No delay is longer than this.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            throttled_base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The upper bound of the delay before retry `failures - 1` after an
    /// error of `class`.
    pub fn ceiling(&self, failures: u32, class: ErrorClass) -> Duration {
        let base = if class == ErrorClass::Throttled {
            self.throttled_base
        } else {
            self.base
        };
        let factor = 2_u32.saturating_pow(failures.saturating_sub(1).min(16));
        base.saturating_mul(factor).min(self.cap)
    }

    /// A jittered delay for the `failures`th consecutive failure (from 1).
    pub fn delay(&self, failures: u32, class: ErrorClass) -> Duration {
        let ceiling = self.ceiling(failures, class);
        ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let backoff = Backoff::default();
        assert_eq!(
            backoff.ceiling(1, ErrorClass::Transient),
            Duration::from_millis(500)
        );
        assert_eq!(
            backoff.ceiling(2, ErrorClass::Transient),
            Duration::from_secs(1)
        );
        assert_eq!(
            backoff.ceiling(4, ErrorClass::Transient),
            Duration::from_secs(4)
        );
        assert_eq!(
            backoff.ceiling(30, ErrorClass::Transient),
            Duration::from_secs(60)
        );
        assert!(
            backoff.ceiling(1, ErrorClass::Throttled) > backoff.ceiling(1, ErrorClass::Transient)
        );
    }

    #[test]
    fn delays_stay_within_their_ceiling() {
        let backoff = Backoff::default();
        for failures in 1..20 {
            let delay = backoff.delay(failures, ErrorClass::Throttled);
            assert!(delay <= backoff.ceiling(failures, ErrorClass::Throttled));
        }
    }
}
