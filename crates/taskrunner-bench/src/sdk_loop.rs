//! The baselines: a bare loop of SDK calls, what a task runner does with
//! nothing around it (`framework-overhead`), and the same loop spawning
//! `sh -c true` between acknowledgement and status (`shell-throughput`).

use std::sync::Arc;

use anyhow::{ensure, Context as _};
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;

use crate::claimed_loops;
use crate::pipelines::WORKER_GROUP;

/// What a cycle does between the acknowledgement and the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Nothing.
    Nothing,
    /// Spawns `sh -c true` and waits for it.
    ShTrue,
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
    claimed_loops::run(tasks, concurrency, "bare", move |index, _| {
        let (client, hostnames) = (client.clone(), hostnames.clone());
        async move { cycle(&client, &hostnames[index], work).await }
    })
    .await
}

/// One task: polled, acknowledged, worked on, reported FINISHED.
async fn cycle(client: &Client, hostname: &str, work: Work) -> anyhow::Result<()> {
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
    if work == Work::ShTrue {
        spawn_sh_true().await?;
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

/// Spawns `sh -c true` and checks that it exited 0.
pub(crate) async fn spawn_sh_true() -> anyhow::Result<()> {
    let status = tokio::process::Command::new("sh")
        .args(["-c", "true"])
        .stdin(std::process::Stdio::null())
        .status()
        .await
        .context("cannot run sh -c true")?;
    ensure!(status.success(), "sh -c true answered {status}");
    Ok(())
}
