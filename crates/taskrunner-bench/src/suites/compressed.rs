//! Production timing, compressed: every duration of the service, the
//! runner and the call budget divided by one [`TIME_SCALE`], so that an
//! hour of a runner's life under AWS's quotas passes in a minute.
//!
//! Under the scale a 15-minute `reportProgressTimeout` lasts 15 s, the
//! 60 s report interval 1 s, and the documented ReportTaskProgress quota of
//! 10 calls a second becomes 600 a second (bursts stay 100 calls: a burst
//! is a count, not a duration). The ratios that decide whether a lease
//! survives — budget × timeout, interval ÷ timeout — are those of
//! production. [`hold_leases`] is the shared experiment of `quota-scale`
//! and `soak`: one `Runner` takes N tasks and holds them all for a while.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use taskrunner::lease::LeaseConfig;
use taskrunner::service::{CallBudget, Operation, Quota};
use taskrunner::{CancelReason, RunnerBuilder, TaskContext};

use crate::counting::{CallCounts, CountingService};
use crate::measure::Memory;
use crate::pipelines::{self, WORKER_GROUP};
use crate::service::ServiceTiming;

/// Compressed seconds per wall-clock second.
pub(crate) const TIME_SCALE: f64 = 60.0;

/// A production duration, compressed.
pub(crate) fn compressed(production: Duration) -> Duration {
    production.div_f64(TIME_SCALE)
}

/// A wall-clock duration in compressed (production) minutes.
pub(crate) fn production_minutes(wall: Duration) -> f64 {
    wall.as_secs_f64() * TIME_SCALE / 60.0
}

/// The documented quotas (PollForTask 2/s, ReportTaskProgress and
/// SetTaskStatus 10/s, heartbeats 1/s, bursts of 100), compressed.
pub(crate) fn documented_budget() -> anyhow::Result<CallBudget> {
    let mut quotas = Vec::new();
    for operation in [
        Operation::PollForTask,
        Operation::ReportTaskProgress,
        Operation::SetTaskStatus,
        Operation::ReportTaskRunnerHeartbeat,
    ] {
        let documented = Quota::documented(operation)
            .with_context(|| format!("no documented quota for {operation:?}"))?;
        let quota = Quota::new(documented.per_second() * TIME_SCALE, documented.burst())
            .context("a compressed quota is invalid")?;
        quotas.push((operation, quota));
    }
    Ok(CallBudget::new(quotas))
}

/// `LeaseConfig::default()` (60 s interval, 15-minute default timeout,
/// 2-minute acknowledgement, 30 s margin, …), every duration compressed.
pub(crate) fn lease_config() -> LeaseConfig {
    let production = LeaseConfig::default();
    LeaseConfig {
        progress_interval: compressed(production.progress_interval),
        default_report_timeout: compressed(production.default_report_timeout),
        acknowledgement_timeout: compressed(production.acknowledgement_timeout),
        deadline_margin: compressed(production.deadline_margin),
        minimum_report_spacing: compressed(production.minimum_report_spacing),
        retry_initial_backoff: compressed(production.retry_initial_backoff),
        retry_max_backoff: compressed(production.retry_max_backoff),
        ..production
    }
}

/// The service's production timing (90 s long poll, 2-minute
/// acknowledgement, 15-minute `reportProgressTimeout`), compressed.
pub(crate) fn service_timing() -> ServiceTiming {
    ServiceTiming {
        long_poll_wait: compressed(Duration::from_secs(90)),
        ack_timeout: compressed(Duration::from_secs(120)),
        report_progress_timeout: compressed(Duration::from_secs(15 * 60)),
    }
}

/// What [`hold_leases`] does.
#[derive(Debug, Clone)]
pub(crate) struct HoldPlan {
    /// The service's endpoint, with the tasks queued.
    pub(crate) endpoint: String,
    /// Tasks to take and hold: the runner's concurrency.
    pub(crate) leases: usize,
    /// How long to hold them once every one has been polled (wall clock).
    pub(crate) hold: Duration,
    /// How often to sample this process's memory during the hold.
    pub(crate) sample_every: Duration,
    /// The most taking every task may take.
    pub(crate) fill_timeout: Duration,
}

/// What [`hold_leases`] saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct HoldResult {
    /// How long polling and acknowledging every task took (wall clock).
    pub(crate) fill: Duration,
    /// Handlers running and not cancelled at the end of the hold.
    pub(crate) alive: usize,
    /// Handlers whose lease was lost or expired (cancelled by the runner
    /// for a lease it could no longer vouch for).
    pub(crate) lost: u64,
    /// Handlers cancelled for any other reason.
    pub(crate) cancelled_otherwise: u64,
    /// Reports the service accepted during the hold.
    pub(crate) hold_reports: u64,
    /// `(seconds since the hold began, VmRSS KiB)` samples of this process.
    pub(crate) memory: Vec<(f64, u64)>,
}

/// Counters the handlers share.
#[derive(Debug, Default)]
struct HandlerCounts {
    /// Handlers started.
    running: AtomicUsize,
    /// Cancelled for a lost or expired lease.
    lost: AtomicU64,
    /// Cancelled for any other reason.
    other: AtomicU64,
}

/// A `Runner` on the compressed documented budget and lease timing takes
/// `plan.leases` tasks, its handlers waiting until cancelled, and holds them
/// for `plan.hold`, sampling memory. The runner is dropped unstopped at
/// the end (the caller drops the runtime), so no task sends a status.
pub(crate) async fn hold_leases(plan: HoldPlan) -> anyhow::Result<HoldResult> {
    let counts = CallCounts::new(u64::MAX);
    let handlers = Arc::new(HandlerCounts::default());
    let activity = {
        let handlers = handlers.clone();
        move |task: TaskContext| {
            let handlers = handlers.clone();
            async move {
                handlers.running.fetch_add(1, Ordering::Relaxed);
                match task.cancelled().await {
                    CancelReason::LeaseExpired | CancelReason::LeaseLost(_) => {
                        handlers.lost.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => handlers.other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }
    };
    let runner = RunnerBuilder::new(CountingService::new(
        pipelines::sdk_client(&plan.endpoint),
        counts.clone(),
    ))
    .worker_group(WORKER_GROUP)
    .concurrency(plan.leases)
    .pollers(4)
    .activity_for_type("ShellCommandActivity", activity)
    .budget(documented_budget()?)
    .lease_config(lease_config())
    .heartbeat_interval(compressed(Duration::from_secs(15 * 60)))
    .hostname("bench-compressed")
    .build()
    .context("cannot build the runner")?;
    let began = Instant::now();
    tokio::spawn(runner.run_until(std::future::pending::<()>()));
    while handlers.running.load(Ordering::Relaxed) < plan.leases {
        if began.elapsed() > plan.fill_timeout {
            anyhow::bail!(
                "only {} of {} tasks were running after {:?}",
                handlers.running.load(Ordering::Relaxed),
                plan.leases,
                plan.fill_timeout
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fill = began.elapsed();
    let hold_began = Instant::now();
    let reports_before = counts.reports();
    let mut memory = vec![(0.0, Memory::of(std::process::id())?.resident_kib)];
    while hold_began.elapsed() < plan.hold {
        let left = plan.hold.saturating_sub(hold_began.elapsed());
        tokio::time::sleep(plan.sample_every.min(left)).await;
        memory.push((
            hold_began.elapsed().as_secs_f64(),
            Memory::of(std::process::id())?.resident_kib,
        ));
    }
    let lost = handlers.lost.load(Ordering::Relaxed);
    let cancelled_otherwise = handlers.other.load(Ordering::Relaxed);
    let running = handlers.running.load(Ordering::Relaxed);
    Ok(HoldResult {
        fill,
        alive: running.saturating_sub((lost + cancelled_otherwise) as usize),
        lost,
        cancelled_otherwise,
        hold_reports: counts.reports().saturating_sub(reports_before),
        memory,
    })
}
