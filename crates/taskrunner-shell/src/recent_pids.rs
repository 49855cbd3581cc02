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
//! above the command's need a look. Otherwise every process is looked at.

use std::time::{Duration, Instant};

/// How long after the start only newer pids are looked at. Wrapping back
/// above the command's pid within it would take `pid_max` forks (32,768
/// at the smallest setting): over 150,000 a second.
const NEWER_PIDS_WINDOW: Duration = Duration::from_millis(200);

/// The kernel's last pid handed out (in this pid namespace).
const LAST_PID: &str = "/proc/sys/kernel/ns_last_pid";

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

    /// The pid below which no process can be one of them: the first pid
    /// while no wrap-around can have happened, else 0 (look at all).
    pub(crate) fn lowest_pid(&self) -> i32 {
        let Some(first) = self.first else {
            return 0;
        };
        if self.started.elapsed() >= NEWER_PIDS_WINDOW {
            return 0;
        }
        let last = std::fs::read_to_string(LAST_PID)
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok());
        match last {
            Some(last) if last >= first => first,
            _ => 0,
        }
    }

    /// The pids in `/proc` that may be one of them.
    pub(crate) fn pids(&self) -> Vec<i32> {
        let lowest = self.lowest_pid();
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

    #[test]
    fn a_new_process_is_found_and_older_ones_are_skipped() {
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep starts");
        let pid = i32::try_from(child.id()).expect("a pid fits");
        let since = StartedAfter::process(pid);
        let pids = since.pids();
        assert!(pids.contains(&pid));
        assert!(!pids.contains(&1), "init is older than any command");
        let mut child = child;
        child.kill().expect("sleep is killed");
        child.wait().expect("sleep is reaped");
    }

    #[test]
    fn after_the_window_every_process_is_looked_at() {
        let since = StartedAfter {
            first: Some(i32::MAX),
            started: Instant::now() - NEWER_PIDS_WINDOW,
        };
        assert_eq!(since.lowest_pid(), 0);
        assert!(since.pids().contains(&1));
        assert_eq!(StartedAfter::any().lowest_pid(), 0);
    }

    #[test]
    fn a_pid_above_the_last_handed_out_means_a_wrap() {
        // The last pid handed out is below i32::MAX: as after a wrap.
        let since = StartedAfter::process(i32::MAX);
        assert_eq!(since.lowest_pid(), 0);
    }
}
