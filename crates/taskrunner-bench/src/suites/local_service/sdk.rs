//! Cycles through `aws-sdk-datapipeline`: what a task runner pays per task.

use anyhow::{ensure, Context as _};
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;

use super::drive::{timed, CycleClient, CycleTiming};
use crate::pipelines::{sdk_client, WORKER_GROUP};

/// One runner's SDK client: its own connection pool (hyper, keep-alive, the
/// SDK default), so N of them hold N connections as N runners would.
#[derive(Debug)]
pub(super) struct SdkCycles {
    /// The client; it signs every request with SigV4.
    client: Client,
    /// The hostname the runner reports in PollForTask.
    hostname: String,
}

impl SdkCycles {
    /// A client for `endpoint` that polls as runner number `index`.
    pub(super) fn new(endpoint: &str, index: usize) -> Self {
        Self {
            client: sdk_client(endpoint),
            hostname: format!("bench-sdk-{index}"),
        }
    }
}

impl CycleClient for SdkCycles {
    async fn cycle(&self) -> anyhow::Result<CycleTiming> {
        let (polled, poll) = timed(
            self.client
                .poll_for_task()
                .worker_group(WORKER_GROUP)
                .hostname(&self.hostname)
                .send(),
        )
        .await;
        let task = polled
            .context("PollForTask")?
            .task_object
            .context("PollForTask answered no task")?;
        let task_id = task
            .task_id
            .context("PollForTask answered a task without a taskId")?;
        let (acknowledged, acknowledge) =
            timed(self.client.report_task_progress().task_id(&task_id).send()).await;
        ensure!(
            !acknowledged.context("ReportTaskProgress")?.canceled,
            "the acknowledgement answered canceled: true"
        );
        let (finished, finish) = timed(
            self.client
                .set_task_status()
                .task_id(&task_id)
                .task_status(TaskStatus::Finished)
                .send(),
        )
        .await;
        finished.context("SetTaskStatus")?;
        Ok(CycleTiming {
            poll,
            acknowledge,
            finish,
        })
    }
}
