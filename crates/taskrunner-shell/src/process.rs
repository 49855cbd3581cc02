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

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::time::{sleep, sleep_until, Instant};

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
}

/// The pipes of a started command.
#[derive(Debug)]
pub(crate) struct Pipes {
    pub(crate) stdout: ChildStdout,
    pub(crate) stderr: ChildStderr,
}

impl ProcessGroup {
    /// Starts `command` as the leader of a new process group, with stdin
    /// from `/dev/null` and stdout and stderr piped.
    ///
    /// # Errors
    ///
    /// The error from starting the process (e.g. the shell does not exist).
    pub(crate) fn spawn(command: &mut Command) -> io::Result<(Self, Pipes)> {
        command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
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
        };
        let stdout = group.child.stdout.take().ok_or_else(missing)?;
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
        self.finish();
        Ok(status)
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
            self.finish();
            return Ok(status);
        };
        // The shell is gone; its children may still be cleaning up.
        loop {
            if !self.group_alive().await {
                // Nothing left to kill, and the id may soon be reused.
                self.finished = true;
                return Ok(status);
            }
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(
                    pid = self.pid(),
                    ?grace,
                    "the command's children ignored SIGTERM: killing them"
                );
                self.finish();
                return Ok(status);
            }
            sleep(GROUP_POLL.min(deadline - now)).await;
        }
    }

    /// SIGKILLs what is left of the group, once; the shell must be reaped.
    fn finish(&mut self) {
        if !self.finished {
            self.signal(Signal::SIGKILL);
            self.finished = true;
        }
    }

    /// Whether a live process is left in the group. Zombies do not count:
    /// they are dead, only waiting for their new parent — init, which may
    /// be slow — to reap them. Reads `/proc` where there is one; elsewhere
    /// asks the kernel, which counts zombies too (so a slow reaper costs
    /// grace time there). A group we may not signal counts as alive.
    async fn group_alive(&self) -> bool {
        let pgid = self.pgid.as_raw();
        match tokio::task::spawn_blocking(move || live_process_in_group(pgid)).await {
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
        }
    }
}

/// Whether `/proc` lists a process in group `pgid` that is not a zombie;
/// `None` without a readable `/proc`.
fn live_process_in_group(pgid: i32) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let alive = entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .as_encoded_bytes()
            .iter()
            .all(u8::is_ascii_digit);
        // A process that exits meanwhile has no stat: not alive.
        let stat = is_pid
            .then(|| std::fs::read_to_string(entry.path().join("stat")).ok())
            .flatten();
        // `pid (comm) state ppid pgrp …`; comm may hold spaces and parens.
        let fields = stat
            .as_deref()
            .and_then(|stat| stat.rsplit_once(')'))
            .map(|(_, rest)| {
                let mut fields = rest.split_whitespace();
                (fields.next(), fields.nth(1))
            });
        matches!(fields, Some((Some(state), Some(pgrp)))
            if !matches!(state, "Z" | "X") && pgrp.parse() == Ok(pgid))
    });
    Some(alive)
}

/// `exited with status 3` or `killed by signal SIGKILL`.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    match status.signal() {
        Some(number) => {
            let name = Signal::try_from(number)
                .map_or_else(|_| format!("{number}"), |signal| signal.as_str().to_owned());
            let core = if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            format!("killed by signal {name}{core}")
        }
        None => format!("ended with {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_live_processes_by_group() {
        let ours = nix::unistd::getpgrp().as_raw();
        assert_eq!(live_process_in_group(ours), Some(true));
        assert_eq!(live_process_in_group(i32::MAX), Some(false));
    }

    #[tokio::test]
    async fn describes_exits() {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", "exit 3"]);
        let (mut group, _pipes) = ProcessGroup::spawn(&mut command).expect("spawns");
        assert_eq!(
            describe_exit(group.wait().await.expect("waits")),
            "exited with status 3"
        );

        let mut command = Command::new("/bin/sh");
        command.args(["-c", "kill -KILL $$"]);
        let (mut group, _pipes) = ProcessGroup::spawn(&mut command).expect("spawns");
        assert_eq!(
            describe_exit(group.wait().await.expect("waits")),
            "killed by signal SIGKILL"
        );
    }
}
