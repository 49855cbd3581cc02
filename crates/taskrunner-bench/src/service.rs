//! `datapipeline-local` as a child process, so that its memory and CPU are
//! its own and not mixed with the clients that drive it.
//!
//! By default the child is this very executable started with the hidden
//! `--serve-local` flag: it embeds the `datapipeline-local` library, so it
//! always runs the service's current code and needs no path to another
//! binary. `--service-bin` runs a built `datapipeline-local` binary instead.
//! Either way the child runs the service on a default multi-thread tokio
//! runtime (one worker per core), as the `datapipeline-local` binary does.
//!
//! The embedded service can be given other timing ([`ServiceTiming`], passed
//! as flags after `--serve-local`), and when its stdin closes it prints its
//! [`Audit`] as one JSON line before it stops, so that a suite can check the
//! service's own records (leases expired, reports accepted) after a run.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use datapipeline_local::{Audit, Config, Limits, Timing};
use serde_json::{json, Value};

use crate::measure::{self, Memory};

/// The flag that turns the bench executable into the service.
pub(crate) const SERVE_FLAG: &str = "--serve-local";

/// How long a poll waits for a task before answering `{}`. The suites never
/// poll an empty queue on purpose; a short wait makes a lost task show up
/// as an error within seconds instead of 90.
const LONG_POLL_WAIT: Duration = Duration::from_secs(5);

/// The first stdout line of both service flavours ends with the endpoint
/// after this.
const LISTENING: &str = "listening on ";

/// The embedded service's last stdout line starts with this, followed by
/// its audit as JSON.
const AUDIT: &str = "audit ";

/// How long [`ServiceProcess::finish`] waits for the service to stop and
/// print its audit.
const FINISH_WAIT: Duration = Duration::from_secs(15);

/// The durations of the embedded service that suites may change; the rest
/// of its configuration is fixed (no account limits, wall-clock time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceTiming {
    /// How long PollForTask waits for a task before answering `{}`.
    pub(crate) long_poll_wait: Duration,
    /// How long a polled task may go unacknowledged.
    pub(crate) ack_timeout: Duration,
    /// The `reportProgressTimeout` of tasks that set none (the suites'
    /// pipelines set none).
    pub(crate) report_progress_timeout: Duration,
}

impl Default for ServiceTiming {
    /// AWS's timing, except a [`LONG_POLL_WAIT`] long poll.
    fn default() -> Self {
        let timing = Timing::default();
        Self {
            long_poll_wait: LONG_POLL_WAIT,
            ack_timeout: timing.ack_timeout,
            report_progress_timeout: timing.default_report_progress_timeout,
        }
    }
}

impl ServiceTiming {
    /// The flags, after [`SERVE_FLAG`], that carry this timing to the child.
    fn to_flags(self) -> Vec<String> {
        let millis = |duration: Duration| duration.as_millis().to_string();
        vec![
            "--long-poll-wait-ms".to_owned(),
            millis(self.long_poll_wait),
            "--ack-timeout-ms".to_owned(),
            millis(self.ack_timeout),
            "--report-progress-timeout-ms".to_owned(),
            millis(self.report_progress_timeout),
        ]
    }

    /// The timing [`ServiceTiming::to_flags`] wrote; defaults for flags not
    /// given.
    fn from_flags(flags: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut timing = Self::default();
        let mut flags = flags.into_iter();
        while let Some(flag) = flags.next() {
            let value = flags
                .next()
                .with_context(|| format!("{SERVE_FLAG}: {flag} needs a value in milliseconds"))?;
            let millis: u64 = value.parse().with_context(|| {
                format!("{SERVE_FLAG}: {flag} {value} is not a number of milliseconds")
            })?;
            let duration = Duration::from_millis(millis);
            match flag.as_str() {
                "--long-poll-wait-ms" => timing.long_poll_wait = duration,
                "--ack-timeout-ms" => timing.ack_timeout = duration,
                "--report-progress-timeout-ms" => timing.report_progress_timeout = duration,
                _ => bail!("{SERVE_FLAG}: unknown flag {flag}"),
            }
        }
        Ok(timing)
    }
}

/// A running service child. Dropping it kills the child.
#[derive(Debug)]
pub(crate) struct ServiceProcess {
    /// The child; killed and reaped on drop.
    child: Child,
    /// Where it listens, e.g. `http://127.0.0.1:40123`.
    endpoint: String,
    /// The audit line the embedded service prints when its stdin closes,
    /// forwarded by the thread that drains its stdout.
    audit: mpsc::Receiver<String>,
}

impl ServiceProcess {
    /// Starts a service with no account limits and waits until it listens.
    ///
    /// `binary` picks a `datapipeline-local` executable; `None` runs the
    /// service embedded in this executable.
    pub(crate) fn start(binary: Option<&Path>) -> anyhow::Result<Self> {
        match binary {
            Some(binary) => {
                let mut command = Command::new(binary);
                command
                    .args(["--port", "0", "--no-limits", "--long-poll-wait"])
                    .arg(humantime_secs(LONG_POLL_WAIT));
                // Its tracing goes to stderr at info; keep the bench's
                // output to the table.
                command.env("RUST_LOG", "warn");
                Self::spawn(command)
            }
            None => Self::start_embedded(ServiceTiming::default()),
        }
    }

    /// Starts the service embedded in this executable with `timing`.
    pub(crate) fn start_embedded(timing: ServiceTiming) -> anyhow::Result<Self> {
        let executable: PathBuf = std::env::current_exe()
            .context("cannot find the bench executable to start the service")?;
        let mut command = Command::new(executable);
        command.arg(SERVE_FLAG).args(timing.to_flags());
        Self::spawn(command)
    }

    /// Spawns `command` and waits for the line that says where it listens.
    fn spawn(mut command: Command) -> anyhow::Result<Self> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start the service: {command:?}"))?;
        let stdout = child
            .stdout
            .take()
            .context("the service's stdout is not piped")?;
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        let endpoint = match read {
            Ok(_) => line
                .trim()
                .rsplit_once(LISTENING)
                .map(|(_, endpoint)| endpoint.to_owned()),
            Err(_) => None,
        };
        let Some(endpoint) = endpoint else {
            let _ = child.kill();
            let status = child.wait();
            bail!(
                "the service did not say where it listens (first line {line:?}, exit {status:?})"
            );
        };
        // Drain the rest of its stdout so that it never blocks on a full
        // pipe, and pass the audit line on.
        let (audit_sender, audit) = mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Some(audit) = line.strip_prefix(AUDIT) {
                    let _ = audit_sender.send(audit.to_owned());
                }
            }
        });
        Ok(Self {
            child,
            endpoint,
            audit,
        })
    }

    /// The endpoint URL to point clients at.
    pub(crate) fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// The child's resident memory.
    pub(crate) fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.child.id())
    }

    /// The CPU time the child has used so far.
    pub(crate) fn cpu_time(&self) -> anyhow::Result<Duration> {
        measure::cpu_time(self.child.id())
    }

    /// Stops the embedded service by closing its stdin and answers the
    /// audit it prints as it stops: the service's own counts of the run.
    ///
    /// # Errors
    /// The service printed no audit within [`FINISH_WAIT`] (a
    /// `datapipeline-local` binary prints none), or an unreadable one.
    pub(crate) fn finish(mut self) -> anyhow::Result<Audit> {
        drop(self.child.stdin.take());
        let line = self.audit.recv_timeout(FINISH_WAIT).with_context(|| {
            format!(
                "the service printed no audit within {FINISH_WAIT:?} of its stdin closing \
                 (only the embedded service prints one)"
            )
        })?;
        let value: Value = serde_json::from_str(&line)
            .with_context(|| format!("the service's audit is not JSON: {line}"))?;
        audit_from_json(&value)
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        // The benchmark keeps nothing the service holds: no need for a
        // graceful stop (`finish` has done one when a suite wanted it).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `5s` for `--long-poll-wait`.
fn humantime_secs(duration: Duration) -> String {
    format!("{}s", duration.as_secs().max(1))
}

/// Runs the embedded service until stdin closes: the body of the hidden
/// `--serve-local` mode, whose `flags` (those after it) are a
/// [`ServiceTiming`]. It prints `listening on URL` once bound, and its
/// audit as JSON after `audit ` once stdin closes.
///
/// Tying its life to stdin means a bench that dies, however it dies, takes
/// its service with it: the pipe closes and the child stops.
pub(crate) fn serve(flags: impl IntoIterator<Item = String>) -> anyhow::Result<()> {
    let timing = ServiceTiming::from_flags(flags)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the service's runtime")?;
    runtime.block_on(async {
        let config = Config {
            timing: Timing {
                long_poll_wait: timing.long_poll_wait,
                ack_timeout: timing.ack_timeout,
                default_report_progress_timeout: timing.report_progress_timeout,
                ..Timing::default()
            },
            limits: Limits::unlimited(),
            ..Config::default()
        };
        let address = SocketAddr::from(([127, 0, 0, 1], 0));
        let service = datapipeline_local::start_on(address, config)
            .await
            .context("cannot start the service")?;
        println!(
            "datapipeline-local (embedded) {LISTENING}{}",
            service.endpoint_url()
        );
        let mut stdin = tokio::io::stdin();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stdin, &mut sink).await;
        // Counted before the shutdown, which answers open long polls.
        println!("{AUDIT}{}", audit_to_json(&service.audit()));
        service.shutdown().await;
        Ok(())
    })
}

/// The audit as the JSON object the child prints.
fn audit_to_json(audit: &Audit) -> Value {
    json!({
        "tasks_polled": audit.tasks_polled,
        "empty_polls": audit.empty_polls,
        "acknowledgements": audit.acknowledgements,
        "progress_reports": audit.progress_reports,
        "leases_expired": audit.leases_expired,
        "stale_reports": audit.stale_reports,
        "statuses_accepted": audit.statuses_accepted,
        "stale_statuses": audit.stale_statuses,
        "statuses_after_cancel": audit.statuses_after_cancel,
        "attempts_finished": audit.attempts_finished,
        "attempts_failed": audit.attempts_failed,
        "reruns": audit.reruns,
    })
}

/// The audit [`audit_to_json`] wrote.
fn audit_from_json(value: &Value) -> anyhow::Result<Audit> {
    let count = |name: &str| -> anyhow::Result<u64> {
        value
            .get(name)
            .and_then(Value::as_u64)
            .with_context(|| format!("the service's audit has no count {name}: {value}"))
    };
    Ok(Audit {
        tasks_polled: count("tasks_polled")?,
        empty_polls: count("empty_polls")?,
        acknowledgements: count("acknowledgements")?,
        progress_reports: count("progress_reports")?,
        leases_expired: count("leases_expired")?,
        stale_reports: count("stale_reports")?,
        statuses_accepted: count("statuses_accepted")?,
        stale_statuses: count("stale_statuses")?,
        statuses_after_cancel: count("statuses_after_cancel")?,
        attempts_finished: count("attempts_finished")?,
        attempts_failed: count("attempts_failed")?,
        reruns: count("reruns")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_survives_the_trip_through_flags() {
        let timing = ServiceTiming {
            long_poll_wait: Duration::from_millis(500),
            ack_timeout: Duration::from_secs(120),
            report_progress_timeout: Duration::from_secs(20),
        };
        assert_eq!(
            ServiceTiming::from_flags(timing.to_flags()).unwrap(),
            timing
        );
        assert_eq!(
            ServiceTiming::from_flags(Vec::new()).unwrap(),
            ServiceTiming::default()
        );
        assert!(ServiceTiming::from_flags(["--nope".to_owned(), "1".to_owned()]).is_err());
        assert!(ServiceTiming::from_flags(["--ack-timeout-ms".to_owned()]).is_err());
    }

    #[test]
    fn the_audit_survives_the_trip_through_json() {
        let audit = Audit {
            tasks_polled: 1,
            empty_polls: 2,
            acknowledgements: 3,
            progress_reports: 4,
            leases_expired: 5,
            stale_reports: 6,
            statuses_accepted: 7,
            stale_statuses: 8,
            statuses_after_cancel: 9,
            attempts_finished: 10,
            attempts_failed: 11,
            reruns: 12,
        };
        assert_eq!(audit_from_json(&audit_to_json(&audit)).unwrap(), audit);
    }
}
