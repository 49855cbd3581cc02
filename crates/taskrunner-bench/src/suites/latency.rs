//! `latency`: how quickly the framework reacts, per task: a polled task's
//! acknowledgement, a cancellation reaching the handler, and a cancelled
//! shell command's process disappearing.
//!
//! A `Runner` in this process runs `taskrunner-shell`'s
//! ShellCommandActivity against the embedded service (child process) with
//! a compressed report interval (250 ms), in rounds: each round queues a
//! pipeline of tasks whose command writes its shell's pid to a file and
//! `exec`s `sleep 600`; once every one is running, the pipeline is
//! deactivated with `cancelActive`, so each lease's next report is answered
//! `canceled: true`. Per task ([`recorder`]):
//!
//! - **poll → ack**: the PollForTask answer returned by the SDK → the
//!   acknowledgement (first ReportTaskProgress) handed to the SDK;
//! - **cancel → token**: the report answered `canceled: true` → the
//!   handler's cancellation token tripped (a task awaiting it woke);
//! - **cancel → child gone**: the same answer → the shell's pid gone from
//!   `/proc` (SIGTERM to its group, exited, reaped), checked every
//!   millisecond.

mod recorder;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _};
use taskrunner::{CallBudget, LeaseConfig, Runner};
use taskrunner_shell::{ShellCommandActivity, ShellConfig};
use tokio::sync::oneshot;

use self::recorder::{Log, ObservedShell, RecordingService};
use crate::measure::{milliseconds, Latencies};
use crate::pipelines::{self, WORKER_GROUP};
use crate::report::Figure;
use crate::service::{ServiceProcess, ServiceTiming};
use crate::suite::{Options, Suite, SuiteReport};

/// Rounds and tasks per round in a full run: 200 samples.
const FULL_ROUNDS: usize = 10;

/// With `--quick`: 20 samples.
const QUICK_ROUNDS: usize = 2;

/// Tasks per round (one pipeline).
const TASKS_PER_ROUND: usize = 20;

/// The runner's report interval: how long a cancellation waits, at most,
/// to be seen. It does not enter the figures.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// The most a round's tasks may take to start, or to be cancelled and gone.
const ROUND_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the suite looks for the shells' pids in `/proc`.
const PROCESS_CHECK: Duration = Duration::from_millis(1);

/// The `latency` suite.
#[derive(Debug)]
pub(crate) struct Latency;

/// The three latencies over every task.
#[derive(Debug, Default)]
struct Samples {
    /// Poll answered → acknowledgement sent.
    acknowledgement: Latencies,
    /// `canceled: true` answered → token tripped.
    token: Latencies,
    /// `canceled: true` answered → shell pid gone.
    child_gone: Latencies,
    /// Deactivation → `canceled: true` answered: the report interval's doing.
    cancel_seen: Latencies,
}

impl Suite for Latency {
    fn name(&self) -> &'static str {
        "latency"
    }

    fn summary(&self) -> &'static str {
        "poll -> ack, cancel -> token, cancel -> child process gone (p50/p99)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let rounds = if options.quick {
            QUICK_ROUNDS
        } else {
            FULL_ROUNDS
        };
        let service = ServiceProcess::start_embedded(ServiceTiming {
            long_poll_wait: Duration::from_secs(1),
            ..ServiceTiming::default()
        })?;
        let scratch = std::env::temp_dir().join(format!("bench-latency-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let samples = runtime.block_on(measure(service.endpoint_url(), rounds, &scratch));
        drop(runtime);
        let _ = std::fs::remove_dir_all(&scratch);
        let mut samples = samples?;
        let mut figures = Vec::new();
        for (label, latencies) in [
            ("poll -> ack sent", &mut samples.acknowledgement),
            ("cancel answered -> token tripped", &mut samples.token),
            ("cancel answered -> child gone", &mut samples.child_gone),
            (
                "deactivate -> cancel answered (report interval)",
                &mut samples.cancel_seen,
            ),
        ] {
            for (quantile, name) in [(0.5, "p50"), (0.99, "p99")] {
                figures.push(Figure::info(
                    format!("{label}, {name}"),
                    milliseconds(latencies.percentile(quantile)),
                    "ms",
                ));
            }
        }
        figures.push(Figure::info(
            "samples",
            samples.acknowledgement.len() as f64,
            "tasks",
        ));
        Ok(SuiteReport {
            figures,
            notes: vec![format!(
                "latency: a Runner in the bench process (taskrunner-shell's ShellCommandActivity, {TASKS_PER_ROUND} \
                 slots and pollers, CallBudget::unlimited(), progress_interval {PROGRESS_INTERVAL:?}) against the \
                 embedded service; {rounds} rounds of {TASKS_PER_ROUND} tasks running `exec sleep 600`, each round \
                 cancelled with DeactivatePipeline(cancelActive). Instants are taken in the bench process at the \
                 TaskService boundary (a wrapper around the SDK client): poll -> ack excludes the HTTP round trips, \
                 cancel -> token and cancel -> child gone start when the SDK returned the `canceled: true` answer. \
                 Child gone = the shell's pid absent from /proc (exited and reaped), checked every \
                 {PROCESS_CHECK:?}. The last two rows only show the report interval at work."
            )],
        })
    }
}

/// Runs every round and gathers the samples.
async fn measure(endpoint: &str, rounds: usize, scratch: &Path) -> anyhow::Result<Samples> {
    let client = pipelines::sdk_client(endpoint);
    let log = Arc::new(Log::default());
    let runner = Runner::builder(RecordingService {
        client: client.clone(),
        log: log.clone(),
    })
    .worker_group(WORKER_GROUP)
    .concurrency(TASKS_PER_ROUND)
    .pollers(TASKS_PER_ROUND)
    .activity_for_type(
        "ShellCommandActivity",
        ObservedShell {
            shell: ShellCommandActivity::new(ShellConfig::default()),
            log: log.clone(),
        },
    )
    .budget(CallBudget::unlimited())
    .lease_config(LeaseConfig {
        progress_interval: PROGRESS_INTERVAL,
        ..LeaseConfig::default()
    })
    .scratch_root(scratch.join("work"))
    .hostname("bench-latency")
    .build()
    .context("cannot build the runner")?;
    let (stop, stopped) = oneshot::channel::<()>();
    let run = tokio::spawn(runner.run_until(async {
        let _ = stopped.await;
    }));
    let mut samples = Samples::default();
    let mut outcome = Ok(());
    for round in 1..=rounds {
        eprintln!("latency: round {round}/{rounds}");
        if let Err(error) = one_round(&client, &log, round, scratch, &mut samples).await {
            outcome = Err(error.context(format!("round {round}")));
            break;
        }
    }
    let _ = stop.send(());
    run.await.context("the runner panicked")?;
    outcome.map(|()| samples)
}

/// One round: queue, wait until all run, cancel, wait until all are gone.
async fn one_round(
    client: &aws_sdk_datapipeline::Client,
    log: &Log,
    round: usize,
    scratch: &Path,
    samples: &mut Samples,
) -> anyhow::Result<()> {
    let pid_file = scratch.join(format!("pids-{round}"));
    let command = format!(
        "echo \"$$ $DATAPIPELINE_ATTEMPT_ID\" >> '{}'; exec sleep 600",
        pid_file.display()
    );
    let pipelines = pipelines::queue_commands(
        client,
        TASKS_PER_ROUND,
        &command,
        &format!("latency-{round}"),
    )
    .await
    .context("cannot queue the round's tasks")?;
    let started = Instant::now();
    let pids = loop {
        let pids = read_pids(&pid_file);
        if log.running() >= TASKS_PER_ROUND && pids.len() >= TASKS_PER_ROUND {
            break pids;
        }
        if started.elapsed() > ROUND_TIMEOUT {
            bail!(
                "only {} of {TASKS_PER_ROUND} tasks were running after {ROUND_TIMEOUT:?}",
                pids.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let deactivated = Instant::now();
    for pipeline in &pipelines {
        client
            .deactivate_pipeline()
            .pipeline_id(pipeline)
            .cancel_active(true)
            .send()
            .await
            .with_context(|| format!("DeactivatePipeline {pipeline}"))?;
    }
    let mut gone: HashMap<String, Instant> = HashMap::new();
    while gone.len() < pids.len() {
        if deactivated.elapsed() > ROUND_TIMEOUT {
            bail!(
                "only {} of {} shells were gone {ROUND_TIMEOUT:?} after the cancel",
                gone.len(),
                pids.len()
            );
        }
        tokio::time::sleep(PROCESS_CHECK).await;
        let now = Instant::now();
        for (attempt, pid) in &pids {
            if !gone.contains_key(attempt) && !Path::new(&format!("/proc/{pid}")).exists() {
                gone.insert(attempt.clone(), now);
            }
        }
    }
    // The handlers return once their shells are reaped; their tokens
    // tripped earlier.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for (_, moments) in log.take() {
        let (Some(polled), Some(acknowledged)) = (moments.polled, moments.acknowledgement_sent)
        else {
            continue;
        };
        samples
            .acknowledgement
            .record(acknowledged.saturating_duration_since(polled));
        let Some(answered) = moments.cancel_answered else {
            bail!("a task was never answered canceled: true");
        };
        samples
            .cancel_seen
            .record(answered.saturating_duration_since(deactivated));
        let tripped = moments
            .token_tripped
            .context("a cancelled task's token never tripped")?;
        samples
            .token
            .record(tripped.saturating_duration_since(answered));
        let attempt = moments
            .attempt_id
            .context("a cancelled task never ran its handler")?;
        let gone_at = gone
            .get(&attempt)
            .with_context(|| format!("no shell pid was written for {attempt}"))?;
        samples
            .child_gone
            .record(gone_at.saturating_duration_since(answered));
    }
    ensure!(
        samples.child_gone.len() >= round * TASKS_PER_ROUND,
        "round {round} gave {} samples in all, fewer than its tasks",
        samples.child_gone.len()
    );
    Ok(())
}

/// The `(attempt id, pid)` lines the round's shells wrote so far.
fn read_pids(path: &Path) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (pid, attempt) = line.split_once(' ')?;
            Some((attempt.to_owned(), pid.parse().ok()?))
        })
        .collect()
}
