//! `footprint`: what the `taskrunner` binary costs before it has work: the
//! time from its spawn to its first PollForTask, and its resident memory
//! while it polls an empty queue.
//!
//! The real binary (found next to the bench executable, or given with
//! `--taskrunner-bin`) runs against the embedded service in a child
//! process, through a [`WatchingProxy`] that notes when the first
//! PollForTask request passes. The binary is started several times; each
//! start is timed from just before `spawn` to that request, and each run's
//! VmRSS is read after it has polled for a while. Memory per in-flight
//! lease is the `leases` suite's figure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::measure::{self, mebibytes, Memory};
use crate::proxy::WatchingProxy;
use crate::report::{Figure, Target};
use crate::service::{ServiceProcess, ServiceTiming};
use crate::suite::{Options, Suite, SuiteReport};

/// Starts of the binary in a full run.
const FULL_STARTS: usize = 5;

/// Starts with `--quick`.
const QUICK_STARTS: usize = 2;

/// How long each run polls before its memory is read in a full run.
const FULL_IDLE: Duration = Duration::from_secs(3);

/// With `--quick`.
const QUICK_IDLE: Duration = Duration::from_secs(1);

/// The most a start may take to reach its first PollForTask before the
/// suite gives up.
const FIRST_POLL_TIMEOUT: Duration = Duration::from_secs(30);

/// Target: spawn to the first PollForTask, in ms.
const TARGET_FIRST_POLL_MS: f64 = 100.0;

/// Target: idle resident memory, in MiB.
const TARGET_IDLE_MIB: f64 = 15.0;

/// The `footprint` suite.
#[derive(Debug)]
pub(crate) struct Footprint;

impl Suite for Footprint {
    fn name(&self) -> &'static str {
        "footprint"
    }

    fn summary(&self) -> &'static str {
        "taskrunner binary: idle RSS (< 15 MiB), spawn to first poll (< 100 ms)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let binary = taskrunner_binary(options.taskrunner_binary.as_deref())?;
        let (starts, idle) = if options.quick {
            (QUICK_STARTS, QUICK_IDLE)
        } else {
            (FULL_STARTS, FULL_IDLE)
        };
        let service = ServiceProcess::start_embedded(ServiceTiming {
            long_poll_wait: Duration::from_secs(2),
            ..ServiceTiming::default()
        })?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let proxy =
            runtime.block_on(WatchingProxy::start(service.endpoint_url(), "PollForTask"))?;
        let scratch = std::env::temp_dir().join(format!("bench-footprint-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        let mut runs = Vec::new();
        for start in 1..=starts {
            proxy.reset();
            let run = runtime.block_on(one_start(&binary, &proxy, &scratch, idle));
            let run = run.with_context(|| format!("start {start} of {}", binary.display()))?;
            progress(&format!(
                "start {start}/{starts}: first PollForTask after {:.1} ms, idle RSS {:.2} MiB",
                measure::milliseconds(run.first_poll),
                mebibytes(run.idle.resident_kib)
            ));
            runs.push(run);
        }
        let _ = std::fs::remove_dir_all(&scratch);
        Ok(SuiteReport {
            figures: figures(&runs),
            notes: vec![format!(
                "footprint: {} ({starts} starts) with --workerGroup bench --tasks 2, static credentials on the command \
                 line and a clean environment, against the embedded service (child process) through a TCP proxy that \
                 timestamps the first request whose X-Amz-Target is DataPipeline.PollForTask. Time to the first poll \
                 runs from just before spawn; idle RSS is VmRSS after {idle:?} of long polls on an empty queue. \
                 Memory per in-flight lease is the leases suite's figure.",
                binary.display()
            )],
        })
    }
}

/// What one start measured.
#[derive(Debug, Clone, Copy)]
struct Start {
    /// From spawn to the first PollForTask at the proxy.
    first_poll: Duration,
    /// Memory after polling for a while.
    idle: Memory,
}

/// The binary's figures over every start.
fn figures(runs: &[Start]) -> Vec<Figure> {
    let first: Vec<f64> = runs
        .iter()
        .map(|run| measure::milliseconds(run.first_poll))
        .collect();
    let idle: Vec<f64> = runs
        .iter()
        .map(|run| mebibytes(run.idle.resident_kib))
        .collect();
    let peak: Vec<f64> = runs
        .iter()
        .map(|run| mebibytes(run.idle.peak_kib))
        .collect();
    let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
    vec![
        Figure::with_target(
            format!("spawn -> first PollForTask (median of {})", runs.len()),
            measure::median(&first),
            "ms",
            Target::AtMost(TARGET_FIRST_POLL_MS),
        ),
        Figure::info("spawn -> first PollForTask, slowest", max(&first), "ms"),
        Figure::with_target(
            format!("idle RSS (median of {})", runs.len()),
            measure::median(&idle),
            "MiB",
            Target::AtMost(TARGET_IDLE_MIB),
        ),
        Figure::info("idle RSS, largest", max(&idle), "MiB"),
        Figure::info("peak RSS (VmHWM), largest", max(&peak), "MiB"),
    ]
}

/// Starts the binary once, times it to its first poll, lets it poll for
/// `idle` and reads its memory; the child is killed afterwards.
async fn one_start(
    binary: &Path,
    proxy: &WatchingProxy,
    scratch: &Path,
    idle: Duration,
) -> anyhow::Result<Start> {
    let mut command = Command::new(binary);
    command
        .args([
            "--endpoint",
            &proxy.endpoint_url(),
            "--workerGroup",
            "bench",
            "--accessId",
            "AKIDBENCH",
            "--secretKey",
            "bench-secret",
            "--region",
            "us-east-1",
            "--tasks",
            "2",
        ])
        .arg("--work-dir")
        .arg(scratch)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let began = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let mut child = KilledOnDrop(child);
    let first = tokio::time::timeout(FIRST_POLL_TIMEOUT, proxy.first_arrival()).await;
    let Ok(first) = first else {
        let status = child.0.try_wait().ok().flatten();
        bail!(
            "no PollForTask within {FIRST_POLL_TIMEOUT:?} (the binary's exit status: {status:?})"
        );
    };
    tokio::time::sleep(idle).await;
    if let Some(status) = child.0.try_wait().context("cannot check on the binary")? {
        bail!("the binary exited while idle: {status}");
    }
    let memory = Memory::of(child.0.id())?;
    Ok(Start {
        first_poll: first.saturating_duration_since(began),
        idle: memory,
    })
}

/// A child process killed and reaped when dropped.
struct KilledOnDrop(Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `taskrunner` binary: `given`, else the one next to the bench
/// executable (`target/release/taskrunner` for a release bench).
///
/// # Errors
/// The binary does not exist; the message says how to build it.
pub(crate) fn taskrunner_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let binary = match given {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()
            .context("cannot find the bench executable")?
            .parent()
            .context("the bench executable has no directory")?
            .join("taskrunner"),
    };
    if !binary.is_file() {
        bail!(
            "there is no taskrunner binary at {}: build it with `cargo build --release --bins` (or `cargo build \
             --bins` for a debug bench), or name one with --taskrunner-bin",
            binary.display()
        );
    }
    Ok(binary)
}

/// A progress line on stderr; stdout holds only the table.
fn progress(message: &str) {
    eprintln!("footprint: {message}");
}
