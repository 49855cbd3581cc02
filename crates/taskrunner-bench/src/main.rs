//! `bench`: the project's benchmarks, printed as one table of figures.
//!
//! ```text
//! cargo run --release -p taskrunner-bench --bin bench -- [SUITE...] [--quick] [--runs N] [--strict]
//! ```
//!
//! Each suite (see `suites/`) measures one thing and answers figures, some
//! with a target; the binary runs the suites asked for, one after the
//! other, and prints every figure in one table on stdout, then the notes
//! that say how to read it. Progress goes to stderr. The exit code is 0
//! when every suite could measure, 1 when one could not, and — with
//! `--strict` — 1 as well when a figure missed its target.
//! docs/PERFORMANCE.md holds the figures of this machine and what they mean.

/// With the `mimalloc` feature, the allocator the `taskrunner` binary has
/// with its own `mimalloc` feature; by default the system's malloc, as the
/// default binary.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator named on the table's first line.
const ALLOCATOR_NAME: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "system malloc"
};

mod claimed_loops;
mod counting;
mod measure;
mod pipelines;
mod profile_only;
mod proxy;
mod report;
mod runner_pass;
mod runs;
mod sdk_loop;
mod service;
mod shell_true;
mod suite;
mod suites;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use clap::{CommandFactory as _, FromArgMatches as _, Parser};

use crate::report::Table;
use crate::suite::{Options, Suite};

/// Runs the project's benchmark suites and prints one table of figures
/// (name, value, unit, target, pass/fail).
#[derive(Debug, Parser)]
#[command(name = "bench", about, long_about = None)]
struct Arguments {
    /// The suites to run, in order; every implemented suite but the long
    /// `soak` when none is given.
    #[arg(value_name = "SUITE")]
    suites: Vec<String>,

    /// A short run for CI smoke tests (a tenth of the tasks or leases).
    /// Targets stated for the full size are reported without a verdict.
    #[arg(long)]
    quick: bool,

    /// Concurrency: clients driving the service (local-service), loops and
    /// runner slots (framework-overhead), pollers (leases).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    clients: u16,

    /// Queue this many tasks instead of the suite's default (leases: hold
    /// this many).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    tasks: Option<u32>,

    /// Run this datapipeline-local binary as the service (e.g.
    /// target/release/datapipeline-local) instead of the copy embedded in
    /// the bench.
    #[arg(long, value_name = "PATH")]
    service_bin: Option<PathBuf>,

    /// Measure this `taskrunner` binary (footprint) instead of the one next
    /// to the bench executable (e.g. target/release/taskrunner).
    #[arg(long, value_name = "PATH")]
    taskrunner_bin: Option<PathBuf>,

    /// Skip the raw-HTTP (no SDK, no SigV4) measurements.
    #[arg(long)]
    no_raw: bool,

    /// Run the suites this many times in a row, then summarise every
    /// target, ratio and other-load figure as median and min-max; with
    /// --strict every run must meet every target.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,

    /// Exit with 1 when a figure misses its target.
    #[arg(long)]
    strict: bool,
}

fn main() -> ExitCode {
    // The children the suites start are this executable: they must not
    // parse the bench's arguments.
    let mut arguments = std::env::args().skip(1);
    let mode = arguments.next();
    let child = match mode.as_deref() {
        Some(service::SERVE_FLAG) => Some(service::serve(arguments)),
        Some(suites::leases::holder::HOLD_FLAG) => Some(suites::leases::holder::hold(arguments)),
        _ => None,
    };
    if let Some(result) = child {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bench {}: {error:#}", mode.unwrap_or_default());
                ExitCode::FAILURE
            }
        };
    }
    let command = Arguments::command().after_help(suites::help_text());
    let arguments = match Arguments::from_arg_matches(&command.get_matches()) {
        Ok(arguments) => arguments,
        Err(error) => error.exit(),
    };
    match run_all(&arguments) {
        Ok(tables) if arguments.strict && tables.iter().any(Table::any_failed) => {
            eprintln!("bench: a figure missed its target");
            ExitCode::FAILURE
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the suites `--runs` times (printing each run's table), then the
/// summary when there was more than one run; answers every run's table.
fn run_all(arguments: &Arguments) -> anyhow::Result<Vec<Table>> {
    let runs = usize::from(arguments.runs);
    println!(
        "bench: commit {}, allocator {ALLOCATOR_NAME}",
        runs::commit()
    );
    let mut tables = Vec::with_capacity(runs);
    for index in 1..=runs {
        if runs > 1 {
            println!("\nbench: run {index} of {runs}\n");
        }
        tables.push(run(arguments)?);
    }
    if runs > 1 {
        println!("\nbench: summary of {runs} runs\n");
        print!("{}", runs::summary(&tables));
    }
    Ok(tables)
}

/// Runs the suites `arguments` asks for and prints the table; answers it
/// so that the caller can judge the verdicts.
fn run(arguments: &Arguments) -> anyhow::Result<Table> {
    let selected = select(&arguments.suites)?;
    let options = Options {
        quick: arguments.quick,
        clients: usize::from(arguments.clients),
        tasks: arguments.tasks.map(|tasks| tasks as usize),
        service_binary: arguments.service_bin.clone(),
        skip_raw: arguments.no_raw,
        taskrunner_binary: arguments.taskrunner_bin.clone(),
    };
    let began = Instant::now();
    let mut table = Table::default();
    let mut notes = Vec::new();
    for suite in selected {
        eprintln!("bench: running {}", suite.name());
        let report = suite
            .run(&options)
            .map_err(|error| error.context(format!("suite {} failed", suite.name())))?;
        table.extend(suite.name(), report.figures);
        notes.extend(report.notes);
    }
    print!("{}", table.render());
    for note in notes {
        println!("\n* {note}");
    }
    println!(
        "\nbench: {} in {:.0} s (wall).",
        if arguments.quick { "quick run" } else { "run" },
        began.elapsed().as_secs_f64()
    );
    Ok(table)
}

/// The suites named by `names`, in that order; those of the default run
/// (every implemented suite but the long ones) when `names` is empty.
fn select(names: &[String]) -> anyhow::Result<Vec<Box<dyn Suite>>> {
    if names.is_empty() {
        return Ok(suites::default_run());
    }
    let mut selected = Vec::new();
    for name in names {
        let Some(suite) = suites::available()
            .into_iter()
            .find(|suite| suite.name() == name)
        else {
            if suites::PLANNED.iter().any(|(planned, _)| planned == name) {
                bail!("suite {name} is planned but not implemented yet: see `bench --help`");
            }
            let known: Vec<&str> = suites::available()
                .iter()
                .map(|suite| suite.name())
                .collect();
            bail!("there is no suite {name}: pick one of {}", known.join(", "));
        };
        selected.push(suite);
    }
    Ok(selected)
}
