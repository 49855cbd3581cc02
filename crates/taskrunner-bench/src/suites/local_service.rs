//! `local-service`: how many poll → ack → SetTaskStatus cycles per second
//! `datapipeline-local` serves, and the memory it holds doing so.
//!
//! The service runs as a child process (see [`crate::service`]), so its
//! memory and CPU are read from `/proc` apart from the clients'. For each
//! pass it starts fresh, queues the tasks (pipelines of 99 on-demand shell
//! activities in one worker group), then N concurrent clients, each with
//! its own keep-alive connection, run cycles until the queue is drained.
//!
//! Two passes: through `aws-sdk-datapipeline` (what a runner pays, SigV4
//! included) and through bare hyper posting the JSON (what the service
//! itself can do). On a small machine the clients share the cores with the
//! service, so both throughput figures are lower bounds on the service's
//! capacity; the CPU-per-cycle figures say where the time goes.

mod drive;
mod pass;
mod raw;
mod sdk;

use anyhow::Context as _;

use self::pass::{busy_machine_warning, pass};
use self::raw::RawCycles;
use self::sdk::SdkCycles;
use crate::pipelines;
use crate::report::Target;
use crate::suite::{Options, Suite, SuiteReport};

/// Tasks queued by a full run: the target is stated for this queue.
const FULL_TASKS: usize = 10_000;

/// Tasks queued by a `--quick` run.
const QUICK_TASKS: usize = 1_000;

/// The project's target: SDK cycles per second with [`FULL_TASKS`] queued,
/// on a 2-core machine.
const TARGET_CYCLES_PER_SECOND: f64 = 5_000.0;

/// The `local-service` suite.
#[derive(Debug)]
pub(crate) struct LocalService;

impl Suite for LocalService {
    fn name(&self) -> &'static str {
        "local-service"
    }

    fn summary(&self) -> &'static str {
        "SDK cycles/s (poll, ack, SetTaskStatus) and service RSS (target >= 5,000/s)"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let tasks = options.tasks_or(QUICK_TASKS, FULL_TASKS)?;
        let clients = options.clients.max(1);
        // The clients' runtime: one worker per core, like a runner's.
        let runtime =
            tokio::runtime::Runtime::new().context("cannot start the clients' runtime")?;
        let binary = options.service_binary.as_deref();

        progress(&format!("sdk pass: {tasks} tasks, {clients} clients"));
        let mut sdk = runtime.block_on(pass(
            binary,
            tasks,
            |endpoint, index| Ok(SdkCycles::new(endpoint, index)),
            clients,
        ))?;
        let mut report = SuiteReport::default();
        let target = (tasks >= FULL_TASKS).then_some(Target::AtLeast(TARGET_CYCLES_PER_SECOND));
        report.figures.extend(sdk.throughput_figures("sdk", target));
        report.notes.extend(busy_machine_warning("sdk", &sdk));

        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        report.figures.extend(sdk.ceiling_figure("sdk", cores));
        report.figures.extend(sdk.memory_figures(tasks));
        if !options.skip_raw {
            progress(&format!("raw pass: {tasks} tasks, {clients} clients"));
            let mut raw = runtime.block_on(pass(binary, tasks, RawCycles::new, clients))?;
            report
                .figures
                .extend(raw.throughput_figures("raw http", None));
            report.figures.extend(raw.ceiling_figure("raw http", cores));
            report.notes.extend(busy_machine_warning("raw http", &raw));
        }
        report.notes.extend(notes(tasks, clients, cores, binary));
        Ok(report)
    }
}

/// How to read the suite's figures.
fn notes(
    tasks: usize,
    clients: usize,
    cores: usize,
    binary: Option<&std::path::Path>,
) -> Vec<String> {
    let pipeline_count = tasks.div_ceil(pipelines::ACTIVITIES_PER_PIPELINE);
    let service = binary.map_or_else(
        || "datapipeline-local embedded in this executable".to_owned(),
        |path| path.display().to_string(),
    );
    let mut notes = vec![
        format!(
            "local-service: {tasks} tasks queued as {pipeline_count} on-demand pipelines of up to {} ShellCommandActivity \
             objects (+ Default) in one worker group, account limits lifted; {clients} concurrent clients, each with its \
             own keep-alive connection, claim a cycle and then poll, so no poll waits on an empty queue. The service is \
             {service} in a child process on a default tokio runtime; memory is its VmRSS/VmHWM.",
            pipelines::ACTIVITIES_PER_PIPELINE,
        ),
        format!(
            "local-service: the clients share the {cores} cores with the service, so cycles/s is a lower bound on the \
             service's capacity. 'sdk' is what a runner pays (aws-sdk-datapipeline, SigV4 on every call); 'raw http' \
             posts the JSON with bare hyper, unsigned, to show the service's own ceiling. CPU per cycle splits each \
             cycle's cost between service and clients; a ceiling is cores divided by CPU per cycle: the most this \
             machine could do were it fully busy with this work alone."
        ),
    ];
    if tasks < FULL_TASKS {
        notes.push(format!(
            "local-service: the >= {TARGET_CYCLES_PER_SECOND} cycles/s target is stated for {FULL_TASKS} queued tasks; \
             this run queued {tasks}, so it is reported without a verdict."
        ));
    }
    notes
}

/// A progress line on stderr; stdout holds only the table.
fn progress(message: &str) {
    eprintln!("local-service: {message}");
}
