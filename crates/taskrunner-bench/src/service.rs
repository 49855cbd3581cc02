//! `datapipeline-local` as a child process, so that its memory and CPU are
//! its own and not mixed with the clients that drive it.
//!
//! By default the child is this very executable started with the hidden
//! `--serve-local` flag: it embeds the `datapipeline-local` library, so it
//! always runs the service's current code and needs no path to another
//! binary. `--service-bin` runs a built `datapipeline-local` binary instead.
//! Either way the child runs the service on a default multi-thread tokio
//! runtime (one worker per core), as the `datapipeline-local` binary does.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};
use datapipeline_local::{Config, Limits, Timing};

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

/// A running service child. Dropping it kills the child.
#[derive(Debug)]
pub(crate) struct ServiceProcess {
    /// The child; killed and reaped on drop.
    child: Child,
    /// Where it listens, e.g. `http://127.0.0.1:40123`.
    endpoint: String,
}

impl ServiceProcess {
    /// Starts a service with no account limits and waits until it listens.
    ///
    /// `binary` picks a `datapipeline-local` executable; `None` runs the
    /// service embedded in this executable.
    pub(crate) fn start(binary: Option<&Path>) -> anyhow::Result<Self> {
        let mut command = match binary {
            Some(binary) => {
                let mut command = Command::new(binary);
                command
                    .args(["--port", "0", "--no-limits", "--long-poll-wait"])
                    .arg(humantime_secs(LONG_POLL_WAIT));
                // Its tracing goes to stderr at info; keep the bench's
                // output to the table.
                command.env("RUST_LOG", "warn");
                command
            }
            None => {
                let executable: PathBuf = std::env::current_exe()
                    .context("cannot find the bench executable to start the service")?;
                let mut command = Command::new(executable);
                command.arg(SERVE_FLAG);
                command
            }
        };
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
        // Drain the rest of its stdout so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Ok(Self { child, endpoint })
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
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        // The benchmark keeps nothing the service holds: no need for a
        // graceful stop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `5s` for `--long-poll-wait`.
fn humantime_secs(duration: Duration) -> String {
    format!("{}s", duration.as_secs().max(1))
}

/// Runs the embedded service until stdin closes: the body of the hidden
/// `--serve-local` mode. It prints `listening on URL` once bound.
///
/// Tying its life to stdin means a bench that dies, however it dies, takes
/// its service with it: the pipe closes and the child stops.
pub(crate) fn serve() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the service's runtime")?;
    runtime.block_on(async {
        let config = Config {
            timing: Timing {
                long_poll_wait: LONG_POLL_WAIT,
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
        service.shutdown().await;
        Ok(())
    })
}
