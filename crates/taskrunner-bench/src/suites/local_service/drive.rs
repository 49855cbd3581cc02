//! Driving poll → ack → SetTaskStatus cycles with concurrent clients until
//! the queue is drained.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::measure::Latencies;

/// How long each call of one cycle took.
#[derive(Debug, Clone, Copy)]
pub(super) struct CycleTiming {
    /// PollForTask, until the task is in hand.
    pub(super) poll: Duration,
    /// The first ReportTaskProgress: the acknowledgement.
    pub(super) acknowledge: Duration,
    /// SetTaskStatus FINISHED.
    pub(super) finish: Duration,
}

/// A client that can run one poll → ack → SetTaskStatus cycle.
pub(super) trait CycleClient: Send + Sync + 'static {
    /// Polls one task, acknowledges it and reports it FINISHED.
    ///
    /// # Errors
    /// Any call failing, a poll answering no task, or an acknowledgement
    /// answering `canceled: true`: none of them happens when the service
    /// works, since the driver never polls more tasks than are queued.
    fn cycle(&self) -> impl Future<Output = anyhow::Result<CycleTiming>> + Send;
}

/// What a drive measured.
#[derive(Debug)]
pub(super) struct DriveResult {
    /// From the first poll to the last SetTaskStatus answer.
    pub(super) wall: Duration,
    /// Cycles completed.
    pub(super) cycles: usize,
    /// Whole cycles, poll sent to SetTaskStatus answered.
    pub(super) cycle: Latencies,
    /// PollForTask calls.
    pub(super) poll: Latencies,
    /// Acknowledgements.
    pub(super) acknowledge: Latencies,
    /// SetTaskStatus calls.
    pub(super) finish: Latencies,
}

/// Runs `cycles` cycles on `clients`, all concurrently, each client running
/// its cycles one after the other as a runner's poll loop does.
///
/// Clients claim a cycle before they poll, so exactly `cycles` polls go
/// out and none of them waits on an empty queue: the wall time is the
/// service's work, not a long poll running out.
pub(super) async fn drive<C: CycleClient>(
    clients: Vec<C>,
    cycles: usize,
) -> anyhow::Result<DriveResult> {
    let claimed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(clients.len());
    for client in clients {
        let claimed = claimed.clone();
        workers.push(tokio::spawn(async move {
            let mut timings = Vec::with_capacity(cycles);
            while claimed.fetch_add(1, Ordering::Relaxed) < cycles {
                let begun = Instant::now();
                let timing = client.cycle().await?;
                timings.push((begun.elapsed(), timing));
            }
            anyhow::Ok(timings)
        }));
    }
    let mut result = DriveResult {
        wall: Duration::ZERO,
        cycles: 0,
        cycle: Latencies::default(),
        poll: Latencies::default(),
        acknowledge: Latencies::default(),
        finish: Latencies::default(),
    };
    let mut first_error = None;
    for worker in workers {
        match worker.await.context("a client panicked")? {
            Ok(timings) => {
                for (whole, timing) in timings {
                    result.cycle.record(whole);
                    result.poll.record(timing.poll);
                    result.acknowledge.record(timing.acknowledge);
                    result.finish.record(timing.finish);
                }
            }
            Err(error) => {
                // Stop the other clients claiming: they would only queue
                // up behind the failure.
                claimed.store(cycles, Ordering::Relaxed);
                first_error.get_or_insert(error);
            }
        }
    }
    result.wall = started.elapsed();
    if let Some(error) = first_error {
        return Err(error.context("a cycle failed"));
    }
    result.cycles = result.cycle.len();
    Ok(result)
}

/// Times `call`.
pub(super) async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let begun = Instant::now();
    let output = call.await;
    (output, begun.elapsed())
}
