//! The lease holder: a `Runner` in a child process of its own, whose
//! handlers sleep until told to stop, so that its resident memory is the
//! runner's and nothing else's.
//!
//! The bench re-runs itself with the hidden [`HOLD_FLAG`] and the
//! [`HolderConfig`] as flags. The child reports what happens as lines on
//! stdout, `EVENT {json}`, in this order:
//!
//! 1. `ready`: the runner is built, nothing polled; its RSS;
//! 2. `held`: every task is acknowledged and its handler running; RSS and
//!    reports so far;
//! 3. `released`: the hold is over, handlers are about to be told to stop;
//!    RSS, peak RSS and reports so far;
//! 4. `done`: every task is FINISHED and the runner stopped; its summary.
//!
//! The parent reads the service's and the child's CPU at `held` and
//! `released`, so the hold's cost is measured from outside.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use taskrunner::lease::LeaseConfig;
use taskrunner::service::CallBudget;
use taskrunner::{RunnerBuilder, TaskContext};
use tokio::sync::{oneshot, watch, Notify};

use crate::counting::{CallCounts, CountingService};
use crate::measure::Memory;
use crate::pipelines::{self, WORKER_GROUP};

/// The flag that turns the bench executable into the lease holder.
pub(crate) const HOLD_FLAG: &str = "--hold-leases";

/// The most polling and acknowledging every task may take.
const FILL_TIMEOUT: Duration = Duration::from_secs(180);

/// The most finishing every task after the hold may take.
const FINISH_TIMEOUT: Duration = Duration::from_secs(180);

/// When set, the holder exits as soon as every lease is held, without
/// releasing anything: run under a heap profiler
/// (`BENCH_HOLDER_PREFIX="heaptrack -o /tmp/holder"`), the allocations it
/// reports as leaked are exactly what the held leases keep.
const EXIT_WHEN_HELD_VARIABLE: &str = "BENCH_HOLDER_EXIT_WHEN_HELD";

/// What the holder does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HolderConfig {
    /// The service's endpoint URL.
    pub(super) endpoint: String,
    /// Tasks to take and hold: the runner's concurrency.
    pub(super) leases: usize,
    /// PollForTask calls in flight while filling.
    pub(super) pollers: usize,
    /// `LeaseConfig::progress_interval`.
    pub(super) progress_interval: Duration,
    /// `LeaseConfig::default_report_timeout`: the service's
    /// `reportProgressTimeout` for these tasks.
    pub(super) report_timeout: Duration,
    /// How long to hold every lease once all are running.
    pub(super) hold: Duration,
}

impl HolderConfig {
    /// The flags, after [`HOLD_FLAG`], that carry this configuration.
    pub(super) fn to_flags(&self) -> Vec<String> {
        let millis = |duration: Duration| duration.as_millis().to_string();
        [
            ("--endpoint", self.endpoint.clone()),
            ("--leases", self.leases.to_string()),
            ("--pollers", self.pollers.to_string()),
            ("--progress-interval-ms", millis(self.progress_interval)),
            ("--report-timeout-ms", millis(self.report_timeout)),
            ("--hold-ms", millis(self.hold)),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }

    /// The configuration [`HolderConfig::to_flags`] wrote; every flag is
    /// required.
    fn from_flags(flags: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut endpoint = None;
        let mut numbers = [None; 5];
        let names = [
            "--leases",
            "--pollers",
            "--progress-interval-ms",
            "--report-timeout-ms",
            "--hold-ms",
        ];
        let mut flags = flags.into_iter();
        while let Some(flag) = flags.next() {
            let value = flags
                .next()
                .with_context(|| format!("{HOLD_FLAG}: {flag} needs a value"))?;
            if flag == "--endpoint" {
                endpoint = Some(value);
                continue;
            }
            let Some(index) = names.iter().position(|name| *name == flag) else {
                bail!("{HOLD_FLAG}: unknown flag {flag}");
            };
            let number: u64 = value
                .parse()
                .with_context(|| format!("{HOLD_FLAG}: {flag} {value} is not a number"))?;
            numbers[index] = Some(number);
        }
        let number = |index: usize| {
            numbers[index].with_context(|| format!("{HOLD_FLAG}: {} is missing", names[index]))
        };
        Ok(Self {
            endpoint: endpoint.with_context(|| format!("{HOLD_FLAG}: --endpoint is missing"))?,
            leases: usize::try_from(number(0)?)?,
            pollers: usize::try_from(number(1)?)?,
            progress_interval: Duration::from_millis(number(2)?),
            report_timeout: Duration::from_millis(number(3)?),
            hold: Duration::from_millis(number(4)?),
        })
    }
}

/// The body of the hidden [`HOLD_FLAG`] mode: `flags` are those after it.
pub(crate) fn hold(flags: impl IntoIterator<Item = String>) -> anyhow::Result<()> {
    let config = HolderConfig::from_flags(flags)?;
    anyhow::ensure!(
        config.leases > 0,
        "{HOLD_FLAG}: --leases must be at least 1"
    );
    // One worker per core, as a runner's default runtime has.
    let runtime = tokio::runtime::Runtime::new().context("cannot start the holder's runtime")?;
    runtime.block_on(hold_leases(config))
}

/// Takes `config.leases` tasks, holds them for `config.hold`, then lets
/// every handler finish, printing the events the module docs list.
async fn hold_leases(config: HolderConfig) -> anyhow::Result<()> {
    let pid = std::process::id();
    let counts = CallCounts::new(config.leases as u64);
    let running = Arc::new(AtomicUsize::new(0));
    let all_running = Arc::new(Notify::new());
    let (release, released) = watch::channel(false);
    let activity = {
        let (running, all_running, leases) = (running.clone(), all_running.clone(), config.leases);
        move |task: TaskContext| {
            let (running, all_running, mut released) =
                (running.clone(), all_running.clone(), released.clone());
            async move {
                if running.fetch_add(1, Ordering::Relaxed) + 1 == leases {
                    all_running.notify_one();
                }
                // A canceled or lost lease sends no status whatever the
                // handler answers: Finished is fine either way.
                tokio::select! {
                    _released = released.wait_for(|released| *released) => {}
                    _reason = task.cancelled() => {}
                }
            }
        }
    };
    let lease_config = LeaseConfig {
        progress_interval: config.progress_interval,
        default_report_timeout: config.report_timeout,
        ..LeaseConfig::default()
    };
    let runner = RunnerBuilder::new(CountingService::new(
        pipelines::sdk_client(&config.endpoint),
        counts.clone(),
    ))
    .worker_group(WORKER_GROUP)
    .concurrency(config.leases)
    .pollers(config.pollers)
    .activity_for_type("ShellCommandActivity", activity)
    .budget(CallBudget::unlimited())
    .lease_config(lease_config)
    .hostname("bench-leases")
    .build()
    .context("cannot build the runner")?;

    let ready = Memory::of(pid)?;
    emit("ready", &json!({ "rss_kib": ready.resident_kib }));
    let began = Instant::now();
    let (stop, stopped) = oneshot::channel::<()>();
    let run = tokio::spawn(runner.run_until(async {
        let _ = stopped.await;
    }));
    tokio::time::timeout(FILL_TIMEOUT, all_running.notified())
        .await
        .with_context(|| {
            format!(
                "only {} of {} handlers were running after {FILL_TIMEOUT:?}",
                running.load(Ordering::Relaxed),
                config.leases
            )
        })?;
    let filled = began.elapsed();
    let held = Memory::of(pid)?;
    emit(
        "held",
        &json!({
            "rss_kib": held.resident_kib,
            "fill_ms": filled.as_millis() as u64,
            "reports": counts.reports(),
        }),
    );
    if std::env::var_os(EXIT_WHEN_HELD_VARIABLE).is_some() {
        // Everything still allocated is what the held leases cost: a heap
        // profiler reports it as "leaked" at this exit, with its call stacks.
        std::process::exit(0);
    }
    tokio::time::sleep(config.hold).await;
    let end = Memory::of(pid)?;
    emit(
        "released",
        &json!({
            "rss_kib": end.resident_kib,
            "peak_kib": end.peak_kib,
            "reports": counts.reports(),
        }),
    );
    let _ = release.send(true);
    let released_at = Instant::now();
    tokio::time::timeout(FINISH_TIMEOUT, counts.statuses_reached())
        .await
        .with_context(|| {
            format!(
                "only {} of {} tasks were FINISHED {FINISH_TIMEOUT:?} after the release",
                counts.statuses(),
                config.leases
            )
        })?;
    let finished_in = released_at.elapsed();
    let _ = stop.send(());
    let summary = run.await.context("the runner panicked")?;
    emit(
        "done",
        &json!({
            "finish_ms": finished_in.as_millis() as u64,
            "polled": summary.polled,
            "finished": summary.finished,
            "failed": summary.failed,
            "canceled": summary.canceled,
            "lost": summary.lost,
            "shut_down": summary.shut_down,
            "abandoned": summary.abandoned,
            "status_failures": summary.status_failures,
        }),
    );
    Ok(())
}

/// Prints one event line for the parent.
fn emit(event: &str, fields: &Value) {
    println!("{event} {fields}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_survives_the_trip_through_flags() {
        let config = HolderConfig {
            endpoint: "http://127.0.0.1:1".to_owned(),
            leases: 10_000,
            pollers: 8,
            progress_interval: Duration::from_secs(2),
            report_timeout: Duration::from_secs(20),
            hold: Duration::from_millis(15_500),
        };
        assert_eq!(HolderConfig::from_flags(config.to_flags()).unwrap(), config);
        let mut missing = config.to_flags();
        missing.truncate(4);
        assert!(HolderConfig::from_flags(missing).is_err());
    }
}
