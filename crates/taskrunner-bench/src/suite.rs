//! What a benchmark suite is, and what every suite is given.
//!
//! A suite is a named unit of measurement that answers [`Figure`]s. Suites
//! run one after the other, never concurrently, because each one wants the
//! machine to itself; each builds whatever runtime or child processes it
//! needs and tears them down before it returns. Adding a suite means a
//! module under `suites/` with a type implementing [`Suite`] and one line in
//! [`crate::suites::available`].

use std::path::PathBuf;

use crate::report::Figure;

/// The options a run gives every suite. A suite ignores those that do not
/// apply to it.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// A short run for CI smoke tests: a tenth of the work, same shape.
    pub(crate) quick: bool,
    /// How many concurrent clients drive a service.
    pub(crate) clients: usize,
    /// Overrides the number of tasks a suite queues.
    pub(crate) tasks: Option<usize>,
    /// Run this `datapipeline-local` binary as the service instead of the
    /// bench's own embedded copy.
    pub(crate) service_binary: Option<PathBuf>,
    /// Skip the measurements that take the SDK out of the loop.
    pub(crate) skip_raw: bool,
    /// The `taskrunner` binary to measure instead of the one next to the
    /// bench executable.
    pub(crate) taskrunner_binary: Option<PathBuf>,
}

impl Options {
    /// How many tasks (or leases) a suite works on: `--tasks` when given,
    /// else `quick` or `full` as `--quick` says.
    ///
    /// # Errors
    /// `--tasks 0`.
    pub(crate) fn tasks_or(&self, quick: usize, full: usize) -> anyhow::Result<usize> {
        let tasks = self.tasks.unwrap_or(if self.quick { quick } else { full });
        anyhow::ensure!(tasks > 0, "--tasks must be at least 1");
        Ok(tasks)
    }
}

/// What a suite measured.
#[derive(Debug, Default)]
pub(crate) struct SuiteReport {
    /// The figures, in the order they should be printed.
    pub(crate) figures: Vec<Figure>,
    /// What a reader must know to read the figures right (caveats, the
    /// shape of the work), printed under the table.
    pub(crate) notes: Vec<String>,
}

/// A benchmark suite.
///
/// # Contract
/// `run` does the whole measurement synchronously: it may build a tokio
/// runtime, start child processes and bind ports, and must stop all of them
/// before it returns, on success and on error alike (guards that end them
/// on drop do this). It must not print to stdout, which holds the table;
/// progress goes to stderr.
///
/// # Errors
/// An error means the suite could not measure (the service did not start,
/// a call failed, the work did not complete), not that a figure missed its
/// target: a missed target is a figure whose verdict is a failure.
pub(crate) trait Suite {
    /// The name the command line selects the suite by, e.g. `local-service`.
    fn name(&self) -> &'static str;

    /// One line on what the suite measures, for `--help`.
    fn summary(&self) -> &'static str;

    /// Runs the suite.
    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport>;
}
