//! One pass: a fresh service, a full queue, one contender draining it, and
//! the clocks read around the drain.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use taskrunner::TaskContext;

use super::progress;
use crate::measure::{self, MachineCpu};
use crate::pipelines;
use crate::runner_pass;
use crate::sdk_loop;
use crate::service::{ServiceProcess, ServiceTiming};

/// Who drains the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Contender {
    /// The bare SDK loop.
    Bare,
    /// The framework's `Runner`.
    Runner,
}

impl Contender {
    /// How the figures name it.
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Bare => "bare loop",
            Self::Runner => "runner",
        }
    }
}

/// What one pass measured.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pass {
    /// Who drained the queue.
    pub(super) contender: Contender,
    /// Tasks drained.
    pub(super) tasks: usize,
    /// From the start of the drain to the last accepted SetTaskStatus.
    pub(super) wall: Duration,
    /// This process's CPU time over the drain: the contender's (plus the
    /// bench's own bookkeeping, which is idle meanwhile).
    pub(super) client_cpu: Duration,
    /// The kernel's part of `client_cpu`: system calls, wake-ups.
    pub(super) client_system_cpu: Duration,
    /// This process's context switches over the drain.
    pub(super) client_switches: u64,
    /// The service's CPU time over the drain.
    pub(super) service_cpu: Duration,
    /// The whole machine's CPU over the drain.
    pub(super) machine_cpu: MachineCpu,
}

impl Pass {
    /// Tasks per second over the drain.
    pub(super) fn tasks_per_second(&self) -> f64 {
        self.tasks as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// The contender's CPU time per task, in µs.
    pub(super) fn client_cpu_per_task(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.tasks.max(1) as f64
    }

    /// The kernel's part of the contender's CPU time per task, in µs.
    pub(super) fn client_system_cpu_per_task(&self) -> f64 {
        self.client_system_cpu.as_secs_f64() * 1e6 / self.tasks.max(1) as f64
    }

    /// The contender's context switches per task.
    pub(super) fn client_switches_per_task(&self) -> f64 {
        self.client_switches as f64 / self.tasks.max(1) as f64
    }

    /// The service's CPU time per task, in µs.
    pub(super) fn service_cpu_per_task(&self) -> f64 {
        self.service_cpu.as_secs_f64() * 1e6 / self.tasks.max(1) as f64
    }

    /// The share of the machine's CPU other processes took, in percent.
    pub(super) fn others_percent(&self) -> f64 {
        let ours = self.client_cpu + self.service_cpu;
        let others = self.machine_cpu.busy.saturating_sub(ours);
        100.0 * others.as_secs_f64() / self.machine_cpu.total.as_secs_f64().max(f64::EPSILON)
    }
}

/// The service's long poll in these passes: short, so that a runner's
/// pollers waiting on the drained queue let it stop quickly.
const LONG_POLL_WAIT: Duration = Duration::from_secs(1);

/// Starts a service, queues `tasks`, lets `contender` drain them with
/// `concurrency` loops or slots, and stops everything.
pub(super) async fn pass(
    contender: Contender,
    tasks: usize,
    concurrency: usize,
) -> anyhow::Result<Pass> {
    let service = ServiceProcess::start_embedded(ServiceTiming {
        long_poll_wait: LONG_POLL_WAIT,
        ..ServiceTiming::default()
    })?;
    let client = pipelines::sdk_client(service.endpoint_url());
    pipelines::queue_tasks(&client, tasks)
        .await
        .context("cannot queue the tasks")?;
    let service_before = service.cpu_time()?;
    let client_before = measure::cpu_time(std::process::id())?;
    let system_before = measure::system_cpu_time(std::process::id())?;
    let switches_before = measure::own_context_switches()?;
    let machine_before = MachineCpu::now()?;
    let began = Instant::now();
    let running = match contender {
        Contender::Bare => {
            sdk_loop::run(client, tasks, concurrency, sdk_loop::Work::Nothing).await?;
            None
        }
        Contender::Runner => {
            let no_op = |_task: TaskContext| async {};
            Some(runner_pass::run(client, tasks, concurrency, no_op, "bench-runner", None).await?)
        }
    };
    let wall = began.elapsed();
    let machine_cpu = MachineCpu::now()?.since(machine_before);
    let client_cpu = measure::cpu_time(std::process::id())?.saturating_sub(client_before);
    let client_system_cpu =
        measure::system_cpu_time(std::process::id())?.saturating_sub(system_before);
    let client_switches = measure::own_context_switches()?.saturating_sub(switches_before);
    let service_cpu = service.cpu_time()?.saturating_sub(service_before);
    if let Some(running) = running {
        let summary = running.stop().await?;
        ensure!(
            summary.status_failures == 0,
            "the runner failed to report {} statuses: {summary:?}",
            summary.status_failures
        );
    }
    let pass = Pass {
        contender,
        tasks,
        wall,
        client_cpu,
        client_system_cpu,
        client_switches,
        service_cpu,
        machine_cpu,
    };
    progress(&format!(
        "{}: {tasks} tasks in {wall:.2?} ({:.0}/s), other processes {:.0}% of the CPU",
        contender.label(),
        pass.tasks_per_second(),
        pass.others_percent(),
    ));
    Ok(pass)
}
