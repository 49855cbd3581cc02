//! `shell-throughput`: the framework running `true` as a
//! ShellCommandActivity, against a bare loop that spawns `sh -c true` the
//! same number of times at the same concurrency.
//!
//! - **bare loop**: N tokio tasks, each `sh -c true` with
//!   `tokio::process::Command`, one after the other: what running a
//!   command costs with nothing around it.
//! - **activity alone**: `ShellCommandActivity::run` called directly on
//!   N concurrent contexts, no runner and no service: what the activity
//!   itself adds to a spawn (scratch directory, process group, pipes,
//!   the sweep for escaped processes).
//! - **SDK loop + spawn**: N loops of PollForTask → ReportTaskProgress →
//!   `sh -c true` → SetTaskStatus with the bare SDK against the embedded
//!   service: the least any runner that speaks the protocol does per
//!   command, so the ceiling for the shell activity's rate on this machine.
//! - **SDK loop + activity**: the same loops running `true` through
//!   `ShellCommandActivity::run` instead of `sh -c true`: the activity
//!   with the protocol's calls but without the runner. Against the SDK
//!   loop + spawn it prices the activity; against the shell activity, the
//!   runner around it.
//! - **shell activity**: a `Runner` (the `taskrunner` binary's parts, in
//!   this process) with `taskrunner-shell`'s `ShellCommandActivity`, N
//!   slots and N pollers and no call budget, draining tasks whose `command`
//!   is `true` from the embedded service (child process), until the service
//!   has accepted the last FINISHED. Each task is a poll, an
//!   acknowledgement, a scratch directory, a process group running
//!   `/bin/sh -c true`, and a SetTaskStatus.
//!
//! Passes alternate (bare, activity alone, SDK loop + spawn, shell, SDK
//! loop + activity), every other round reversed, as in
//! `framework-overhead`. The shell activity's pass is adjacent to both SDK
//! loops' in every round, and its ratios to them are the medians of the
//! ratios within a round; the others are ratios of the medians.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use taskrunner_shell::{ShellCommandActivity, ShellConfig};

use crate::claimed_loops;
use crate::measure::{self, median, median_of_ratios, MachineCpu};
use crate::pipelines;
use crate::profile_only::profiled;
use crate::report::{Figure, Target};
use crate::runner_pass;
use crate::sdk_loop::{self, Work};
use crate::service::{ServiceProcess, ServiceTiming};
use crate::shell_true::{spawn_sh_true, TrueThroughActivity};
use crate::suite::{Options, Suite, SuiteReport};

/// Commands each pass runs in a full run.
const FULL_TASKS: usize = 2_000;

/// With `--quick`.
const QUICK_TASKS: usize = 200;

/// Rounds of the five contenders; four, as in `framework-overhead`.
const ROUNDS: usize = 4;

/// The target: the shell activity's tasks/s over the SDK loop + spawn's,
/// the same three calls and the same command with nothing around them. A
/// target against the bare `sh -c true` loop cannot be met by any runner
/// that speaks the protocol: the calls alone cost more than the spawn
/// (docs/PERFORMANCE.md, shell-throughput).
const TARGET_RATIO: f64 = 0.95;

/// The most one pass may take.
const PASS_TIMEOUT: Duration = Duration::from_secs(300);

/// The `shell-throughput` suite.
#[derive(Debug)]
pub(crate) struct ShellThroughput;

/// Who runs the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    /// `sh -c true` from a bare loop.
    Bare,
    /// `true` through `ShellCommandActivity::run`, without runner or service.
    ActivityAlone,
    /// `sh -c true` between the three calls of a bare SDK loop.
    SdkLoop,
    /// `true` as a ShellCommandActivity through the runner.
    Shell,
    /// `true` through `ShellCommandActivity::run` between the three calls
    /// of a bare SDK loop.
    SdkLoopActivity,
}

impl Contender {
    /// How the figures name it.
    fn label(self) -> &'static str {
        match self {
            Self::Bare => "bare sh -c true loop",
            Self::ActivityAlone => "activity alone",
            Self::SdkLoop => "SDK loop + spawn",
            Self::Shell => "shell activity",
            Self::SdkLoopActivity => "SDK loop + activity",
        }
    }
}

/// What one pass measured.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Who ran the commands.
    contender: Contender,
    /// Commands per second.
    rate: f64,
    /// This process's CPU per command (the runner's, or the bare loop's;
    /// the commands' own CPU is their children's), in µs.
    client_cpu_us: f64,
    /// Share of the machine's CPU taken by other processes, in percent.
    others_percent: f64,
}

impl Suite for ShellThroughput {
    fn name(&self) -> &'static str {
        "shell-throughput"
    }

    fn summary(&self) -> &'static str {
        "`true` as a ShellCommandActivity vs an SDK loop spawning `sh -c true` (>= 0.95)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let tasks = options.tasks_or(QUICK_TASKS, FULL_TASKS)?;
        let concurrency = options.clients.max(1);
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let scratch = std::env::temp_dir().join(format!("bench-shell-{}", std::process::id()));
        let mut passes = Vec::new();
        for round in 1..=ROUNDS {
            // Every other round in reverse, as in framework-overhead: a
            // fixed order would charge the drift of a run's passes to the
            // contenders that go last.
            let mut order = [
                Contender::Bare,
                Contender::ActivityAlone,
                Contender::SdkLoop,
                Contender::Shell,
                Contender::SdkLoopActivity,
            ];
            if round % 2 == 0 {
                order.reverse();
            }
            for contender in order {
                if !profiled(contender.label()) {
                    continue;
                }
                eprintln!(
                    "shell-throughput: round {round}/{ROUNDS}, {}: {tasks} commands, concurrency {concurrency}",
                    contender.label()
                );
                let pass = runtime.block_on(pass(contender, tasks, concurrency, &scratch));
                passes.push(pass?);
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
        let of = |contender: Contender, value: fn(&Pass) -> f64| -> f64 {
            median(
                &passes
                    .iter()
                    .filter(|pass| pass.contender == contender)
                    .map(value)
                    .collect::<Vec<_>>(),
            )
        };
        let bare = of(Contender::Bare, |pass| pass.rate);
        let alone = of(Contender::ActivityAlone, |pass| pass.rate);
        let sdk_loop = of(Contender::SdkLoop, |pass| pass.rate);
        let shell = of(Contender::Shell, |pass| pass.rate);
        let sdk_loop_activity = of(Contender::SdkLoopActivity, |pass| pass.rate);
        // The SDK loop's and the shell activity's passes are adjacent in
        // every round, so their ratio is taken within each round.
        let rates_of = |contender: Contender| {
            passes
                .iter()
                .filter(move |pass| pass.contender == contender)
                .map(|pass| pass.rate)
        };
        let ratio = median_of_ratios(rates_of(Contender::Shell).zip(rates_of(Contender::SdkLoop)));
        let runner_ratio =
            median_of_ratios(rates_of(Contender::Shell).zip(rates_of(Contender::SdkLoopActivity)));
        let full_size = tasks >= FULL_TASKS;
        let mut figures = vec![
            Figure::info(
                format!("bare loop: commands/s (median of {ROUNDS})"),
                bare,
                "cmds/s",
            ),
            Figure::info(
                format!("activity alone: commands/s (median of {ROUNDS})"),
                alone,
                "cmds/s",
            ),
            Figure::info(
                format!("SDK loop + spawn: tasks/s (median of {ROUNDS})"),
                sdk_loop,
                "tasks/s",
            ),
            Figure::info(
                format!("shell activity: tasks/s (median of {ROUNDS})"),
                shell,
                "tasks/s",
            ),
            Figure::info(
                format!("SDK loop + activity: tasks/s (median of {ROUNDS})"),
                sdk_loop_activity,
                "tasks/s",
            ),
            Figure::info(
                "activity alone / bare loop",
                alone / bare.max(f64::EPSILON),
                "ratio",
            ),
            Figure::info(
                "SDK loop + spawn / bare loop (the protocol's ceiling here)",
                sdk_loop / bare.max(f64::EPSILON),
                "ratio",
            ),
            if full_size {
                Figure::with_target(
                    "shell activity / SDK loop + spawn",
                    ratio,
                    "ratio",
                    Target::AtLeast(TARGET_RATIO),
                )
            } else {
                Figure::info("shell activity / SDK loop + spawn", ratio, "ratio")
            },
            Figure::info(
                "shell activity / bare loop",
                shell / bare.max(f64::EPSILON),
                "ratio",
            ),
            Figure::info(
                "SDK loop + activity / SDK loop + spawn (the activity's share)",
                sdk_loop_activity / sdk_loop.max(f64::EPSILON),
                "ratio",
            ),
            Figure::info(
                "shell activity / SDK loop + activity (the runner's share)",
                runner_ratio,
                "ratio",
            ),
            Figure::info(
                "bare loop: bench CPU per command",
                of(Contender::Bare, |pass| pass.client_cpu_us),
                "us",
            ),
            Figure::info(
                "activity alone: bench CPU per command",
                of(Contender::ActivityAlone, |pass| pass.client_cpu_us),
                "us",
            ),
            Figure::info(
                "SDK loop + spawn: bench CPU per task",
                of(Contender::SdkLoop, |pass| pass.client_cpu_us),
                "us",
            ),
            Figure::info(
                "shell activity: runner CPU per task",
                of(Contender::Shell, |pass| pass.client_cpu_us),
                "us",
            ),
            Figure::info(
                "SDK loop + activity: bench CPU per task",
                of(Contender::SdkLoopActivity, |pass| pass.client_cpu_us),
                "us",
            ),
        ];
        for (index, pass) in passes.iter().enumerate() {
            figures.push(Figure::info(
                format!(
                    "pass {} ({}): other processes' CPU",
                    index + 1,
                    pass.contender.label()
                ),
                pass.others_percent,
                "%",
            ));
        }
        let mut notes = vec![format!(
            "shell-throughput measures the framework in this process (Runner + taskrunner-shell's \
             ShellCommandActivity with ShellConfig::default(), {concurrency} slots and pollers, \
             CallBudget::unlimited(), tasks from the embedded service), not the taskrunner binary, whose default \
             budget caps SetTaskStatus at 10/s. Each pass runs {tasks} commands; passes alternate, every other round reversed, {ROUNDS} rounds; \
             the target's ratio (shell activity / SDK loop + spawn, adjacent in every round) is the median of the ratios within a round, \
             the others are ratios of the medians. The shell activity's rate includes its three service calls per task \
             (poll, acknowledgement, SetTaskStatus) on the same cores as the commands; the SDK loop + spawn makes \
             the same calls with the bare SDK around `sh -c true`, the most any runner speaking the protocol could \
             reach here. The activity alone is ShellCommandActivity::run without runner or service; the SDK loop + \
             activity runs it between the same calls of the bare SDK loop, without the runner."
        )];
        if !full_size {
            notes.push(format!(
                "shell-throughput: the >= {TARGET_RATIO} target is stated for {FULL_TASKS} commands a pass; this run \
                 ran {tasks}, so it is reported without a verdict."
            ));
        }
        Ok(SuiteReport { figures, notes })
    }
}

/// One pass: the commands, timed, with the clocks read around them.
async fn pass(
    contender: Contender,
    tasks: usize,
    concurrency: usize,
    scratch: &std::path::Path,
) -> anyhow::Result<Pass> {
    let service = match contender {
        Contender::Bare | Contender::ActivityAlone => None,
        Contender::SdkLoop | Contender::Shell | Contender::SdkLoopActivity => {
            let service = ServiceProcess::start_embedded(ServiceTiming {
                long_poll_wait: Duration::from_secs(1),
                ..ServiceTiming::default()
            })?;
            let client = pipelines::sdk_client(service.endpoint_url());
            pipelines::queue_tasks(&client, tasks)
                .await
                .context("cannot queue the tasks")?;
            Some((service, client))
        }
    };
    let client_before = measure::cpu_time(std::process::id())?;
    let commands_before = measure::reaped_children_cpu_time(std::process::id())?;
    let machine_before = MachineCpu::now()?;
    let service_before = match &service {
        Some((service, _)) => service.cpu_time()?,
        None => Duration::ZERO,
    };
    let began = Instant::now();
    let stop = match (&service, contender) {
        (Some((_, client)), Contender::SdkLoop | Contender::SdkLoopActivity) => {
            let work = if contender == Contender::SdkLoop {
                Work::ShTrue
            } else {
                Work::Activity(TrueThroughActivity::new(scratch))
            };
            tokio::time::timeout(
                PASS_TIMEOUT,
                sdk_loop::run(client.clone(), tasks, concurrency, work),
            )
            .await
            .context("the SDK loop took too long")??;
            None
        }
        (Some((_, client)), _) => Some(
            runner_pass::run(
                client.clone(),
                tasks,
                concurrency,
                ShellCommandActivity::new(ShellConfig::default()),
                "bench-shell",
                Some(scratch),
            )
            .await?,
        ),
        (None, Contender::ActivityAlone) => {
            tokio::time::timeout(PASS_TIMEOUT, activity_loop(tasks, concurrency, scratch))
                .await
                .context("the activity loop took too long")??;
            None
        }
        (None, _) => {
            let bare = claimed_loops::run(tasks, concurrency, "bare", |_, _| spawn_sh_true());
            tokio::time::timeout(PASS_TIMEOUT, bare)
                .await
                .context("the bare loop took too long")??;
            None
        }
    };
    let wall = began.elapsed();
    let machine = MachineCpu::now()?.since(machine_before);
    let client_cpu = measure::cpu_time(std::process::id())?.saturating_sub(client_before);
    let commands_cpu =
        measure::reaped_children_cpu_time(std::process::id())?.saturating_sub(commands_before);
    let service_cpu = match &service {
        Some((service, _)) => service.cpu_time()?.saturating_sub(service_before),
        None => Duration::ZERO,
    };
    if let Some(stop) = stop {
        stop.stop().await?;
    }
    // The commands are this process's children, reaped before the clocks
    // are read: their CPU (cutime) is ours as well. (The service is not
    // reaped until after the pass, so it is not counted twice.)
    let others = machine
        .busy
        .saturating_sub(client_cpu + commands_cpu + service_cpu)
        .as_secs_f64()
        / machine.total.as_secs_f64().max(f64::EPSILON);
    let pass = Pass {
        contender,
        rate: tasks as f64 / wall.as_secs_f64().max(f64::EPSILON),
        client_cpu_us: client_cpu.as_secs_f64() * 1e6 / tasks as f64,
        others_percent: 100.0 * others,
    };
    eprintln!(
        "shell-throughput: {}: {tasks} in {wall:.2?} ({:.0}/s), {:.0} us of this process's CPU each \
         ({:.0} us of the service's), machine {:.0}% busy",
        contender.label(),
        pass.rate,
        pass.client_cpu_us,
        service_cpu.as_secs_f64() * 1e6 / tasks as f64,
        100.0 * machine.busy.as_secs_f64() / machine.total.as_secs_f64().max(f64::EPSILON),
    );
    Ok(pass)
}

/// Runs `true` through `ShellCommandActivity::run` `tasks` times from
/// `concurrency` loops sharing one activity, each on a fresh context.
async fn activity_loop(
    tasks: usize,
    concurrency: usize,
    scratch: &std::path::Path,
) -> anyhow::Result<()> {
    let activity = TrueThroughActivity::new(scratch);
    claimed_loops::run(tasks, concurrency, "activity", move |_, unit| {
        let activity = activity.clone();
        async move { activity.run(unit).await }
    })
    .await
}
