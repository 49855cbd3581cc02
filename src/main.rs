//! `taskrunner`: an open task runner for AWS Data Pipeline.
//!
//! A thin binary over the framework crates: it parses the command line,
//! installs logging, runs the chosen mode and maps its end to an exit code.
//!
//! Exit codes: 0 after a graceful shutdown (or, for `local`, when every
//! activity finished); 1 when a `local` activity did not finish or the
//! runner could not start; 2 for bad flags or a refused definition; 3 when
//! a `local` run did not end in time; 130 when a second signal cut the
//! drain short.

/// With the `mimalloc` feature, mimalloc rather than the system's malloc:
/// the framework boxes one SDK future (several KB) per service call, which
/// glibc's malloc makes dearer; with mimalloc the runner's CPU per task is
/// within a few percent of a bare SDK loop's, at the price of more idle
/// memory (docs/PERFORMANCE.md, framework-overhead).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod activities;
mod credentials_file;
mod ec2;
mod endless_schedules;
mod exists;
mod flags;
mod local;
mod local_s3;
mod log_files;
mod log_upload;
mod logging;
mod metrics_server;
mod not_built_in;
mod parameter_inputs;
mod placement;
mod proxy;
mod proxy_check;
mod run;
mod secrets;
mod settings;
mod signals;
mod terminal;
mod view;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use flags::Cli;
use settings::{Mode, Settings};

/// How long the runtime's remaining work may take to stop at exit.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let settings = match Settings::derive(Cli::parse()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("taskrunner: {error}");
            return ExitCode::from(error.exit_code());
        }
    };
    // Kept until the process ends, except that run mode closes the log
    // file itself before its last upload to S3.
    let output = settings.log.output.clone();
    let mut log_guard = match logging::install(
        settings.log.format,
        output.as_deref(),
        settings.log.default_level,
    ) {
        Ok(guard) => Some(guard),
        Err(error) => {
            eprintln!("taskrunner: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("taskrunner: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        signals::listen();
        if let Some(directory) = &output {
            log_files::spawn_compressor(directory.clone());
        }
        let mode = async {
            match settings.mode {
                Mode::Local(local) => local::run(local).await,
                Mode::Run(run) => run::run(run, output.as_deref(), log_guard.take()).await,
            }
        };
        tokio::select! {
            result = mode => result,
            () = signals::interrupted() => Ok(ExitCode::from(signals::INTERRUPTED)),
        }
    });
    // Drops what still runs (after a second signal, the tasks it cut short,
    // whose commands are killed); blocking work cannot hold the exit up.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("taskrunner: {error:#}");
            ExitCode::FAILURE
        }
    }
}
