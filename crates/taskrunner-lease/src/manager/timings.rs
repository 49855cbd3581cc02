//! [`TimingCache`]: one [`LeaseTiming`] per `reportProgressTimeout`, shared
//! by every lease that has it.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::lease::LeaseTiming;
use crate::LeaseConfig;

/// How many distinct timeouts are remembered. Tasks of one pipeline share
/// theirs, so a handful covers a runner; past it the oldest is forgotten
/// (its leases keep their copy).
const REMEMBERED: usize = 16;

/// The timings in use, so that thousands of leases hold one `Arc` each
/// rather than 128 bytes of durations each.
#[derive(Debug, Default)]
pub(super) struct TimingCache {
    /// `(reportProgressTimeout, timing)`, most recently built last.
    timings: Mutex<Vec<(Duration, Arc<LeaseTiming>)>>,
}

impl TimingCache {
    /// The timing of a lease whose task has `report_timeout`.
    pub(super) fn timing(
        &self,
        config: &LeaseConfig,
        report_timeout: Duration,
    ) -> Arc<LeaseTiming> {
        let mut timings = self.timings.lock();
        if let Some((_, timing)) = timings.iter().find(|(known, _)| *known == report_timeout) {
            return Arc::clone(timing);
        }
        let timing = Arc::new(LeaseTiming::new(config, report_timeout));
        if timings.len() == REMEMBERED {
            timings.remove(0);
        }
        timings.push((report_timeout, Arc::clone(&timing)));
        timing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_with_one_timeout_share_one_timing() {
        let cache = TimingCache::default();
        let config = LeaseConfig::default();
        let first = cache.timing(&config, Duration::from_secs(900));
        let second = cache.timing(&config, Duration::from_secs(900));
        let other = cache.timing(&config, Duration::from_secs(60));
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = TimingCache::default();
        let config = LeaseConfig::default();
        for seconds in 1..=100 {
            cache.timing(&config, Duration::from_secs(seconds));
        }
        assert_eq!(cache.timings.lock().len(), REMEMBERED);
    }
}
