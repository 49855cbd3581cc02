//! A sans-IO token bucket with reservations.

use std::time::Duration;

use tokio::time::Instant;

use super::Quota;

/// One operation's token bucket.
///
/// Tokens accrue at `rate` per second up to `burst`. A caller *reserves* a
/// token: it is taken at once, possibly driving the balance negative, and the
/// caller is told how long to wait until that token has accrued. Reservations
/// therefore queue in arrival order (no waiter can be overtaken by a later
/// one), and waking one waiter never wakes the others. The scheme is the
/// generic cell rate algorithm in token form: the calls that start in any
/// interval of length `t` never exceed `burst + rate × t`.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    /// Tokens per second.
    rate: f64,
    /// The most tokens the bucket holds, i.e. the largest instant burst.
    burst: f64,
    /// The balance as of `updated`; negative while reservations wait.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `quota`, as of `now`.
    pub(crate) fn new(quota: Quota, now: Instant) -> Self {
        let burst = f64::from(quota.burst());
        Self {
            rate: quota.per_second(),
            burst,
            tokens: burst,
            updated: now,
        }
    }

    /// Accrues the tokens earned since the last update.
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.updated = self.updated.max(now);
    }

    /// Takes a token if one is available now.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Reserves the next token and returns how long until it may be used
    /// (zero when one is available now).
    pub(crate) fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // The balance reaches zero again when this reservation's token
            // has accrued.
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// Returns a reserved token that will not be used (its waiter gave up).
    pub(crate) fn refund(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens + 1.0).min(self.burst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(rate: f64, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket::new(Quota::new(rate, burst).unwrap(), now)
    }

    #[test]
    fn a_full_bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = bucket(10.0, 100, start);
        for _ in 0..100 {
            assert!(bucket.try_take(start));
        }
        assert!(!bucket.try_take(start));
        assert!(!bucket.try_take(start + Duration::from_millis(99)));
        assert!(bucket.try_take(start + Duration::from_millis(100)));
    }

    #[test]
    fn reservations_queue_in_order_at_the_rate() {
        let start = Instant::now();
        let mut bucket = bucket(2.0, 1, start);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::from_millis(500));
        assert_eq!(bucket.reserve(start), Duration::from_millis(1000));
        // A refund gives the token back to the next reservation.
        bucket.refund(start);
        assert_eq!(bucket.reserve(start), Duration::from_millis(1000));
    }

    #[test]
    fn tokens_never_accrue_beyond_the_burst() {
        let start = Instant::now();
        let mut bucket = bucket(1.0, 3, start);
        let later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(bucket.try_take(later));
        }
        assert!(!bucket.try_take(later));
    }
}
