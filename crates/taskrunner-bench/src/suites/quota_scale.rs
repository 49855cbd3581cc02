//! `quota-scale`: how many concurrent tasks one process keeps alive on the
//! documented 10 calls/s ReportTaskProgress budget with the default
//! 15-minute `reportProgressTimeout`, with the framework's budgeted,
//! earliest-deadline-first report schedule, against a fixed 60 s cadence
//! in the same run.
//!
//! All of time is compressed by [`TIME_SCALE`] (see [`compressed`]): the
//! service's timeouts, the runner's lease timing and the call budget alike.
//!
//! 1. **Fixed cadence** ([`fixed`]): on a fresh service, a bare reporter
//!    polls tasks at the PollForTask quota and reports each every 60 s
//!    through the same budget, until the cadence breaks.
//! 2. **Framework**: on another fresh service, a `Runner` with the
//!    documented budget and default lease timing ([`hold_leases`]) takes
//!    every queued task (arriving at the PollForTask quota) and holds them
//!    all for two lease windows; then the service's audit says how many
//!    leases it saw expire.
//!
//! [`compressed`]: super::compressed
//! [`hold_leases`]: super::compressed::hold_leases

mod fixed;

use std::time::Duration;

use anyhow::Context as _;

use super::compressed::{self, HoldPlan, TIME_SCALE};
use crate::measure::mebibytes;
use crate::pipelines;
use crate::report::{Figure, Target};
use crate::service::ServiceProcess;
use crate::suite::{Options, Suite, SuiteReport};

/// Tasks the framework is offered in a full run.
const FULL_TASKS: usize = 4_000;

/// With `--quick`.
const QUICK_TASKS: usize = 400;

/// Tasks the fixed cadence may poll at most: well past the ~600 a 60 s
/// cadence fits in 10 calls a second.
const FIXED_TASKS: usize = 1_500;

/// How long the framework holds every lease, in production time: two
/// 15-minute lease windows, so every lease needs reports to survive.
const FULL_HOLD: Duration = Duration::from_secs(30 * 60);

/// With `--quick`: one window.
const QUICK_HOLD: Duration = Duration::from_secs(15 * 60);

/// Targets: leases kept alive, and that over the fixed cadence's.
const TARGET_ALIVE: f64 = 3_000.0;

/// The framework over the fixed cadence.
const TARGET_RATIO: f64 = 5.0;

/// The `quota-scale` suite.
#[derive(Debug)]
pub(crate) struct QuotaScale;

impl Suite for QuotaScale {
    fn name(&self) -> &'static str {
        "quota-scale"
    }

    fn summary(&self) -> &'static str {
        "tasks alive on a 10/s report budget vs a fixed 60 s cadence (>= 3,000, 5x)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let tasks = options.tasks_or(QUICK_TASKS, FULL_TASKS)?;
        let hold = compressed::compressed(if options.quick { QUICK_HOLD } else { FULL_HOLD });
        let fixed_tasks = if options.quick {
            FIXED_TASKS.min(tasks.max(100) * 2)
        } else {
            FIXED_TASKS
        };

        progress(&format!(
            "fixed 60 s cadence: up to {fixed_tasks} tasks (time x{TIME_SCALE})"
        ));
        let fixed_service = ServiceProcess::start_embedded(compressed::service_timing())?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let fixed = runtime.block_on(async {
            let client = pipelines::sdk_client(fixed_service.endpoint_url());
            pipelines::queue_tasks(&client, fixed_tasks)
                .await
                .context("cannot queue the fixed cadence's tasks")?;
            fixed::run(client, fixed_tasks).await
        })?;
        drop(runtime);
        let fixed_audit = fixed_service.finish()?;
        progress(&format!(
            "fixed cadence: {} leases when the cadence broke (largest lag {:.0} production s)",
            fixed.capacity,
            fixed.largest_lag.as_secs_f64() * TIME_SCALE
        ));

        progress(&format!(
            "framework: {tasks} tasks, held {:.0} production minutes",
            compressed::production_minutes(hold)
        ));
        let service = ServiceProcess::start_embedded(compressed::service_timing())?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let held = runtime.block_on(async {
            pipelines::queue_tasks(&pipelines::sdk_client(service.endpoint_url()), tasks)
                .await
                .context("cannot queue the tasks")?;
            compressed::hold_leases(HoldPlan {
                endpoint: service.endpoint_url().to_owned(),
                leases: tasks,
                hold,
                sample_every: hold,
                // Arrivals at the PollForTask quota, 2 a production second,
                // and a generous margin for a loaded machine.
                fill_timeout: compressed::compressed(Duration::from_secs(tasks as u64)) * 3
                    + Duration::from_secs(30),
            })
            .await
        });
        // The runner stops with its runtime, sending no status: the
        // service is asked for its audit before any lease could lapse.
        runtime.shutdown_background();
        let held = held?;
        let audit = service.finish()?;
        let missed = held.lost + audit.leases_expired;
        let alive = if missed == 0 { held.alive } else { 0 };
        let ratio = alive as f64 / fixed.capacity.max(1) as f64;
        let hold_wall = hold.as_secs_f64();
        let full_size = tasks >= FULL_TASKS;
        let target = |name: &str, value: f64, unit: &'static str, target: Target| {
            if full_size {
                Figure::with_target(name, value, unit, target)
            } else {
                Figure::info(name, value, unit)
            }
        };
        let figures = vec![
            target(
                "framework: leases kept alive, 0 lost",
                alive as f64,
                "leases",
                Target::AtLeast(TARGET_ALIVE),
            ),
            Figure::info("framework: leases offered", tasks as f64, "leases"),
            Figure::with_target(
                "framework: missed deadlines (runner lost + service expired)",
                missed as f64,
                "leases",
                Target::AtMost(0.0),
            ),
            Figure::info(
                "framework: leases cancelled otherwise",
                held.cancelled_otherwise as f64,
                "leases",
            ),
            Figure::info(
                "framework: production minutes to take every task",
                compressed::production_minutes(held.fill),
                "min",
            ),
            Figure::info(
                "framework: reports per production second during the hold",
                held.hold_reports as f64 / hold_wall / TIME_SCALE,
                "calls/s",
            ),
            Figure::info(
                "framework: mean production seconds between reports of a lease",
                alive as f64 * hold_wall * TIME_SCALE / held.hold_reports.max(1) as f64,
                "s",
            ),
            Figure::info(
                "fixed 60 s cadence: leases kept on cadence",
                fixed.capacity as f64,
                "leases",
            ),
            Figure::info(
                "fixed 60 s cadence: largest report lag (production)",
                fixed.largest_lag.as_secs_f64() * TIME_SCALE,
                "s",
            ),
            target(
                "framework / fixed cadence, leases",
                ratio,
                "ratio",
                Target::AtLeast(TARGET_RATIO),
            ),
            Figure::info(
                "bench RSS at the end of the hold",
                mebibytes(held.memory.last().map_or(0, |(_, kib)| *kib)),
                "MiB",
            ),
        ];
        let mut notes = vec![format!(
            "quota-scale: time compressed x{TIME_SCALE}: the service's reportProgressTimeout 15 min -> 15 s, \
             acknowledgement 2 min -> 2 s; the runner's LeaseConfig::default() with every duration / {TIME_SCALE} \
             (60 s interval -> 1 s, 30 s margin -> 0.5 s); CallBudget::documented() rates x{TIME_SCALE} (reports \
             10/s -> 600/s, polls 2/s -> 120/s), bursts unchanged. All figures are in production units. The \
             framework (a Runner in the bench process, handlers that wait until cancelled) takes {tasks} tasks as \
             fast as the poll quota allows and holds every one for {:.0} production minutes; kept alive = running \
             and not cancelled at the end, counted only if nothing was lost (the runner's lost/expired \
             cancellations plus the service's expired leases). It is a lower bound: the run offers no more. The \
             fixed cadence (a bare SDK reporter under the same budget, every lease reported 60 s after its last \
             due time) polls at the same quota; its figure is the leases it held when a report first went out more \
             than 6 s late. Both pay for acknowledgements of new tasks from the same report budget.",
            compressed::production_minutes(hold)
        )];
        if !fixed.broke {
            notes.push(format!(
                "quota-scale: the fixed cadence never broke with {} leases: its figure is a lower bound.",
                fixed.capacity
            ));
        }
        if fixed_audit.leases_expired > 0 {
            notes.push(format!(
                "quota-scale: the fixed cadence's service saw {} leases expire.",
                fixed_audit.leases_expired
            ));
        }
        if !full_size {
            notes.push(format!(
                "quota-scale: the targets are stated for {FULL_TASKS} offered tasks; this run offered {tasks}, so \
                 they are reported without a verdict."
            ));
        }
        Ok(SuiteReport { figures, notes })
    }
}

/// A progress line on stderr; stdout holds only the table.
fn progress(message: &str) {
    eprintln!("quota-scale: {message}");
}
