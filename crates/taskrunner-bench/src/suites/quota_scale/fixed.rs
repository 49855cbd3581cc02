//! The comparison: a runner that reports every lease on a fixed 60 s
//! cadence, as a runner without a report schedule does, inside the same
//! compressed call budget.
//!
//! It polls tasks as fast as the PollForTask quota lets it, acknowledges
//! each at once and then reports it every 60 s (compressed) from the
//! moment it was due, not from when it went out, so that a cadence the
//! budget cannot carry shows as a growing lag. Every call waits for its
//! token in the same [`CallBudget`] the framework uses (first come, first
//! served). Its capacity is the number of leases it held when a report
//! first went out later than 10 % of the cadence after it was due: from
//! then on the cadence is no longer kept and the lag only grows.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_sdk_datapipeline::Client;
use taskrunner::service::{CallBudget, Operation};
use tokio::sync::mpsc;

use super::super::compressed::{compressed, documented_budget};
use crate::pipelines::WORKER_GROUP;

/// The cadence, in production time.
const CADENCE: Duration = Duration::from_secs(60);

/// A report later than this share of the cadence breaks it.
const LAG_TOLERANCE: f64 = 0.1;

/// What the fixed cadence managed.
#[derive(Debug, Clone, Copy)]
pub(super) struct FixedResult {
    /// Leases held when the cadence first broke, or every lease polled if
    /// it never did.
    pub(super) capacity: usize,
    /// Whether the cadence broke before the tasks ran out.
    pub(super) broke: bool,
    /// The largest lag of a report behind its due time (wall clock).
    pub(super) largest_lag: Duration,
}

/// Polls up to `tasks` tasks from `client` and keeps them on a fixed
/// cadence until the cadence breaks (then a little longer, to show the lag
/// growing) or every task is held and one cadence has passed.
pub(super) async fn run(client: Client, tasks: usize) -> anyhow::Result<FixedResult> {
    let budget = documented_budget()?;
    let cadence = compressed(CADENCE);
    let tolerance = cadence.mul_f64(LAG_TOLERANCE);
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<String>();
    let poller = tokio::spawn(poll(client.clone(), budget.clone(), tasks, arrivals));
    // (due, task) by earliest due; a new task is due at once: its
    // acknowledgement.
    let mut schedule: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    let mut task_ids: Vec<String> = Vec::new();
    let mut largest_lag = Duration::ZERO;
    let mut broke_at: Option<(usize, Instant)> = None;
    let mut all_held_at: Option<Instant> = None;
    let mut polling = true;
    loop {
        if let Some((_, at)) = broke_at {
            if at.elapsed() > cadence {
                break;
            }
        }
        if let Some(at) = all_held_at {
            if at.elapsed() > cadence * 2 {
                break;
            }
        }
        let next_due = schedule.peek().map(|Reverse((due, _))| *due);
        tokio::select! {
            task = arrived.recv(), if polling => {
                let Some(task) = task else {
                    // The poller stopped: it ran out of tasks or failed.
                    polling = false;
                    all_held_at.get_or_insert_with(Instant::now);
                    continue;
                };
                schedule.push(Reverse((Instant::now(), task_ids.len())));
                task_ids.push(task);
                if task_ids.len() == tasks {
                    all_held_at.get_or_insert_with(Instant::now);
                }
            }
            () = sleep_until(next_due) => {
                let Some(Reverse((due, index))) = schedule.pop() else { continue };
                budget.acquire(Operation::ReportTaskProgress).await;
                let lag = due.elapsed();
                largest_lag = largest_lag.max(lag);
                if lag > tolerance && broke_at.is_none() {
                    broke_at = Some((task_ids.len(), Instant::now()));
                }
                let (client, task_id) = (client.clone(), task_ids[index].clone());
                tokio::spawn(async move {
                    // A lost lease would show in the service's audit; the
                    // capacity is decided by the lag alone.
                    let _ = client.report_task_progress().task_id(task_id).send().await;
                });
                schedule.push(Reverse((due + cadence, index)));
            }
        }
    }
    poller.abort();
    Ok(FixedResult {
        capacity: broke_at.map_or(task_ids.len(), |(held, _)| held),
        broke: broke_at.is_some(),
        largest_lag,
    })
}

/// Sleeps until `due`, or forever when nothing is scheduled.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due.into()).await,
        None => std::future::pending().await,
    }
}

/// Polls `tasks` tasks, each when the PollForTask budget allows, and sends
/// their ids on.
async fn poll(
    client: Client,
    budget: CallBudget,
    tasks: usize,
    arrivals: mpsc::UnboundedSender<String>,
) -> anyhow::Result<()> {
    for _ in 0..tasks {
        budget.acquire(Operation::PollForTask).await;
        let task = client
            .poll_for_task()
            .worker_group(WORKER_GROUP)
            .hostname("bench-fixed-cadence")
            .send()
            .await
            .context("PollForTask")?
            .task_object
            .context("PollForTask answered no task")?;
        let task_id = task.task_id.context("a task without a taskId")?;
        if arrivals.send(task_id).is_err() {
            break;
        }
    }
    Ok(())
}
