//! [`StartedAfter`]: which processes may have been started by an attempt,
//! so that the checks at its end read `/proc` of a handful of processes
//! rather than of every process on the machine.
//!
//! Reading another process's `/proc/PID/environ` costs the kernel a walk
//! of that process's memory; doing it for every process after every
//! command made a `true` cost the runner ~2 ms of CPU. But the kernel
//! hands out pids in increasing order until it wraps at `pid_max`: every
//! process the command started has a pid above the command's own, unless
//! the pids wrapped meanwhile. Shortly after the start (well under the
//! time it takes to fork `pid_max` processes), with the last pid handed
//! out still above the command's, no wrap can have happened, and only pids
//! from the command's to the last one handed out need a look. Otherwise
//! every process is looked at.
//!
//! When that range is short (the usual case: a command that started
//! nothing, on a machine that forked little meanwhile), its pids are
//! probed one by one: a pid that is gone costs one failed `open`, cheaper
//! than listing `/proc`, which costs a directory read per hundred
//! processes on the machine.

use std::fs::File;
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long after the start only newer pids are looked at. Wrapping back
/// above the command's pid within it would take `pid_max` forks (32,768
/// at the smallest setting): over 150,000 a second.
const NEWER_PIDS_WINDOW: Duration = Duration::from_millis(200);

/// The kernel's last pid handed out (in this pid namespace).
const LAST_PID: &str = "/proc/sys/kernel/ns_last_pid";

/// The longest range of pids probed one by one instead of listing `/proc`.
const MAX_PROBED_PIDS: i32 = 128;

/// The last pid handed out, read through [`LAST_PID`] kept open: a read
/// at offset 0 has the kernel print the current value, so each look costs
/// one system call instead of an open, a read and a close (it is taken
/// after every command). `None` where the file cannot be read.
fn last_pid() -> Option<i32> {
    static FILE: OnceLock<Option<File>> = OnceLock::new();
    let file = FILE.get_or_init(|| File::open(LAST_PID).ok()).as_ref()?;
    let mut digits = [0_u8; 16];
    let read = file.read_at(&mut digits, 0).ok()?;
    std::str::from_utf8(&digits[..read])
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The processes started at or after one process was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StartedAfter {
    /// The first process's pid; `None` for "every process".
    first: Option<i32>,
    /// When it was started.
    started: Instant,
}

impl StartedAfter {
    /// The processes started since `pid` was, just now.
    pub(crate) fn process(pid: i32) -> Self {
        Self {
            first: Some(pid),
            started: Instant::now(),
        }
    }

    /// Every process, whenever it started.
    #[cfg(test)]
    pub(crate) fn any() -> Self {
        Self {
            first: None,
            started: Instant::now(),
        }
    }

    /// The pids that can be one of them, from the first to the last pid
    /// handed out, while no wrap-around can have happened; `None` (look at
    /// every process) otherwise.
    fn newer_pids(&self) -> Option<RangeInclusive<i32>> {
        let first = self.first?;
        if self.started.elapsed() >= NEWER_PIDS_WINDOW {
            return None;
        }
        let last = last_pid()?;
        (last >= first).then_some(first..=last)
    }

    /// The pids that may be one of them when they are few: the short range
    /// [`StartedAfter::pids`] probes one by one; `None` when it would list
    /// `/proc` instead.
    pub(crate) fn few_pids(&self) -> Option<Vec<i32>> {
        self.newer_pids()
            .filter(|range| range.end() - range.start() < MAX_PROBED_PIDS)
            .map(Iterator::collect)
    }

    /// The pids that may be one of them: probed from a short range of new
    /// pids, else listed from `/proc`. Some may be gone by the time they
    /// are read, and a probed pid may name a thread rather than a process.
    pub(crate) fn pids(&self) -> Vec<i32> {
        let newer = self.newer_pids();
        if let Some(range) = &newer {
            if range.end() - range.start() < MAX_PROBED_PIDS {
                return range.clone().collect();
            }
        }
        let lowest = newer.map_or(0, |range| *range.start());
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter(|&pid| pid >= lowest)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `sleep 5` child and its pid.
    fn sleeping_child() -> (std::process::Child, i32) {
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep starts");
        let pid = i32::try_from(child.id()).expect("a pid fits");
        (child, pid)
    }

    #[test]
    fn a_new_process_is_found_and_older_ones_are_skipped() {
        let (mut child, pid) = sleeping_child();
        let since = StartedAfter::process(pid);
        let pids = since.pids();
        assert!(pids.contains(&pid));
        assert!(!pids.contains(&1), "init is older than any command");
        child.kill().expect("sleep is killed");
        child.wait().expect("sleep is reaped");
    }

    #[test]
    fn after_the_window_every_process_is_looked_at() {
        let since = StartedAfter {
            first: Some(i32::MAX),
            started: Instant::now() - NEWER_PIDS_WINDOW,
        };
        assert_eq!(since.newer_pids(), None);
        assert!(since.pids().contains(&1));
        assert_eq!(StartedAfter::any().newer_pids(), None);
    }

    #[test]
    fn a_short_range_is_probed_and_a_long_one_listed() {
        let (mut child, pid) = sleeping_child();
        let probed = StartedAfter::process(pid).pids();
        assert_eq!(probed.first(), Some(&pid), "probed from the command's pid");
        assert!(probed.len() <= MAX_PROBED_PIDS as usize);
        // From pid 2 the range is long (pids past boot are in the
        // hundreds at least): listed, so it skips pids no process has.
        let listed = StartedAfter::process(2).pids();
        assert!(listed.contains(&pid));
        assert!(listed.iter().all(|&listed| listed >= 2));
        assert!(listed.len() < usize::try_from(pid).expect("positive"));
        child.kill().expect("sleep is killed");
        child.wait().expect("sleep is reaped");
    }

    #[test]
    fn the_last_pid_is_read_afresh_each_time() {
        let before = last_pid().expect("ns_last_pid is readable");
        let (mut child, pid) = sleeping_child();
        let after = last_pid().expect("ns_last_pid is readable");
        assert!(after >= pid && pid > before, "{before} < {pid} <= {after}");
        child.kill().expect("sleep is killed");
        child.wait().expect("sleep is reaped");
    }

    #[test]
    fn a_pid_above_the_last_handed_out_means_a_wrap() {
        // The last pid handed out is below i32::MAX: as after a wrap.
        let since = StartedAfter::process(i32::MAX);
        assert_eq!(since.newer_pids(), None);
    }
}
