//! The runner side of the throughput suites (`framework-overhead`,
//! `shell-throughput`): a [`Runner`](taskrunner::Runner) in this process with one activity, as
//! many pollers as slots and no call budget, draining a queue of tasks.

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context as _};
use taskrunner::activity::IntoActivityService;
use taskrunner::service::CallBudget;
use taskrunner::{RunSummary, RunnerBuilder};
use tokio::sync::oneshot;

use crate::counting::{CallCounts, CountingService};
use crate::pipelines::WORKER_GROUP;

/// The most a pass may take before the suite gives up on it.
const PASS_TIMEOUT: Duration = Duration::from_secs(300);

/// A runner that is still running after its measured work: stop it with
/// [`RunningRunner::stop`].
#[derive(Debug)]
pub(crate) struct RunningRunner {
    /// Resolves the runner's shutdown signal.
    stop: oneshot::Sender<()>,
    /// The runner's task.
    run: tokio::task::JoinHandle<RunSummary>,
    /// The tasks it had to finish.
    tasks: usize,
}

/// Starts a runner on `client` with `concurrency` slots and as many
/// pollers, no call budget, `activity` for `ShellCommandActivity` objects,
/// `hostname`, and `scratch` as its scratch root when given; answers once
/// the service has accepted `tasks` FINISHED statuses. The runner is still
/// running then (its pollers wait on the empty queue): the caller reads its
/// clocks and then stops it.
pub(crate) async fn run<M>(
    client: aws_sdk_datapipeline::Client,
    tasks: usize,
    concurrency: usize,
    activity: impl IntoActivityService<M>,
    hostname: &str,
    scratch: Option<&Path>,
) -> anyhow::Result<RunningRunner> {
    let counts = CallCounts::new(tasks as u64);
    let mut builder = RunnerBuilder::new(CountingService::new(client, counts.clone()))
        .worker_group(WORKER_GROUP)
        .concurrency(concurrency)
        .pollers(concurrency)
        .activity_for_type("ShellCommandActivity", activity)
        .budget(CallBudget::unlimited())
        .hostname(hostname);
    if let Some(scratch) = scratch {
        builder = builder.scratch_root(scratch);
    }
    let runner = builder.build().context("cannot build the runner")?;
    let (stop, stopped) = oneshot::channel::<()>();
    let run = tokio::spawn(runner.run_until(async {
        let _ = stopped.await;
    }));
    let running = RunningRunner { stop, run, tasks };
    tokio::time::timeout(PASS_TIMEOUT, counts.statuses_reached())
        .await
        .with_context(|| {
            format!(
                "the runner finished only {} of {tasks} tasks in {PASS_TIMEOUT:?}",
                counts.statuses()
            )
        })?;
    Ok(running)
}

impl RunningRunner {
    /// Stops the runner and checks that it finished every task and failed
    /// or lost none; answers its summary. Stopping waits for its pollers'
    /// long polls to return.
    pub(crate) async fn stop(self) -> anyhow::Result<RunSummary> {
        let _ = self.stop.send(());
        let summary = self.run.await.context("the runner panicked")?;
        ensure!(
            summary.finished == self.tasks as u64 && summary.failed == 0 && summary.lost == 0,
            "the runner should have finished {} tasks and nothing else: {summary:?}",
            self.tasks
        );
        Ok(summary)
    }
}
