//! `leases`: what holding many leases at once costs a runner, and whether it
//! keeps every one of them alive.
//!
//! The service runs as a child (embedded, 20 s `reportProgressTimeout`), the
//! runner as another (see [`holder`]) so that its resident memory is its
//! own. The runner takes every queued task with as many slots as tasks; each
//! handler sleeps until told to stop. With a compressed report interval
//! (2 s) every lease is reported several times during the hold, so reports
//! really happen at `leases / interval` per second. Then the handlers
//! finish, and the service's audit says how many leases it saw expire.

pub(crate) mod holder;

use std::io::{BufRead as _, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::Value;

use self::holder::{HolderConfig, HOLD_FLAG};
use crate::measure::{self, mebibytes, MachineCpu};
use crate::pipelines;
use crate::report::{Figure, Target};
use crate::service::{ServiceProcess, ServiceTiming};
use crate::suite::{Options, Suite, SuiteReport};

/// Leases held by a full run: the targets are stated for this many.
const FULL_LEASES: usize = 10_000;

/// Leases held with `--quick`.
const QUICK_LEASES: usize = 1_000;

/// The report interval the runner is given (60 s in production).
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

/// The tasks' `reportProgressTimeout` (15 minutes in production): the
/// runner's lease deadline is this less a 5 s margin.
const REPORT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long every lease is held in a full run: 7–8 report intervals.
const FULL_HOLD: Duration = Duration::from_secs(15);

/// How long with `--quick`: 3 intervals.
const QUICK_HOLD: Duration = Duration::from_secs(6);

/// The target for resident memory per lease, in KiB.
const TARGET_KIB_PER_LEASE: f64 = 8.0;

/// Other processes may take at most this share of the CPU during the hold,
/// in percent, before the figures are flagged as disturbed.
const DISTURBED_PERCENT: f64 = 10.0;

/// The environment variable naming a command (with arguments) to run the
/// lease holder under, such as `heaptrack -o /tmp/holder`: for profiling
/// its memory. The figures then describe the wrapper, not the holder.
const HOLDER_PREFIX_VARIABLE: &str = "BENCH_HOLDER_PREFIX";

/// The `leases` suite.
#[derive(Debug)]
pub(crate) struct Leases;

impl Suite for Leases {
    fn name(&self) -> &'static str {
        "leases"
    }

    fn summary(&self) -> &'static str {
        "10,000 in-flight leases (RSS per lease < 8 KiB, 0 missed deadlines)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let leases = options.tasks_or(QUICK_LEASES, FULL_LEASES)?;
        let hold = if options.quick { QUICK_HOLD } else { FULL_HOLD };
        let service = ServiceProcess::start_embedded(ServiceTiming {
            long_poll_wait: Duration::from_secs(1),
            report_progress_timeout: REPORT_TIMEOUT,
            ..ServiceTiming::default()
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime")?;
        runtime
            .block_on(pipelines::queue_tasks(
                &pipelines::sdk_client(service.endpoint_url()),
                leases,
            ))
            .context("cannot queue the tasks")?;
        drop(runtime);
        progress(&format!(
            "queued {leases} tasks; holding them for {hold:?}, reported every {PROGRESS_INTERVAL:?}"
        ));
        let config = HolderConfig {
            endpoint: service.endpoint_url().to_owned(),
            leases,
            pollers: options.clients.max(1),
            progress_interval: PROGRESS_INTERVAL,
            report_timeout: REPORT_TIMEOUT,
            hold,
        };
        let run = run_holder(&config, &service)?;
        let audit = service.finish()?;
        let missed = audit.leases_expired + run.done.count("lost")?;
        let mut figures = run.figures(&config, missed, leases >= FULL_LEASES)?;
        figures.extend([
            Figure::info(
                "service: leases expired",
                audit.leases_expired as f64,
                "leases",
            ),
            Figure::info(
                "service: stale reports",
                audit.stale_reports as f64,
                "calls",
            ),
            Figure::info(
                "service: attempts finished",
                audit.attempts_finished as f64,
                "tasks",
            ),
            Figure::info(
                "runner: leases lost",
                run.done.count("lost")? as f64,
                "leases",
            ),
        ]);
        Ok(SuiteReport {
            figures,
            notes: notes(&config, &run),
        })
    }
}

/// An event line of the holder: its name and fields.
#[derive(Debug)]
struct Event {
    /// The fields printed with it.
    fields: Value,
}

impl Event {
    /// A count the holder printed.
    fn count(&self, name: &str) -> anyhow::Result<u64> {
        self.fields
            .get(name)
            .and_then(Value::as_u64)
            .with_context(|| format!("the lease holder's event has no {name}: {}", self.fields))
    }
}

/// CPU clocks read at one point of the hold.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    /// The holder's (the runner's) CPU time.
    runner: Duration,
    /// The service's CPU time.
    service: Duration,
    /// The machine's.
    machine: MachineCpu,
}

impl Clocks {
    /// The clocks now.
    fn read(holder: &Child, service: &ServiceProcess) -> anyhow::Result<Self> {
        Ok(Self {
            runner: measure::cpu_time(holder.id())?,
            service: service.cpu_time()?,
            machine: MachineCpu::now()?,
        })
    }
}

/// What the holder reported, and the clocks around its hold.
#[derive(Debug)]
struct HolderRun {
    /// Built, nothing polled.
    ready: Event,
    /// Every lease acknowledged and running.
    held: Event,
    /// The hold is over.
    released: Event,
    /// Every task finished, runner stopped.
    done: Event,
    /// At `held`.
    held_clocks: Clocks,
    /// At `released`.
    released_clocks: Clocks,
}

/// The holder child; killed on drop if it is still running.
struct HolderProcess(Child);

impl Drop for HolderProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the lease holder against `service` and gathers its events.
fn run_holder(config: &HolderConfig, service: &ServiceProcess) -> anyhow::Result<HolderRun> {
    let executable =
        std::env::current_exe().context("cannot find the bench executable to hold leases")?;
    // A profiler to run the holder under, e.g. `heaptrack`: the figures
    // are then the profiler's, but its report is the holder's.
    let prefix = std::env::var(HOLDER_PREFIX_VARIABLE).unwrap_or_default();
    let mut prefix = prefix.split_whitespace();
    let mut command = match prefix.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(prefix).arg(executable);
            command
        }
        None => Command::new(executable),
    };
    command
        .arg(HOLD_FLAG)
        .args(config.to_flags())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut holder = HolderProcess(
        command
            .spawn()
            .with_context(|| format!("cannot start the lease holder: {command:?}"))?,
    );
    let stdout = holder
        .0
        .stdout
        .take()
        .context("the lease holder's stdout is not piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = next_event(&mut lines, "ready")?;
    let held = next_event(&mut lines, "held")?;
    let held_clocks = Clocks::read(&holder.0, service)?;
    progress(&format!(
        "{} leases held after {:.2} s",
        config.leases,
        held.count("fill_ms")? as f64 / 1000.0
    ));
    let released = next_event(&mut lines, "released")?;
    let released_clocks = Clocks::read(&holder.0, service)?;
    let done = next_event(&mut lines, "done")?;
    let status = holder
        .0
        .wait()
        .context("cannot wait for the lease holder")?;
    anyhow::ensure!(status.success(), "the lease holder failed: {status}");
    progress(&format!(
        "released; all finished in {:.2} s",
        done.count("finish_ms")? as f64 / 1000.0
    ));
    Ok(HolderRun {
        ready,
        held,
        released,
        done,
        held_clocks,
        released_clocks,
    })
}

/// Reads the next event line, which must be `name`. Lines that are not
/// events (a profiler's, see [`HOLDER_PREFIX_VARIABLE`]) go to stderr.
fn next_event(lines: &mut Lines<BufReader<ChildStdout>>, name: &str) -> anyhow::Result<Event> {
    loop {
        let Some(line) = lines.next() else {
            bail!("the lease holder stopped before its {name} event (its stderr says why)");
        };
        let line = line.context("cannot read the lease holder's output")?;
        let Some((event, fields)) = line
            .split_once(' ')
            .filter(|(_, fields)| fields.starts_with('{'))
        else {
            eprintln!("{line}");
            continue;
        };
        anyhow::ensure!(
            event == name,
            "the lease holder printed {event} where {name} was due"
        );
        let fields = serde_json::from_str(fields)
            .with_context(|| format!("the lease holder's {event} event is not JSON: {fields}"))?;
        return Ok(Event { fields });
    }
}

impl HolderRun {
    /// The machine's CPU over the hold.
    fn hold_cpu(&self) -> MachineCpu {
        self.released_clocks.machine.since(self.held_clocks.machine)
    }

    /// Reports the runner sent during the hold.
    fn hold_reports(&self) -> anyhow::Result<u64> {
        Ok(self
            .released
            .count("reports")?
            .saturating_sub(self.held.count("reports")?))
    }

    /// The share of the machine's CPU other processes took during the
    /// hold, in percent.
    fn others_percent(&self) -> f64 {
        let ours = self
            .released_clocks
            .runner
            .saturating_sub(self.held_clocks.runner)
            + self
                .released_clocks
                .service
                .saturating_sub(self.held_clocks.service);
        let machine = self.hold_cpu();
        let others = machine.busy.saturating_sub(ours);
        100.0 * others.as_secs_f64() / machine.total.as_secs_f64().max(f64::EPSILON)
    }

    /// The suite's figures; `missed` is the missed deadlines.
    fn figures(
        &self,
        config: &HolderConfig,
        missed: u64,
        full_size: bool,
    ) -> anyhow::Result<Vec<Figure>> {
        let leases = config.leases as f64;
        let ready = self.ready.count("rss_kib")?;
        let held = self.held.count("rss_kib")?;
        let released = self.released.count("rss_kib")?;
        let per_lease = |rss: u64| rss.saturating_sub(ready) as f64 / leases;
        let memory_target = full_size.then_some(Target::AtMost(TARGET_KIB_PER_LEASE));
        let memory_figure = |name: &str, value: f64| match memory_target {
            Some(target) => Figure::with_target(name, value, "KiB", target),
            None => Figure::info(name, value, "KiB"),
        };
        let hold = config.hold.as_secs_f64();
        let reports = self.hold_reports()?;
        let per_report = |cpu: Duration| cpu.as_secs_f64() * 1e6 / reports.max(1) as f64;
        Ok(vec![
            Figure::info("leases held", leases, "leases"),
            Figure::info(
                "poll + acknowledge every lease",
                self.held.count("fill_ms")? as f64 / 1000.0,
                "s",
            ),
            Figure::info("runner RSS, before polling", mebibytes(ready), "MiB"),
            Figure::info("runner RSS, all leases held", mebibytes(held), "MiB"),
            Figure::info("runner RSS, end of the hold", mebibytes(released), "MiB"),
            Figure::info(
                "runner peak RSS (VmHWM)",
                mebibytes(self.released.count("peak_kib")?),
                "MiB",
            ),
            memory_figure("runner RSS per lease, all held", per_lease(held)),
            memory_figure("runner RSS per lease, end of the hold", per_lease(released)),
            Figure::with_target(
                "missed deadlines (service expired + runner lost)",
                missed as f64,
                "leases",
                Target::AtMost(0.0),
            ),
            Figure::info("hold", hold, "s"),
            Figure::info(
                "reports/s sustained during the hold",
                reports as f64 / hold,
                "calls/s",
            ),
            Figure::info(
                "reports/s due (leases / interval)",
                leases / config.progress_interval.as_secs_f64(),
                "calls/s",
            ),
            Figure::info(
                "runner CPU per report",
                per_report(
                    self.released_clocks
                        .runner
                        .saturating_sub(self.held_clocks.runner),
                ),
                "us",
            ),
            Figure::info(
                "service CPU per report",
                per_report(
                    self.released_clocks
                        .service
                        .saturating_sub(self.held_clocks.service),
                ),
                "us",
            ),
            Figure::info(
                "machine CPU used by other processes during the hold",
                self.others_percent(),
                "%",
            ),
            Figure::info(
                "finish every task after the hold",
                self.done.count("finish_ms")? as f64 / 1000.0,
                "s",
            ),
        ])
    }
}

/// How to read the figures.
fn notes(config: &HolderConfig, run: &HolderRun) -> Vec<String> {
    let mut notes = vec![format!(
        "leases: the runner (concurrency {}, {} pollers, CallBudget::unlimited(), progress_interval {:?}, \
         reportProgressTimeout {:?}) runs in a child process of its own; its handlers sleep until released. RSS per \
         lease is (VmRSS with every lease held - VmRSS before polling) / leases, and includes everything a held task \
         costs: the task, its lease, its tokio task and handler future. Missed deadlines are the leases the service \
         saw expire (its audit) plus those the runner counted lost.",
        config.leases, config.pollers, config.progress_interval, config.report_timeout,
    )];
    if config.leases < FULL_LEASES {
        notes.push(format!(
            "leases: the memory target is stated for {FULL_LEASES} leases; this run held {}, so it is reported \
             without a verdict.",
            config.leases
        ));
    }
    let others = run.others_percent();
    if others > DISTURBED_PERCENT {
        notes.push(format!(
            "leases: WARNING: other processes took {others:.0}% of the machine's CPU during the hold; a missed \
             deadline may be theirs: rerun on a quiet machine."
        ));
    }
    notes
}

/// A progress line on stderr; stdout holds only the table.
fn progress(message: &str) {
    eprintln!("leases: {message}");
}
