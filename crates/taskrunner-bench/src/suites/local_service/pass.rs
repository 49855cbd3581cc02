//! One pass of the suite: a fresh service, a full queue, a drive until it
//! is drained, and the figures that come out of it.

use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::drive::{drive, CycleClient, DriveResult};
use super::progress;
use crate::measure::{self, mebibytes, milliseconds, MachineCpu, Memory};
use crate::pipelines;
use crate::report::{Figure, Target};
use crate::service::ServiceProcess;

/// What one pass measured.
#[derive(Debug)]
pub(super) struct Pass {
    /// The cycles and their latencies.
    drive: DriveResult,
    /// Time to create, define and activate the pipelines.
    setup: Duration,
    /// The service's memory when it started listening.
    idle: Memory,
    /// With every task queued.
    queued: Memory,
    /// After the queue was drained; its peak is the whole run's.
    drained: Memory,
    /// The service's CPU time during the drive.
    service_cpu: Duration,
    /// This process's (the clients') CPU time during the drive.
    client_cpu: Duration,
    /// The whole machine's CPU during the drive: what neither the service
    /// nor the clients used was taken by other processes.
    machine_cpu: MachineCpu,
}

/// Starts a service, queues `tasks`, drives them with `clients` clients
/// built by `client`, and stops the service.
pub(super) async fn pass<C: CycleClient>(
    binary: Option<&std::path::Path>,
    tasks: usize,
    client: impl Fn(&str, usize) -> anyhow::Result<C>,
    clients: usize,
) -> anyhow::Result<Pass> {
    let service = ServiceProcess::start(binary)?;
    let endpoint = service.endpoint_url().to_owned();
    let idle = service.memory()?;
    let began = Instant::now();
    pipelines::queue_tasks(&pipelines::sdk_client(&endpoint), tasks)
        .await
        .context("cannot queue the tasks")?;
    let setup = began.elapsed();
    progress(&format!("queued {tasks} tasks in {setup:.2?}"));
    let queued = service.memory()?;
    let drivers = (0..clients)
        .map(|index| client(&endpoint, index))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let service_before = service.cpu_time()?;
    let client_before = measure::cpu_time(std::process::id())?;
    let machine_before = MachineCpu::now()?;
    let drive = drive(drivers, tasks).await?;
    let machine_cpu = MachineCpu::now()?.since(machine_before);
    let service_cpu = service.cpu_time()?.saturating_sub(service_before);
    let client_cpu = measure::cpu_time(std::process::id())?.saturating_sub(client_before);
    let drained = service.memory()?;
    progress(&format!("{} cycles in {:.2?}", drive.cycles, drive.wall));
    drop(service);
    Ok(Pass {
        drive,
        setup,
        idle,
        queued,
        drained,
        service_cpu,
        client_cpu,
        machine_cpu,
    })
}

impl Pass {
    /// Cycles per second over the whole drive.
    fn cycles_per_second(&self) -> f64 {
        self.drive.cycles as f64 / self.drive.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// The share of the machine's CPU that other processes took during the
    /// drive, in percent: the figures are only as good as this is small.
    fn others_percent(&self) -> f64 {
        let ours = self.service_cpu + self.client_cpu;
        let others = self.machine_cpu.busy.saturating_sub(ours);
        100.0 * others.as_secs_f64() / self.machine_cpu.total.as_secs_f64().max(f64::EPSILON)
    }

    /// The share of the machine's CPU the service and clients used.
    fn ours_percent(&self) -> f64 {
        let ours = (self.service_cpu + self.client_cpu).min(self.machine_cpu.total);
        100.0 * ours.as_secs_f64() / self.machine_cpu.total.as_secs_f64().max(f64::EPSILON)
    }

    /// The clients' CPU time per cycle.
    fn client_cpu_per_cycle(&self) -> Duration {
        self.client_cpu
            .checked_div(self.drive.cycles.max(1) as u32)
            .unwrap_or_default()
    }

    /// The service's CPU time per cycle.
    fn service_cpu_per_cycle(&self) -> Duration {
        self.service_cpu
            .checked_div(self.drive.cycles.max(1) as u32)
            .unwrap_or_default()
    }

    /// What the machine could do at best: its cores divided by the CPU
    /// time of a cycle, the clients' included (they share the cores), and
    /// the service's alone.
    pub(super) fn ceiling_figure(&self, label: &str, cores: usize) -> Vec<Figure> {
        let mut figures = Vec::new();
        let service = self.service_cpu_per_cycle();
        let both = service + self.client_cpu_per_cycle();
        if both > Duration::ZERO {
            figures.push(Figure::info(
                format!("{label}: ceiling, service + clients on {cores} cores"),
                cores as f64 / both.as_secs_f64(),
                "cycles/s",
            ));
        }
        if service > Duration::ZERO {
            figures.push(Figure::info(
                format!("{label}: ceiling, service alone on {cores} cores"),
                cores as f64 / service.as_secs_f64(),
                "cycles/s",
            ));
        }
        figures
    }

    /// Throughput, latency and CPU figures, named after `label`.
    pub(super) fn throughput_figures(
        &mut self,
        label: &str,
        target: Option<Target>,
    ) -> Vec<Figure> {
        let cycles_per_second = self.cycles_per_second();
        let per_cycle = |cpu: Duration| cpu.as_secs_f64() * 1e6 / self.drive.cycles.max(1) as f64;
        let service_cpu = per_cycle(self.service_cpu);
        let client_cpu = per_cycle(self.client_cpu);
        let (ours, others) = (self.ours_percent(), self.others_percent());
        let drive = &mut self.drive;
        let throughput = format!("{label}: cycles/s");
        let mut figures = vec![match target {
            Some(target) => Figure::with_target(throughput, cycles_per_second, "cycles/s", target),
            None => Figure::info(throughput, cycles_per_second, "cycles/s"),
        }];
        figures.extend([
            Figure::info(
                format!("{label}: wall time, {} cycles", drive.cycles),
                drive.wall.as_secs_f64(),
                "s",
            ),
            Figure::info(
                format!("{label}: cycle p50"),
                milliseconds(drive.cycle.percentile(0.50)),
                "ms",
            ),
            Figure::info(
                format!("{label}: cycle p99"),
                milliseconds(drive.cycle.percentile(0.99)),
                "ms",
            ),
            Figure::info(
                format!("{label}: PollForTask p50"),
                milliseconds(drive.poll.percentile(0.50)),
                "ms",
            ),
            Figure::info(
                format!("{label}: ack (ReportTaskProgress) p50"),
                milliseconds(drive.acknowledge.percentile(0.50)),
                "ms",
            ),
            Figure::info(
                format!("{label}: SetTaskStatus p50"),
                milliseconds(drive.finish.percentile(0.50)),
                "ms",
            ),
            Figure::info(format!("{label}: service CPU per cycle"), service_cpu, "us"),
            Figure::info(format!("{label}: client CPU per cycle"), client_cpu, "us"),
            Figure::info(
                format!("{label}: machine CPU used by service + clients"),
                ours,
                "%",
            ),
            Figure::info(
                format!("{label}: machine CPU used by other processes"),
                others,
                "%",
            ),
        ]);
        figures
    }

    /// The service's memory through the pass, and the queue setup time.
    pub(super) fn memory_figures(&self, tasks: usize) -> Vec<Figure> {
        let per_task = self
            .queued
            .resident_kib
            .saturating_sub(self.idle.resident_kib) as f64
            / tasks as f64;
        vec![
            Figure::info(
                "queue setup (create, put, activate)",
                self.setup.as_secs_f64(),
                "s",
            ),
            Figure::info(
                "service RSS, idle",
                mebibytes(self.idle.resident_kib),
                "MiB",
            ),
            Figure::info(
                format!("service RSS, {tasks} queued"),
                mebibytes(self.queued.resident_kib),
                "MiB",
            ),
            Figure::info("service RSS per queued task", per_task, "KiB"),
            Figure::info(
                "service RSS, drained",
                mebibytes(self.drained.resident_kib),
                "MiB",
            ),
            Figure::info(
                "service peak RSS (VmHWM)",
                mebibytes(self.drained.peak_kib),
                "MiB",
            ),
        ]
    }
}

/// Other processes may take at most this share of the machine's CPU, in
/// percent, before a pass's figures are flagged as disturbed.
const DISTURBED_PERCENT: f64 = 10.0;

/// A note when other processes took more than [`DISTURBED_PERCENT`] of the
/// CPU during `pass`.
pub(super) fn busy_machine_warning(label: &str, pass: &Pass) -> Option<String> {
    let others = pass.others_percent();
    (others > DISTURBED_PERCENT).then(|| {
        format!(
            "local-service: WARNING: other processes took {others:.0}% of the machine's CPU during the {label} pass; \
             its throughput and latency understate the service: rerun on a quiet machine."
        )
    })
}
