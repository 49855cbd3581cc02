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
//! sweep waits until it has stopped (a fork in progress completes first),
//! the scan repeats until it finds nothing new — looking twice at a
//! process caught in the middle of an exec, whose new image shows no
//! environment for a moment — then everything found is
//! SIGKILLed. A stopped process cannot fork, so a process that forks in a
//! loop cannot keep one step ahead of the sweep. Members of the command's
//! own group are left out: the caller has SIGKILLed the group already,
//! and the kernel does not let a fork escape a signal to a whole group.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitid, Id, WaitPidFlag};
use nix::unistd::Pid;

use crate::proc_files::read_whole;
use crate::recent_pids::StartedAfter;

/// The variable that marks every process of an attempt.
pub(crate) const TOKEN_VARIABLE: &str = "TASKRUNNER_ATTEMPT_TOKEN";

/// How many scans a sweep makes at most. Each finds the processes forked
/// since the last one by processes not yet stopped; a handful suffice.
const MAX_SCANS: usize = 64;

/// How long a sweep waits for the processes it stopped to stop (one in
/// uninterruptible sleep, or a vfork parent, stops late) before it looks
/// for their children again, and for a process in the middle of an exec
/// to show its environment.
const STOP_WAIT: Duration = Duration::from_millis(500);

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

/// Kills every live process carrying `token` outside the process group
/// `group` (which the caller has SIGKILLed already, and whose members may
/// still be dying); returns how many it killed. Blocking (it reads
/// `/proc` and waits for stops): call it off the async threads. Without a
/// readable `/proc` it finds nothing.
pub(crate) fn sweep(token: &AttemptToken, group: Pid, since: StartedAfter) -> usize {
    let entry = token.entry();
    let own = Pid::this();
    let mut stopped = BTreeSet::new();
    for _ in 0..MAX_SCANS {
        let new = |carriers: Vec<(Pid, Pid)>| -> Vec<Pid> {
            carriers
                .into_iter()
                .filter(|&(pid, pgrp)| escaped(pid, pgrp, own, group) && !stopped.contains(&pid))
                .map(|(pid, _)| pid)
                .collect()
        };
        let (carriers, unclear) = scan(&entry, since.pids());
        let mut found = new(carriers);
        if found.is_empty() {
            found = new(settle(unclear, &entry));
        }
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            signal(pid, Signal::SIGSTOP);
            stopped.insert(pid);
        }
        // A process signalled in the middle of a fork stops once the fork
        // is done, so its child can appear after this scan: look again only
        // once every one of them has stopped.
        wait_until_stopped(&found);
    }
    for &pid in &stopped {
        signal(pid, Signal::SIGKILL);
    }
    stopped.len()
}

/// A sweep's first look, cheap enough to take on an async thread: `true`
/// when `since` names a short range of pids (probed, not listed from
/// `/proc`) and none of them is a process [`sweep`] would stop, so a sweep
/// would kill nothing; `false` when a full sweep is needed. It reads the
/// `/proc` files of a few processes (kernel memory, never the disk) and
/// waits for nothing; the full sweep, which stops processes and waits for
/// them, runs off the async threads. Nothing left the group in the usual
/// case, and handing the sweep to a blocking thread for it cost a
/// cross-thread wakeup each way per command.
pub(crate) fn nothing_to_sweep(token: &AttemptToken, group: Pid, since: StartedAfter) -> bool {
    let Some(pids) = since.few_pids() else {
        return false;
    };
    let own = Pid::this();
    let (carriers, unclear) = scan(&token.entry(), pids);
    unclear.is_empty()
        && !carriers
            .iter()
            .any(|&(pid, pgrp)| escaped(pid, pgrp, own, group))
}

/// Whether a carrier of the token, `pid` in process group `pgrp`, is one a
/// sweep stops: not the runner itself (`own`), and not a member of the
/// command's `group`, which the group's SIGKILL stops (and whose id may
/// soon name another group).
fn escaped(pid: Pid, pgrp: Pid, own: Pid, group: Pid) -> bool {
    pid != own && pgrp != group
}

/// What `/proc` shows of one process.
enum Seen {
    /// It carries the token; its process group.
    Carrier(Pid),
    /// Alive, no kernel thread, and no environment visible: maybe in the
    /// middle of an exec (see [`inspect`]), so look again in a moment.
    Unclear,
    /// Not ours, or gone.
    Other,
}

/// The processes among `pids` that carry `entry`, with their groups, and
/// those to look at again.
fn scan(entry: &[u8], pids: Vec<i32>) -> (Vec<(Pid, Pid)>, Vec<Pid>) {
    let (mut carriers, mut unclear) = (Vec::new(), Vec::new());
    let own = Pid::this();
    for pid in pids.into_iter().map(Pid::from_raw) {
        match inspect(pid, entry, Look::First, own) {
            Seen::Carrier(group) => carriers.push((pid, group)),
            Seen::Unclear => unclear.push(pid),
            Seen::Other => {}
        }
    }
    (carriers, unclear)
}

/// Looks at `unclear` processes again until each has shown what it is, or
/// [`STOP_WAIT`] has passed; returns the carriers among them.
fn settle(mut unclear: Vec<Pid>, entry: &[u8]) -> Vec<(Pid, Pid)> {
    let deadline = Instant::now() + STOP_WAIT;
    let mut carriers = Vec::new();
    let own = Pid::this();
    while !unclear.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
        unclear.retain(|&pid| match inspect(pid, entry, Look::Again, own) {
            Seen::Carrier(group) => {
                carriers.push((pid, group));
                false
            }
            Seen::Unclear => true,
            Seen::Other => false,
        });
    }
    carriers
}

/// Which look at a process [`inspect`] takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    /// In a scan: any live process without an environment is unclear.
    First,
    /// Looking again: only one that shows no arguments either.
    Again,
}

/// What `/proc` shows of `pid`; `own` is the runner's pid (asked once by
/// the caller: every `getpid` is a system call).
///
/// An exec hides the environment twice over: the new image has none until
/// the kernel has copied it (its arguments are missing as long), and an
/// `environ` opened before the exec reads the old image, gone by the time
/// of the read, as empty. So a scan calls every live, empty-environment
/// process unclear, and a second look a moment later settles it: a
/// process that shows arguments but still no environment really has none
/// (`env -i`), one that shows neither is still in its exec.
fn inspect(pid: Pid, entry: &[u8], look: Look, own: Pid) -> Seen {
    // The runner's own children are the shells of its other attempts (and
    // reading an environment costs more than reading a stat). In the first
    // look after a command, most of the pids probed are such shells:
    // asking the kernel costs one system call, their `stat` four.
    let children_are_shells = orphans_go_elsewhere();
    if children_are_shells && is_own_child(pid) {
        return Seen::Other;
    }
    // Gone meanwhile: not ours.
    let Some(stat) = stat(pid) else {
        return Seen::Other;
    };
    // A child started meanwhile, or one `waitid` does not report (a
    // thread's id, a child that signals its end with another signal).
    if stat.parent == own && children_are_shells {
        return Seen::Other;
    }
    // Another user's: not ours.
    let Ok(environ) = read_proc_file(pid, "environ", PROC_READ_CAPACITY) else {
        return Seen::Other;
    };
    if environ
        .split(|&byte| byte == 0)
        .any(|variable| variable == entry)
    {
        // A probed pid may be one of a carrier's threads, which shows the
        // same environment: count the process once, by its own pid.
        return if leads_its_thread_group(pid) {
            Seen::Carrier(stat.group)
        } else {
            Seen::Other
        };
    }
    if !environ.is_empty() {
        return Seen::Other;
    }
    let in_exec = look == Look::First
        || read_proc_file(pid, "cmdline", PROC_READ_CAPACITY)
            .is_ok_and(|arguments| arguments.is_empty());
    if in_exec && !stat.kernel_thread && !matches!(stat.state, 'Z' | 'X') {
        Seen::Unclear
    } else {
        Seen::Other
    }
}

/// Whether `pid` is a child of this process, as `waitid` sees it: one
/// that ends with `SIGCHLD`, started by any of its threads. `WNOWAIT` and
/// `WNOHANG`: it neither reaps nor waits, so whoever waits for the child
/// (tokio, for the shells) still gets its status. Unsure (interrupted)
/// counts as no: the caller then reads `/proc`.
fn is_own_child(pid: Pid) -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    !matches!(
        waitid(Id::Pid(pid), flags),
        Err(Errno::ECHILD | Errno::EINTR)
    )
}

/// Whether an orphaned process is re-parented to someone other than this
/// runner: then no escapee can be the runner's child. Not so when the
/// runner is a container's init (pid 1) or a child subreaper.
fn orphans_go_elsewhere() -> bool {
    static ELSEWHERE: OnceLock<bool> = OnceLock::new();
    *ELSEWHERE.get_or_init(|| {
        Pid::this().as_raw() != 1 && matches!(nix::sys::prctl::get_child_subreaper(), Ok(false))
    })
}

/// Waits, at most [`STOP_WAIT`], until each of `pids` is stopped, dead or
/// gone.
fn wait_until_stopped(pids: &[Pid]) {
    let deadline = Instant::now() + STOP_WAIT;
    let mut running = pids.to_vec();
    loop {
        running.retain(|&pid| {
            stat(pid).is_some_and(|stat| !matches!(stat.state, 'T' | 't' | 'Z' | 'X'))
        });
        if running.is_empty() || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The fields of `/proc/PID/stat` a sweep (and the group check) needs.
pub(crate) struct Stat {
    /// `R`, `S`, `D`, `T` (stopped), `t` (traced), `Z` (zombie), …
    pub(crate) state: char,
    /// The parent process.
    parent: Pid,
    /// The process group.
    pub(crate) group: Pid,
    /// Whether it is a kernel thread (`PF_KTHREAD`), never ours.
    kernel_thread: bool,
}

/// `PF_KTHREAD` in the flags of `/proc/PID/stat`.
const KERNEL_THREAD_FLAG: u64 = 0x0020_0000;

/// What `/proc/PID/stat` says of `pid`; `None` once it is gone.
pub(crate) fn stat(pid: Pid) -> Option<Stat> {
    let stat = String::from_utf8(read_proc_file(pid, "stat", STAT_CAPACITY).ok()?).ok()?;
    // `pid (comm) state ppid pgrp session tty_nr tpgid flags …`; comm may
    // hold spaces and parentheses.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().take(7).collect();
    let [state, parent, group, _session, _tty, _tpgid, flags] = fields.as_slice() else {
        return None;
    };
    Some(Stat {
        state: state.chars().next()?,
        parent: Pid::from_raw(parent.parse().ok()?),
        group: Pid::from_raw(group.parse().ok()?),
        kernel_thread: flags.parse::<u64>().ok()? & KERNEL_THREAD_FLAG != 0,
    })
}

/// Whether `pid` is a process, not one of a process's other threads
/// (`/proc` answers for thread ids too, though it does not list them).
fn leads_its_thread_group(pid: Pid) -> bool {
    let Some(status) = read_proc_file(pid, "status", PROC_READ_CAPACITY)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("Tgid:"))
        .and_then(|tgid| tgid.trim().parse::<i32>().ok())
        == Some(pid.as_raw())
}

/// The bytes a `/proc/PID/` file holds most times: enough to read it in one
/// call. `/proc` files report a size of 0, so growing the buffer from
/// nothing would read an environment in seven growing steps, each of which
/// costs the kernel a walk of the other process's memory.
const PROC_READ_CAPACITY: usize = 16 * 1024;

/// Enough for a `/proc/PID/stat` (some fifty numbers and a short name);
/// a longer one costs one more read. It is read for every probed pid, so
/// it gets a buffer of its own size.
const STAT_CAPACITY: usize = 1024;

/// `/proc/PID/NAME`, read whole into a buffer of `capacity` bytes at first.
fn read_proc_file(pid: Pid, name: &str, capacity: usize) -> std::io::Result<Vec<u8>> {
    read_whole(format!("/proc/{pid}/{name}"), capacity)
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
    use std::io::{BufRead, BufReader};
    use std::process::{ChildStdout, Command, Stdio};

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

    /// Starts `command` carrying `token` as an orphan, as a daemon is: its
    /// parent shell exits at once. Its pid, and its stdout.
    fn orphan(token: &AttemptToken, command: &str) -> (Pid, BufReader<ChildStdout>) {
        let mut shell = Command::new("sh")
            .args(["-c", &format!("{command} & echo $!")])
            .env(TOKEN_VARIABLE, token.value())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh starts");
        let mut stdout = BufReader::new(shell.stdout.take().expect("piped"));
        let mut pid = String::new();
        stdout.read_line(&mut pid).expect("reads the pid");
        shell.wait().expect("sh exits");
        (Pid::from_raw(pid.trim().parse().expect("a pid")), stdout)
    }

    /// Waits until `pid` shows `it`, or 10 s.
    fn until(pid: Pid, it: impl Fn(Option<Stat>) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if it(stat(pid)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    fn gone(stat: Option<Stat>) -> bool {
        stat.is_none_or(|stat| matches!(stat.state, 'Z' | 'X'))
    }

    /// Waits until `pid` shows its environment (its exec is done).
    fn until_exec_done(pid: Pid, token: &AttemptToken) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while scan(&token.entry(), vec![pid.as_raw()]).0.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_sweep_kills_only_the_carriers_of_its_token() {
        let (token, other) = (AttemptToken::new(), AttemptToken::new());
        let (ours, _) = orphan(&token, "sleep 300");
        let (theirs, _) = orphan(&other, "sleep 300");
        until_exec_done(ours, &token);
        until_exec_done(theirs, &other);
        let nobody = Pid::from_raw(i32::MAX);
        assert_eq!(sweep(&token, nobody, StartedAfter::any()), 1);
        assert!(until(ours, gone), "killed");
        assert!(!gone(stat(theirs)), "the other attempt's is left alone");
        assert_eq!(sweep(&other, nobody, StartedAfter::any()), 1);
        assert!(until(theirs, gone), "killed");
        assert_eq!(sweep(&token, nobody, StartedAfter::any()), 0);
    }

    #[test]
    fn the_first_look_sends_an_escapee_to_the_full_sweep() {
        let token = AttemptToken::new();
        let (pid, _) = orphan(&token, "sleep 300");
        let nobody = Pid::from_raw(i32::MAX);
        // Its pid first in the range, just now: as for a command's shell
        // that has just exited.
        let since = || StartedAfter::process(pid.as_raw());
        assert!(
            !nothing_to_sweep(&token, nobody, since()),
            "found at once, even mid-exec"
        );
        until_exec_done(pid, &token);
        assert!(!nothing_to_sweep(&token, nobody, since()));
        // In the command's own group it is the group's SIGKILL's to stop.
        // (Retried: another test's process caught in its exec within the
        // range sends the first look to the full sweep too.)
        let group = stat(pid).expect("alive").group;
        let eventually = |check: &dyn Fn() -> bool| until(pid, |_| check());
        assert!(eventually(&|| nothing_to_sweep(&token, group, since())));
        assert_eq!(sweep(&token, nobody, since()), 1);
        assert!(until(pid, gone), "killed");
        assert!(eventually(&|| nothing_to_sweep(&token, nobody, since())));
        // Every process listed (a long command's case): left to the sweep.
        assert!(!nothing_to_sweep(&token, nobody, StartedAfter::any()));
    }

    #[test]
    fn a_carrier_with_threads_is_killed_and_counted_once() {
        let token = AttemptToken::new();
        // Three threads besides the main one, all sleeping.
        let script = "import threading, time\n\
                      for _ in range(3): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n\
                      print('ready', flush=True)\n\
                      time.sleep(300)";
        let (pid, mut stdout) = orphan(&token, &format!("python3 -c \"{script}\""));
        let mut ready = String::new();
        stdout.read_line(&mut ready).expect("reads");
        assert_eq!(ready.trim(), "ready");
        let ids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("its threads")
            .flatten()
            .filter_map(|thread| thread.file_name().to_str()?.parse().ok())
            .collect();
        assert_eq!(ids.len(), 4);
        // Probed, the threads' ids show the carrier's environment too.
        let (carriers, _) = scan(&token.entry(), ids);
        let carriers: Vec<Pid> = carriers.into_iter().map(|(pid, _)| pid).collect();
        assert_eq!(carriers, vec![pid]);
        let nobody = Pid::from_raw(i32::MAX);
        assert_eq!(sweep(&token, nobody, StartedAfter::any()), 1);
        assert!(until(pid, gone), "killed");
    }

    #[test]
    fn own_children_are_told_apart_without_being_reaped() {
        let mut child = Command::new("sh")
            .args(["-c", "exit 7"])
            .spawn()
            .expect("sh starts");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid fits"));
        assert!(is_own_child(pid), "running or exited, it is ours");
        // Exited and not yet reaped: still ours, and still there to reap.
        assert!(until(pid, |stat| stat.is_some_and(|stat| stat.state == 'Z')));
        assert!(is_own_child(pid));
        assert_eq!(child.wait().expect("reaps").code(), Some(7));
        assert!(!is_own_child(pid), "reaped");
        assert!(!is_own_child(Pid::this()));
        assert!(!is_own_child(Pid::from_raw(1)));
    }

    #[test]
    fn the_runner_s_own_children_are_taken_for_other_attempts_shells() {
        let token = AttemptToken::new();
        let mut child = Command::new("sleep")
            .arg("300")
            .env(TOKEN_VARIABLE, token.value())
            .spawn()
            .expect("sleep starts");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid fits"));
        // Its exec done: its environment shows the token.
        assert!(until(pid, |_| read_proc_file(
            pid,
            "environ",
            PROC_READ_CAPACITY
        )
        .is_ok_and(|environ| environ
            .split(|&byte| byte == 0)
            .any(|entry| entry == token.entry()))));
        let found = !scan(&token.entry(), vec![pid.as_raw()]).0.is_empty();
        // Unless orphans come to this process: then its children may be
        // another attempt's escapees.
        assert_eq!(found, !orphans_go_elsewhere());
        child.kill().expect("kills");
        child.wait().expect("reaps");
    }
}
