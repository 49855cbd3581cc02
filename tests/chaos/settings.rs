//! What a chaos run is made of, read from the environment, and the seeded
//! random numbers that pick its moments.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAOS_TASKS` | 300 | tasks in all (a fifth of them in-process) |
//! | `CHAOS_RUNNERS` | 4 | `taskrunner` processes at once |
//! | `CHAOS_SEED` | from the clock | seeds the workload, the kills and the faults |
//! | `CHAOS_KILL_EVERY_MS` | 1000 | mean time between two SIGKILLs |
//! | `CHAOS_SERVICE_RESTARTS` | 2 | times the service process is SIGKILLed and started again on its state file |
//! | `CHAOS_SERVICE_RESTART_EVERY_MS` | 8000 | mean time between two of those |
//! | `CHAOS_TIMEOUT_SECS` | 240 + tasks / 5 | give up (and print the state) after this |

use std::time::Duration;

/// The knobs of one run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Tasks in all, shell and in-process.
    pub(crate) tasks: usize,
    /// `taskrunner` processes running at once.
    pub(crate) runners: usize,
    /// The seed of every random choice, the service's faults included.
    pub(crate) seed: u64,
    /// Mean time between two SIGKILLs.
    pub(crate) kill_every: Duration,
    /// How long the run may take before it fails.
    pub(crate) timeout: Duration,
    /// How many times the service process is SIGKILLed and started again
    /// mid-run.
    pub(crate) service_restarts: usize,
    /// Mean time between two service restarts.
    pub(crate) service_restart_every: Duration,
}

impl Settings {
    /// Reads the `CHAOS_*` variables; unset or unreadable ones take their
    /// defaults.
    pub(crate) fn from_env() -> Self {
        let tasks = number("CHAOS_TASKS").unwrap_or(300).max(10) as usize;
        let seed = number("CHAOS_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos() as u64)
                .unwrap_or(1)
        });
        Self {
            tasks,
            runners: number("CHAOS_RUNNERS").unwrap_or(4).max(1) as usize,
            seed,
            kill_every: Duration::from_millis(
                number("CHAOS_KILL_EVERY_MS").unwrap_or(1000).max(50),
            ),
            service_restarts: number("CHAOS_SERVICE_RESTARTS").unwrap_or(2) as usize,
            service_restart_every: Duration::from_millis(
                number("CHAOS_SERVICE_RESTART_EVERY_MS").unwrap_or(8000),
            ),
            timeout: Duration::from_secs(
                number("CHAOS_TIMEOUT_SECS").unwrap_or(240 + tasks as u64 / 5),
            ),
        }
    }
}

fn number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// A small seeded generator (SplitMix64): the same seed gives the same
/// workload and the same kill schedule, so a failing run can be repeated
/// as closely as process timing allows.
#[derive(Debug, Clone)]
pub(crate) struct Random(u64);

impl Random {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// A number in `0.0..1.0`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// A duration spread evenly over `0..2 × mean`.
    pub(crate) fn around(&mut self, mean: Duration) -> Duration {
        mean.mul_f64(2.0 * self.unit())
    }
}
