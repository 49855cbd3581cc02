//! `framework-overhead`: what the framework costs on top of the SDK calls it
//! makes, measured as throughput against a bare loop making the same calls.
//!
//! Both contenders drain the same queue (a fresh embedded service per pass,
//! the same tasks) at the same concurrency through one SDK client each:
//!
//! - **bare loop**: N tokio tasks, each PollForTask → ReportTaskProgress →
//!   SetTaskStatus FINISHED, one after the other;
//! - **runner**: a `Runner` with N slots and N pollers, no call budget and a
//!   no-op activity, measured until the service has accepted the last
//!   FINISHED (counted by a thin [`CountingService`] around the client).
//!
//! The passes alternate, every other round reversed (bare, runner, runner,
//! bare, …): the machine is shared, and alternating spreads a burst of other
//! load over both contenders, while the reversal cancels the slow drift of
//! a run's passes. Each ratio is the median over the rounds of the ratio
//! within a round, whose two passes ran back to back.
//!
//! [`CountingService`]: crate::counting::CountingService

mod pass;

use anyhow::Context as _;

use self::pass::{pass, Contender, Pass};
use crate::measure::{median, median_of_ratios};
use crate::profile_only::profiled;
use crate::report::{Figure, Target};
use crate::suite::{Options, Suite, SuiteReport};

/// Tasks each pass drains in a full run.
const FULL_TASKS: usize = 10_000;

/// Tasks each pass drains with `--quick`.
const QUICK_TASKS: usize = 1_000;

/// Rounds of (bare, runner). Eight: with two, one disturbed pass moved a
/// run's ratio by up to 0.2 (five runs of 7 Dec 2026); with four, the
/// within-round ratios of one quiet run still ranged 0.80–1.09 and the
/// run's median moved by ±0.04 from run to run, as much as the margin the
/// targets leave. The median of eight halves the chance that two
/// disturbed rounds decide it.
const ROUNDS: usize = 8;

/// The project's target: the runner's throughput over the bare loop's.
const TARGET_RATIO: f64 = 0.95;

/// The project's target: the runner's client CPU per task over the bare
/// loop's. Steadier than throughput on a shared machine, and what the
/// framework costs its users on every task.
const TARGET_CPU_RATIO: f64 = 1.05;

/// Other processes may take at most this share of the CPU, in percent,
/// before a pass is flagged as disturbed.
const DISTURBED_PERCENT: f64 = 10.0;

/// The `framework-overhead` suite.
#[derive(Debug)]
pub(crate) struct FrameworkOverhead;

impl Suite for FrameworkOverhead {
    fn name(&self) -> &'static str {
        "framework-overhead"
    }

    fn summary(&self) -> &'static str {
        "the runner (no-op activity) against a bare SDK loop (>= 0.95 of its tasks/s, <= 1.05x its CPU per task)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let tasks = options.tasks_or(QUICK_TASKS, FULL_TASKS)?;
        let concurrency = options.clients.max(1);
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let mut passes = Vec::new();
        for round in 1..=ROUNDS {
            // Every other round in reverse (bare, runner, runner, bare):
            // passes late in a run are slower, and a fixed order would
            // charge that drift to whoever always goes second.
            let mut order = [Contender::Bare, Contender::Runner];
            if round % 2 == 0 {
                order.reverse();
            }
            for contender in order {
                if !profiled(contender.label()) {
                    continue;
                }
                progress(&format!(
                    "round {round}/{ROUNDS}, {}: {tasks} tasks, concurrency {concurrency}",
                    contender.label()
                ));
                passes.push(runtime.block_on(pass(contender, tasks, concurrency))?);
            }
        }
        Ok(SuiteReport {
            figures: figures(&passes, tasks >= FULL_TASKS),
            notes: notes(&passes, tasks, concurrency),
        })
    }
}

/// The medians of each contender, the ratio, and every pass.
fn figures(passes: &[Pass], full_size: bool) -> Vec<Figure> {
    let of = |contender: Contender| -> Vec<&Pass> {
        passes
            .iter()
            .filter(|pass| pass.contender == contender)
            .collect()
    };
    let (bare, runner) = (of(Contender::Bare), of(Contender::Runner));
    let median_of = |passes: &[&Pass], value: fn(&Pass) -> f64| -> f64 {
        median(&passes.iter().map(|pass| value(pass)).collect::<Vec<_>>())
    };
    let bare_rate = median_of(&bare, Pass::tasks_per_second);
    let runner_rate = median_of(&runner, Pass::tasks_per_second);
    let bare_cpu = median_of(&bare, Pass::client_cpu_per_task);
    let runner_cpu = median_of(&runner, Pass::client_cpu_per_task);
    // Passes of one contender are in round order, so the i-th of each ran
    // in the same round.
    let within_rounds = |value: fn(&Pass) -> f64| -> f64 {
        median_of_ratios(
            runner
                .iter()
                .zip(&bare)
                .map(|(runner, bare)| (value(runner), value(bare))),
        )
    };
    let ratio = within_rounds(Pass::tasks_per_second);
    let cpu_ratio = within_rounds(Pass::client_cpu_per_task);
    let mut figures = vec![
        Figure::info(
            format!("bare loop: tasks/s (median of {})", bare.len()),
            bare_rate,
            "tasks/s",
        ),
        Figure::info(
            format!("runner: tasks/s (median of {})", runner.len()),
            runner_rate,
            "tasks/s",
        ),
        if full_size {
            Figure::with_target(
                "runner / bare loop, tasks/s",
                ratio,
                "ratio",
                Target::AtLeast(TARGET_RATIO),
            )
        } else {
            Figure::info("runner / bare loop, tasks/s", ratio, "ratio")
        },
        Figure::info("bare loop: client CPU per task", bare_cpu, "us"),
        Figure::info("runner: client CPU per task", runner_cpu, "us"),
        if full_size {
            Figure::with_target(
                "runner / bare loop, client CPU per task",
                cpu_ratio,
                "ratio",
                Target::AtMost(TARGET_CPU_RATIO),
            )
        } else {
            Figure::info(
                "runner / bare loop, client CPU per task",
                cpu_ratio,
                "ratio",
            )
        },
        Figure::info(
            "bare loop: service CPU per task",
            median_of(&bare, Pass::service_cpu_per_task),
            "us",
        ),
        Figure::info(
            "runner: service CPU per task",
            median_of(&runner, Pass::service_cpu_per_task),
            "us",
        ),
    ];
    for (index, pass) in passes.iter().enumerate() {
        let label = format!("pass {} ({})", index + 1, pass.contender.label());
        figures.extend([
            Figure::info(
                format!("{label}: tasks/s"),
                pass.tasks_per_second(),
                "tasks/s",
            ),
            Figure::info(
                format!("{label}: client CPU per task"),
                pass.client_cpu_per_task(),
                "us",
            ),
            Figure::info(
                format!("{label}: of which the kernel's"),
                pass.client_system_cpu_per_task(),
                "us",
            ),
            Figure::info(
                format!("{label}: context switches per task"),
                pass.client_switches_per_task(),
                "switches",
            ),
            Figure::info(
                format!("{label}: machine CPU used by other processes"),
                pass.others_percent(),
                "%",
            ),
        ]);
    }
    figures
}

/// How to read the figures, and a warning per disturbed pass.
fn notes(passes: &[Pass], tasks: usize, concurrency: usize) -> Vec<String> {
    let mut notes = vec![format!(
        "framework-overhead: each pass queues {tasks} tasks on a fresh embedded service (child process) and drains \
         them at concurrency {concurrency} through one SDK client; passes alternate bare loop / runner, every other round reversed, {ROUNDS} \
         rounds, and each ratio is the median of the {ROUNDS} ratios within a round (whose two passes ran back to back). The runner has {concurrency} slots and {concurrency} pollers, \
         CallBudget::unlimited() and a no-op activity, no tracing subscriber; its time runs from run_until to the \
         last accepted SetTaskStatus. Client CPU is this process's, so it is the contender's own cost per task and \
         is less disturbed by other load than tasks/s."
    )];
    if tasks < FULL_TASKS {
        notes.push(format!(
            "framework-overhead: the >= {TARGET_RATIO} and <= {TARGET_CPU_RATIO}x targets are stated for {FULL_TASKS} tasks a pass; this run \
             drained {tasks}, so it is reported without a verdict."
        ));
    }
    for (index, pass) in passes.iter().enumerate() {
        let others = pass.others_percent();
        if others > DISTURBED_PERCENT {
            notes.push(format!(
                "framework-overhead: WARNING: other processes took {others:.0}% of the machine's CPU during pass {} \
                 ({}); rerun on a quiet machine if the ratio matters.",
                index + 1,
                pass.contender.label()
            ));
        }
    }
    notes
}

/// A progress line on stderr; stdout holds only the table.
fn progress(message: &str) {
    eprintln!("framework-overhead: {message}");
}
