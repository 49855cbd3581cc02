//! [`ProcessGroup`]: the command's processes, started in a process group of
//! their own and stopped, killed and reaped as one.
//!
//! The shell leads a new process group (`setpgid(0, 0)` in the child, via
//! `process_group(0)`), and everything it starts — pipelines, `&`
//! background jobs, their children — stays in that group unless it leaves
//! deliberately (`setsid`, or job control with `set -m`). Signals go to the
//! whole group, so a cancelled `sleep 300 & sleep 300` leaves nothing behind.
//!
//! Stopping waits for the whole group, not just the shell: `sh -c 'job'`
//! dies at SIGTERM at once while `job` may still be cleaning up, and
//! deserves the rest of the grace. Dead members awaiting reaping by init
//! (zombies) do not count, so a slow init costs no grace time.
//!
//! Why the group id can be signalled safely: a group id is the leader's pid,
//! and the kernel does not hand that pid out again while the leader is
//! unreaped or any process is still in the group. The group is signalled
//! only while the shell is unreaped, while members are seen alive, or right
//! after reaping the shell (to catch leftovers, within microseconds — pids
//! are allocated cyclically, so a just-freed one is not reused that fast),
//! and never again once [`ProcessGroup`] is finished.
//!
//! Processes that left the group are found by their environment token and
//! killed whenever the group is (see [`escapees`](crate::escapees)): after
//! the shell exits, after a stop, and when the group is dropped.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::time::{sleep, sleep_until, Instant};

use crate::dev_null::DevNull;
use crate::escapees::{nothing_to_sweep, stat, sweep, AttemptToken, TOKEN_VARIABLE};
use crate::recent_pids::StartedAfter;

/// How often to look whether a terminated group has emptied.
const GROUP_POLL: Duration = Duration::from_millis(20);

/// A running command: its shell (the group leader) and the rest of its
/// process group.
///
/// Dropping it before it is finished SIGKILLs the group; tokio then reaps
/// the shell in the background. So a task future dropped at any `.await`
/// (as the runner does after its own grace) leaves no process running and
/// no zombie.
#[derive(Debug)]
pub(crate) struct ProcessGroup {
    /// The shell. Reaped by `wait`/`terminate`, or by tokio after a drop.
    child: Child,
    /// The group id: the shell's pid.
    pgid: Pid,
    /// Set once the shell is reaped and the group has been SIGKILLed: from
    /// then on the id may belong to someone else, so nothing signals it.
    finished: bool,
    /// Marks every process of this command, in the group or not.
    token: AttemptToken,
    /// How many processes outside the group the sweeps killed.
    escapees_killed: usize,
    /// The processes the command may have started: where sweeps look.
    started_after: StartedAfter,
}

/// The pipes of a started command.
#[derive(Debug)]
pub(crate) struct Pipes {
    /// `None` when stdout goes to `/dev/null`.
    pub(crate) stdout: Option<ChildStdout>,
    pub(crate) stderr: ChildStderr,
}

impl ProcessGroup {
    /// Starts `command` as the leader of a new process group, with stdin
    /// from `dev_null`, stderr piped, stdout piped too unless
    /// `discard_stdout` (then to `dev_null`), and a fresh attempt token in
    /// its environment.
    ///
    /// # Errors
    ///
    /// The error from starting the process (e.g. the shell does not exist).
    pub(crate) fn spawn(
        command: &mut Command,
        dev_null: &DevNull,
        discard_stdout: bool,
    ) -> io::Result<(Self, Pipes)> {
        let stdout = if discard_stdout {
            dev_null.stdio()
        } else {
            Stdio::piped()
        };
        command
            .process_group(0)
            .stdin(dev_null.stdio())
            .stdout(stdout)
            .stderr(Stdio::piped());
        let token = AttemptToken::new();
        command.env(TOKEN_VARIABLE, token.value());
        let child = command.spawn()?;
        let missing = || io::Error::other("the started shell has no pid or pipes");
        let pid = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .ok_or_else(missing)?;
        // From here on, dropping `group` (an early return) kills the group.
        let mut group = Self {
            child,
            pgid: Pid::from_raw(pid),
            finished: false,
            token,
            escapees_killed: 0,
            started_after: StartedAfter::process(pid),
        };
        let stdout = group.child.stdout.take();
        if stdout.is_none() && !discard_stdout {
            return Err(missing());
        }
        let stderr = group.child.stderr.take().ok_or_else(missing)?;
        Ok((group, Pipes { stdout, stderr }))
    }

    /// The shell's pid (the group id).
    pub(crate) fn pid(&self) -> i32 {
        self.pgid.as_raw()
    }

    /// Waits for the shell to exit, then SIGKILLs whatever it left running
    /// in its group (background jobs would otherwise outlive the task and
    /// hold its output pipes open). Cancel-safe.
    ///
    /// # Errors
    ///
    /// The error from waiting for the shell.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.finish().await;
        Ok(status)
    }

    /// How many processes that had left the group were killed.
    pub(crate) fn escapees_killed(&self) -> usize {
        self.escapees_killed
    }

    /// Stops the group: SIGTERM (and SIGCONT, so stopped processes see it)
    /// to every process in it; then, once every process has exited or
    /// `grace` has passed, SIGKILL to whatever is left; then reaps the
    /// shell and returns its status.
    ///
    /// # Errors
    ///
    /// The error from waiting for the shell (the group is SIGKILLed anyway
    /// when `self` is dropped).
    pub(crate) async fn terminate(&mut self, grace: Duration) -> io::Result<ExitStatus> {
        if self.finished {
            return self.child.wait().await;
        }
        self.signal(Signal::SIGTERM);
        self.signal(Signal::SIGCONT);
        let deadline = Instant::now() + grace;
        let exited = tokio::select! {
            status = self.child.wait() => Some(status?),
            () = sleep_until(deadline) => None,
        };
        let Some(status) = exited else {
            tracing::warn!(
                pid = self.pid(),
                ?grace,
                "the command ignored SIGTERM: killing it"
            );
            self.signal(Signal::SIGKILL);
            let status = self.child.wait().await?;
            self.finish().await;
            return Ok(status);
        };
        // The shell is gone; its children may still be cleaning up.
        loop {
            if !self.group_alive().await {
                // Nothing left to kill, and the id may soon be reused.
                self.finished = true;
                self.sweep().await;
                return Ok(status);
            }
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(
                    pid = self.pid(),
                    ?grace,
                    "the command's children ignored SIGTERM: killing them"
                );
                self.finish().await;
                return Ok(status);
            }
            sleep(GROUP_POLL.min(deadline - now)).await;
        }
    }

    /// SIGKILLs what is left of the group, once, then what left it; the
    /// shell must be reaped.
    async fn finish(&mut self) {
        if !self.finished {
            self.signal(Signal::SIGKILL);
            self.finished = true;
        }
        self.sweep().await;
    }

    /// Kills the processes that left the group. After the group's SIGKILL,
    /// so that nothing in the group can still leave it.
    async fn sweep(&mut self) {
        let (token, group, since) = (self.token.clone(), self.pgid, self.started_after);
        let killed = if nothing_to_sweep(&token, group, since) {
            0
        } else {
            tokio::task::spawn_blocking(move || sweep(&token, group, since))
                .await
                .unwrap_or_else(|_| sweep(&self.token, self.pgid, since))
        };
        if killed > 0 {
            tracing::warn!(
                pid = self.pid(),
                killed,
                "killed processes the command left running outside its process group"
            );
        }
        self.escapees_killed += killed;
    }

    /// Whether a live process is left in the group. Zombies do not count:
    /// they are dead, only waiting for their new parent — init, which may
    /// be slow — to reap them. Reads `/proc` where there is one; elsewhere
    /// asks the kernel, which counts zombies too (so a slow reaper costs
    /// grace time there). A group we may not signal counts as alive.
    async fn group_alive(&self) -> bool {
        let (pgid, since) = (self.pgid.as_raw(), self.started_after);
        match tokio::task::spawn_blocking(move || live_process_in_group(pgid, since)).await {
            Ok(Some(alive)) => alive,
            _ => !matches!(killpg(self.pgid, None), Err(Errno::ESRCH)),
        }
    }

    fn signal(&self, signal: Signal) {
        match killpg(self.pgid, signal) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(error) => {
                tracing::warn!(pid = self.pid(), %signal, %error, "could not signal the command's process group");
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // Dropped mid-run (the task future was dropped): the shell is not
        // reaped, so its pid still names our group. tokio reaps it later.
        if !self.finished {
            self.signal(Signal::SIGKILL);
            // Reading /proc blocks, and this may run on an async thread:
            // sweep on a thread of its own. (A finished group was swept.)
            let (token, group, since) = (self.token.clone(), self.pgid, self.started_after);
            let spawned = std::thread::Builder::new()
                .name("taskrunner-shell-sweep".to_owned())
                .spawn(move || sweep(&token, group, since));
            if let Err(error) = spawned {
                tracing::warn!(%error, "could not start a thread to kill what the dropped command left outside its group");
            }
        }
    }
}

/// Whether `/proc` lists a process in group `pgid` that is not a zombie;
/// `None` without a readable `/proc`.
fn live_process_in_group(pgid: i32, since: StartedAfter) -> Option<bool> {
    // Every member of the group was started after its leader.
    std::fs::metadata("/proc/self/stat").ok()?;
    let alive = since.pids().into_iter().any(|pid| {
        // A process that exits meanwhile has no stat: not alive.
        stat(Pid::from_raw(pid))
            .is_some_and(|stat| !matches!(stat.state, 'Z' | 'X') && stat.group.as_raw() == pgid)
    });
    Some(alive)
}

/// `exited with status 3` or `killed by signal 9 (SIGKILL)`.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        // A shell exits 128 + N when its last command died of signal N:
        // say so, since that is what happened more often than not.
        let signal = code
            .checked_sub(128)
            .and_then(|number| Signal::try_from(number).ok());
        return match signal {
            Some(signal) => format!(
                "exited with status {code} (a shell's status for a command killed by {})",
                signal_name(signal as i32)
            ),
            None => format!("exited with status {code}"),
        };
    }
    match status.signal() {
        Some(number) => {
            let core = if status.core_dumped() {
                ", core dumped"
            } else {
                ""
            };
            format!("killed by {}{core}", signal_name(number))
        }
        None => format!("ended with {status}"),
    }
}

/// `signal 9 (SIGKILL)`, or `signal 40` for one without a name.
fn signal_name(number: i32) -> String {
    match Signal::try_from(number) {
        Ok(signal) => format!("signal {number} ({signal})"),
        Err(_) => format!("signal {number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_live_processes_by_group() {
        let ours = nix::unistd::getpgrp().as_raw();
        assert_eq!(live_process_in_group(ours, StartedAfter::any()), Some(true));
        assert_eq!(
            live_process_in_group(i32::MAX, StartedAfter::any()),
            Some(false)
        );
    }

    #[tokio::test]
    async fn describes_exits() {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", "exit 3"]);
        let (mut group, _pipes) =
            ProcessGroup::spawn(&mut command, &DevNull::open(), false).expect("spawns");
        assert_eq!(
            describe_exit(group.wait().await.expect("waits")),
            "exited with status 3"
        );

        let mut command = Command::new("/bin/sh");
        command.args(["-c", "sleep 100 & kill -SEGV $!; wait $!"]);
        let (mut group, _pipes) =
            ProcessGroup::spawn(&mut command, &DevNull::open(), false).expect("spawns");
        assert_eq!(
            describe_exit(group.wait().await.expect("waits")),
            "exited with status 139 (a shell's status for a command killed by signal 11 (SIGSEGV))"
        );

        let mut command = Command::new("/bin/sh");
        command.args(["-c", "kill -KILL $$"]);
        let (mut group, _pipes) =
            ProcessGroup::spawn(&mut command, &DevNull::open(), false).expect("spawns");
        assert_eq!(
            describe_exit(group.wait().await.expect("waits")),
            "killed by signal 9 (SIGKILL)"
        );
    }
}
