//! Reading what a process costs from `/proc`, and summarizing latencies.
//!
//! Linux only: the figures come from `/proc/PID/status` (resident memory)
//! and `/proc/PID/stat` (CPU time). Every suite that reports memory or CPU
//! uses these, so that the figures of different suites mean the same thing.

use std::time::Duration;

use anyhow::Context as _;

/// The `/proc` clock tick. `utime` and `stime` count in USER_HZ, which
/// Linux fixes at 100 on every architecture it exposes `/proc` on.
const TICKS_PER_SECOND: u64 = 100;

/// A process's resident memory, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Memory {
    /// Resident set size now (`VmRSS`).
    pub(crate) resident_kib: u64,
    /// The highest resident set size so far (`VmHWM`).
    pub(crate) peak_kib: u64,
}

impl Memory {
    /// The memory of process `pid`.
    pub(crate) fn of(pid: u32) -> anyhow::Result<Self> {
        let path = format!("/proc/{pid}/status");
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("{path} has no {name} line"))
        };
        Ok(Self {
            resident_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
        })
    }
}

/// KiB to MiB, for the table.
pub(crate) fn mebibytes(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The CPU time (user + system, all threads) process `pid` has used.
pub(crate) fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    // utime and stime: fields 14 and 15.
    stat_time(pid, &[11, 12])
}

/// The CPU time (user + system) of the children process `pid` has reaped
/// (cutime and cstime): the commands a suite spawned and waited for.
pub(crate) fn reaped_children_cpu_time(pid: u32) -> anyhow::Result<Duration> {
    // cutime and cstime: fields 16 and 17.
    stat_time(pid, &[13, 14])
}

/// The system (kernel) part of the CPU time process `pid` has used.
pub(crate) fn system_cpu_time(pid: u32) -> anyhow::Result<Duration> {
    // stime: field 15.
    stat_time(pid, &[12])
}

/// The context switches, voluntary and not, of every thread of this
/// process so far (threads that ended are not counted).
pub(crate) fn own_context_switches() -> anyhow::Result<u64> {
    let mut total = 0;
    for thread in std::fs::read_dir("/proc/self/task").context("cannot list /proc/self/task")? {
        let path = thread
            .context("cannot list /proc/self/task")?
            .path()
            .join("status");
        // A thread may end between the listing and the read.
        let Ok(status) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in status.lines() {
            if let Some(count) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += count
                    .trim()
                    .parse::<u64>()
                    .with_context(|| format!("{} is malformed", path.display()))?;
            }
        }
    }
    Ok(total)
}

/// The sum of clock-tick fields of `/proc/PID/stat`, counted from the
/// first field after the command name (field 3 is index 0).
fn stat_time(pid: u32, indexes: &[usize]) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // The command name (field 2) may hold spaces and parentheses: the
    // numeric fields start after its last ')'.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("{path} is malformed"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let tick = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .with_context(|| format!("{path} field {} is malformed", index + 3))
    };
    let ticks = indexes
        .iter()
        .map(|&index| tick(index))
        .sum::<anyhow::Result<u64>>()?;
    Ok(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// The whole machine's CPU time, busy and total, over every core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MachineCpu {
    /// Time some process or the kernel ran.
    pub(crate) busy: Duration,
    /// Busy plus idle plus waiting for I/O.
    pub(crate) total: Duration,
}

impl MachineCpu {
    /// The counters since boot, from the `cpu` line of `/proc/stat`.
    pub(crate) fn now() -> anyhow::Result<Self> {
        let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
        let line = stat
            .lines()
            .find(|line| line.starts_with("cpu "))
            .context("/proc/stat has no cpu line")?;
        // user nice system idle iowait irq softirq steal [guest guest_nice];
        // guest time is already counted in user and nice.
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|field| field.parse().ok())
            .collect();
        anyhow::ensure!(
            ticks.len() == 8,
            "/proc/stat's cpu line is malformed: {line}"
        );
        let total: u64 = ticks.iter().sum();
        let idle = ticks[3] + ticks[4];
        let duration = |ticks: u64| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND);
        Ok(Self {
            busy: duration(total - idle),
            total: duration(total),
        })
    }

    /// What the machine did between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            busy: self.busy.saturating_sub(earlier.busy),
            total: self.total.saturating_sub(earlier.total),
        }
    }
}

/// Latencies gathered over a run, for percentiles.
#[derive(Debug, Default, Clone)]
pub(crate) struct Latencies {
    /// Every sample; sorted lazily by [`Latencies::percentile`].
    samples: Vec<Duration>,
    /// Whether `samples` is sorted.
    sorted: bool,
}

impl Latencies {
    /// Adds a sample.
    pub(crate) fn record(&mut self, sample: Duration) {
        self.samples.push(sample);
        self.sorted = false;
    }

    /// How many samples there are.
    pub(crate) fn len(&self) -> usize {
        self.samples.len()
    }

    /// The `quantile` (0.0 to 1.0) by the nearest-rank method, or zero when
    /// there are no samples.
    pub(crate) fn percentile(&mut self, quantile: f64) -> Duration {
        if self.samples.is_empty() {
            return Duration::ZERO;
        }
        if !self.sorted {
            self.samples.sort_unstable();
            self.sorted = true;
        }
        let rank = (quantile.clamp(0.0, 1.0) * self.samples.len() as f64).ceil() as usize;
        self.samples[rank.clamp(1, self.samples.len()) - 1]
    }
}

/// The median of `values` (the mean of the middle two for an even count),
/// or zero when there are none.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        len if len % 2 == 1 => sorted[len / 2],
        len => (sorted[len / 2 - 1] + sorted[len / 2]) / 2.0,
    }
}

/// The median over rounds of `numerator / denominator`, each pair measured
/// in the same round (adjacent passes): the drift of the machine between
/// rounds cancels in each ratio, and one disturbed round moves the median
/// less than it moves a ratio of medians.
pub(crate) fn median_of_ratios(pairs: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let ratios: Vec<f64> = pairs
        .into_iter()
        .map(|(numerator, denominator)| numerator / denominator.max(f64::EPSILON))
        .collect();
    median(&ratios)
}

/// A duration in milliseconds, for the table.
pub(crate) fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut latencies = Latencies::default();
        for millis in (1..=100).rev() {
            latencies.record(Duration::from_millis(millis));
        }
        assert_eq!(latencies.percentile(0.5), Duration::from_millis(50));
        assert_eq!(latencies.percentile(0.99), Duration::from_millis(99));
        assert_eq!(latencies.percentile(1.0), Duration::from_millis(100));
        assert_eq!(latencies.percentile(0.0), Duration::from_millis(1));
        assert_eq!(Latencies::default().percentile(0.5), Duration::ZERO);
    }

    #[test]
    fn medians_take_the_middle() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn ratios_are_taken_within_rounds_then_their_median() {
        // The machine slowed down from round 2's runner pass on: the ratio
        // of the medians would be 0.4, the within-round ratios' median is 1.
        let (runner, bare) = ([100.0, 40.0, 40.0], [100.0, 100.0, 40.0]);
        assert_eq!(median_of_ratios(runner.into_iter().zip(bare)), 1.0);
        assert_eq!(median_of_ratios([(1.0, 0.0)]), 1.0 / f64::EPSILON);
        assert_eq!(median_of_ratios(std::iter::empty()), 0.0);
    }

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let memory = Memory::of(std::process::id()).unwrap();
        assert!(memory.resident_kib > 0 && memory.peak_kib >= memory.resident_kib);
        cpu_time(std::process::id()).unwrap();
        let machine = MachineCpu::now().unwrap();
        assert!(machine.total >= machine.busy);
    }
}
