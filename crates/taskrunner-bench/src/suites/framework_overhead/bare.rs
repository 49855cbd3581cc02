//! The baseline: a bare loop of SDK calls, what a task runner does with
//! nothing around it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::{ensure, Context as _};
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;

use crate::pipelines::WORKER_GROUP;

/// Runs `tasks` poll → ReportTaskProgress → SetTaskStatus FINISHED cycles on
/// `concurrency` tokio tasks sharing `client` (one connection pool, as a
/// runner shares one), and answers when the last status is accepted.
///
/// Each loop claims a cycle before it polls, so exactly `tasks` polls go
/// out and none waits on an empty queue.
pub(super) async fn run(client: Client, tasks: usize, concurrency: usize) -> anyhow::Result<()> {
    let claimed = Arc::new(AtomicUsize::new(0));
    let mut loops = tokio::task::JoinSet::new();
    for index in 0..concurrency {
        let (client, claimed) = (client.clone(), claimed.clone());
        let hostname = format!("bench-bare-{index}");
        loops.spawn(async move {
            while claimed.fetch_add(1, Ordering::Relaxed) < tasks {
                cycle(&client, &hostname).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = loops.join_next().await {
        if let Err(error) = joined.context("a bare loop panicked")? {
            loops.abort_all();
            return Err(error.context("a bare-loop cycle failed"));
        }
    }
    Ok(())
}

/// One task: polled, acknowledged, reported FINISHED.
async fn cycle(client: &Client, hostname: &str) -> anyhow::Result<()> {
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
    client
        .set_task_status()
        .task_id(&task_id)
        .task_status(TaskStatus::Finished)
        .send()
        .await
        .context("SetTaskStatus")?;
    Ok(())
}
