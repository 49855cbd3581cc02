//! Processes that left the command's process group — `setsid`, job control
//! (`set -m`), daemons that double-fork into a new session — found through
//! an environment token and killed when the attempt ends.
//!
//! Why a token and not the process tree: a daemon's parent exits, so the
//! daemon is re-parented to init (or the nearest subreaper) and nothing
//! links it to the attempt any more — not its parent, not its group, not
//! its session. What it does keep, unless it deliberately replaces it, is
//! the environment it was started with, which the kernel shows in
//! `/proc/PID/environ` to the same user. Every attempt's command starts
//! with [`TOKEN_VARIABLE`] set to a value unique to the attempt (the
//! runner's pid, its start time and a counter), and every process that
//! carries that exact `NAME=VALUE` entry is the attempt's, wherever it went.
//!
//! This needs no privileges and changes nothing in the runner process
//! (unlike `PR_SET_CHILD_SUBREAPER`, which would make every orphan the
//! runner's to reap, or cgroups, which need root or a delegated
//! hierarchy). What still escapes, documented in `docs/ACTIVITIES.md`: a
//! process that starts with a fresh environment (`env -i`, a service
//! manager such as `systemd-run`, `at`, `ssh`, a container runtime),
//! that overwrites its environment block in memory (some `setproctitle`
//! implementations), or that runs as another user (setuid programs:
//! its `environ` is not readable).
//!
//! The sweep stops before it kills: a found process is SIGSTOPped, the
//! scan repeats until it finds nothing new, then everything found is
//! SIGKILLed. A stopped process cannot fork, so a process that forks in a
//! loop cannot keep one step ahead of the sweep.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The variable that marks every process of an attempt.
pub(crate) const TOKEN_VARIABLE: &str = "TASKRUNNER_ATTEMPT_TOKEN";

/// How many scans a sweep makes at most. Each finds the processes forked
/// since the last one by processes not yet stopped; a handful suffice.
const MAX_SCANS: usize = 64;

/// The value of [`TOKEN_VARIABLE`] for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttemptToken(String);

impl AttemptToken {
    /// A token no other attempt of any runner on this host has: the pid
    /// and start time tell runners apart (pids are reused, start times
    /// are not), the counter tells this runner's attempts apart.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static STARTED: OnceLock<u128> = OnceLock::new();
        let started = STARTED.get_or_init(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos())
        });
        Self(format!(
            "{}-{started}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// The variable's value.
    pub(crate) fn value(&self) -> &str {
        &self.0
    }

    /// `NAME=VALUE`, as one entry of `/proc/PID/environ`.
    fn entry(&self) -> Vec<u8> {
        format!("{TOKEN_VARIABLE}={}", self.0).into_bytes()
    }
}

/// Kills every live process carrying `token`; returns how many it killed.
/// Blocking (it reads `/proc`): call it off the async threads. Without a
/// readable `/proc` it finds nothing.
pub(crate) fn sweep(token: &AttemptToken) -> usize {
    let entry = token.entry();
    let own = Pid::this();
    let mut stopped = BTreeSet::new();
    for _ in 0..MAX_SCANS {
        let found: Vec<Pid> = carriers(&entry)
            .into_iter()
            .filter(|pid| *pid != own && !stopped.contains(pid))
            .collect();
        if found.is_empty() {
            break;
        }
        for pid in found {
            signal(pid, Signal::SIGSTOP);
            stopped.insert(pid);
        }
    }
    for &pid in &stopped {
        signal(pid, Signal::SIGKILL);
    }
    stopped.len()
}

/// Pids of the processes whose environment holds `entry`.
fn carriers(entry: &[u8]) -> Vec<Pid> {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    processes
        .flatten()
        .filter_map(|process| {
            let pid: i32 = process.file_name().to_str()?.parse().ok()?;
            // Gone meanwhile, a zombie (empty), another user's: not ours.
            let environ = std::fs::read(process.path().join("environ")).ok()?;
            environ
                .split(|&byte| byte == 0)
                .any(|variable| variable == entry)
                .then(|| Pid::from_raw(pid))
        })
        .collect()
}

fn signal(pid: Pid, signal: Signal) {
    match kill(pid, signal) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(error) => {
            tracing::warn!(pid = pid.as_raw(), %signal, %error, "could not signal a process the command left behind");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_readable() {
        let (first, second) = (AttemptToken::new(), AttemptToken::new());
        assert_ne!(first, second);
        assert!(first
            .value()
            .starts_with(&format!("{}-", std::process::id())));
        assert_eq!(
            first.entry(),
            format!("TASKRUNNER_ATTEMPT_TOKEN={}", first.value()).into_bytes()
        );
    }

    #[test]
    fn a_sweep_kills_only_the_carriers_of_its_token() {
        let token = AttemptToken::new();
        let spawn = |token: &AttemptToken| {
            std::process::Command::new("sleep")
                .arg("300")
                .env(TOKEN_VARIABLE, token.value())
                .spawn()
                .expect("spawns sleep")
        };
        let mut ours = spawn(&token);
        let other = AttemptToken::new();
        let mut theirs = spawn(&other);
        // Wait until the exec has happened and the environment is visible.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while carriers(&token.entry()).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(sweep(&token), 1);
        let status = ours.wait().expect("waits");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
        assert_eq!(theirs.try_wait().expect("polls"), None);
        assert_eq!(sweep(&other), 1);
        theirs.wait().expect("waits");
        assert_eq!(sweep(&token), 0);
    }
}
