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

mod activities;
mod cli;
mod credentials_file;
mod ec2;
mod local;
mod log_files;
mod logging;
mod metrics_server;
mod run;
mod signals;
mod view;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `local` draws its own view on standard output; only warnings belong
    // beside it.
    let default_level = if cli.command.is_some() {
        "warn"
    } else {
        "info"
    };
    let _guard = match logging::install(
        cli.logging.format,
        cli.logging.output.as_deref(),
        default_level,
    ) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("taskrunner: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("taskrunner: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if let Some(directory) = &cli.logging.output {
            log_files::spawn_compressor(directory.clone());
        }
        match cli.command {
            Some(Command::Local(arguments)) => local::run(arguments).await,
            None => run::run(cli.run).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("taskrunner: {error:#}");
            ExitCode::FAILURE
        }
    }
}
