//! The baselines: a bare loop of SDK calls, what a task runner does with
//! nothing around it (`framework-overhead`), and the same loop running
//! `true` between acknowledgement and status, as a bare `sh -c true` or
//! through the shell activity (`shell-throughput`).

use std::sync::Arc;

use anyhow::{ensure, Context as _};
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;

use crate::claimed_loops;
use crate::pipelines::WORKER_GROUP;
use crate::shell_true::{spawn_sh_true, TrueThroughActivity};

/// What a cycle does between the acknowledgement and the status.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// Nothing.
    Nothing,
    /// Spawns `sh -c true` and waits for it.
    ShTrue,
    /// Runs `true` through the shell activity, with nothing else of the
    /// runner around it.
    Activity(TrueThroughActivity),
}

/// Runs `tasks` poll → ReportTaskProgress → `work` → SetTaskStatus FINISHED
/// cycles on `concurrency` tokio tasks sharing `client` (one connection
/// pool, as a runner shares one), and answers when the last status is
/// accepted.
///
/// Each loop claims a cycle before it polls ([`claimed_loops`]), so exactly
/// `tasks` polls go out and none waits on an empty queue.
pub(crate) async fn run(
    client: Client,
    tasks: usize,
    concurrency: usize,
    work: Work,
) -> anyhow::Result<()> {
    let hostnames: Arc<[String]> = (0..concurrency)
        .map(|index| format!("bench-bare-{index}"))
        .collect();
    claimed_loops::run(tasks, concurrency, "bare", move |index, unit| {
        let (client, hostnames, work) = (client.clone(), hostnames.clone(), work.clone());
        async move { cycle(&client, &hostnames[index], &work, unit).await }
    })
    .await
}

/// One task (the `unit`th): polled, acknowledged, worked on, reported
/// FINISHED.
async fn cycle(client: &Client, hostname: &str, work: &Work, unit: usize) -> anyhow::Result<()> {
    let task = client
        .poll_for_task()
        .worker_group(WORKER_GROUP)
        .hostname(hostname)
        .send()
        .await
        .context("PollForTask")?
        .task_object
        .context("PollForTask answered no task")?;
    let task_id = task
        .task_id
        .context("PollForTask answered a task without a taskId")?;
    let acknowledged = client
        .report_task_progress()
        .task_id(&task_id)
        .send()
        .await
        .context("ReportTaskProgress")?;
    ensure!(
        !acknowledged.canceled,
        "the acknowledgement answered canceled: true"
    );
    match work {
        Work::Nothing => {}
        Work::ShTrue => spawn_sh_true().await?,
        Work::Activity(activity) => activity.run(unit).await?,
    }
    client
        .set_task_status()
        .task_id(&task_id)
        .task_status(TaskStatus::Finished)
        .send()
        .await
        .context("SetTaskStatus")?;
    Ok(())
}
