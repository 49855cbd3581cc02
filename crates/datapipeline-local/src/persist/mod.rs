//! `--state PATH`: the service's state in a SQLite file, so that a restart,
//! a SIGKILL included, loses nothing a client was told.
//!
//! # The rule
//!
//! A response is sent only after the state change it reports is committed.
//! Every change happens in a critical section of the one `Mutex<State>`
//! (see [`crate::state`]); at the end of each one, still under the lock,
//! [`Store::save`] writes what it changed in one SQLite transaction, and
//! only then is the lock released and the answer sent. So the file's order
//! of commits is the order of the changes, a task popped by one poll is
//! committed before any other poll can look, and a SIGKILL at any moment
//! leaves the file as it was after some whole number of critical sections,
//! each answered or not yet answered. Timer events (lease expiries,
//! retries, schedules) are critical sections too and are committed the
//! same way.
//!
//! # What is written
//!
//! The state records its own changes as they happen, so that a write
//! touches only the rows that changed ([`crate::state::changes`]):
//! - pipelines and the instances and attempts of their runs are kept in
//!   maps that record every key changed (`Tracked`); one row per pipeline
//!   header, per instance and per attempt, as JSON. A header is written
//!   only when its text differs from the one the file has: most calls
//!   touch a pipeline without changing it. A pipeline's
//!   definitions (latest, active, components, parameters) are large and
//!   change only on PutPipelineDefinition and ActivatePipeline, which mark
//!   them; they have a row of their own.
//! - queues and timers keep a journal of entries pushed and popped, armed
//!   and fired; one row per queued entry and per armed timer, numbered so
//!   that a load restores their order.
//! - deleted ids, uniqueIds and the leases of deleted pipelines (written
//!   when a pipeline is created or deleted), the runners (when their
//!   heartbeat count changes), the audit counters (when they change), and
//!   the pipeline clock's anchor.
//!
//! The live-lease map (taskId → attempt) is not written: each attempt's
//! row holds its lease, and a load rebuilds the map from them. The lease
//! ledger is written as a journal of its events (`ledger.rs`), each in the
//! transaction of the change it came with, and replayed on load.
//!
//! # Time across a restart
//!
//! Deadlines and timers are tokio instants, which mean nothing to another
//! process; they are written as wall-clock milliseconds and turned back
//! into instants on load. Pipeline time goes on while the service is down,
//! at its `time_scale`, so schedules and retries due meanwhile fire at
//! once after a load. Live leases are neither lost nor expired by a
//! restart: each gets a full window from the load (its acknowledgement
//! timeout, or its `reportProgressTimeout` once acknowledged), as if its
//! holder had just reported, because the holder could not report while the
//! service was down. Its taskId stays valid, so its next
//! ReportTaskProgress or SetTaskStatus works.
//!
//! # Durability
//!
//! SQLite runs in WAL mode with `synchronous = NORMAL`: a commit is written
//! to the WAL file but not fsynced, which survives the service being killed
//! (the operating system has the data) but not a power cut. The file is
//! locked for one process at a time. A file that is not ours, from a newer
//! version, or damaged stops the service at start with a [`StateError`]
//! naming it; nothing is overwritten. A write that fails (disk full) makes
//! the request that caused it answer InternalFailure; the change stays
//! recorded and goes out with the next write that succeeds.

mod error;
mod ledger;
mod load;
mod meta;
mod records;
mod save;
mod schema;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use error::StateError;

use self::load::LoadFailure;
use self::meta::{runners_fingerprint, ClockRecord};
use self::values::WallClock;
use crate::config::{Limits, Timing};
use crate::state::{Audit, State};

type StoreResult<T> = Result<T, StateError>;

/// An open state file.
#[derive(Debug)]
pub(crate) struct Store {
    /// The file, for error messages.
    path: PathBuf,
    connection: Connection,
    /// The audit counters as last written: they are written again only
    /// when they differ.
    saved_audit: Audit,
    /// [`runners_fingerprint`] as last written.
    saved_runners: (usize, u64, usize),
    /// How many of the lease ledger's events are written.
    saved_ledger: usize,
    /// Each pipeline's header as the file has it, so that a call that
    /// touches a pipeline without changing its header writes nothing for
    /// it. Headers are a few hundred bytes.
    saved_headers: HashMap<String, String>,
}

impl Store {
    /// Opens or creates the state file at `path` and loads the state it
    /// holds (an empty state for a new file).
    ///
    /// # Errors
    /// A [`StateError`] naming the file when it cannot be opened, is not a
    /// state file, is of a newer version, or is damaged.
    pub(crate) fn open(
        path: &Path,
        timing: &Timing,
        limits: &Limits,
    ) -> StoreResult<(Self, State)> {
        let connection = schema::open(path)?;
        let wall = WallClock::now();
        let state =
            load::load(&connection, timing, limits, wall).map_err(|failure| match failure {
                LoadFailure::Sqlite(error) => error::reading(path, &error),
                LoadFailure::Row(reason) => StateError::Corrupt {
                    path: path.to_path_buf(),
                    reason,
                },
            })?;
        let mut store = Self {
            path: path.to_path_buf(),
            connection,
            saved_audit: state.audit,
            saved_runners: runners_fingerprint(&state),
            saved_ledger: state.ledger.log().len(),
            saved_headers: HashMap::new(),
        };
        // This life's pipeline clock starts where the last one's got to.
        let anchor = ClockRecord::new(&state.clock, wall, timing.time_scale);
        store.put_clock(&anchor)?;
        Ok((store, state))
    }

    fn put_clock(&mut self, anchor: &ClockRecord) -> StoreResult<()> {
        let body = serde_json::to_string(anchor).map_err(|error| self.writing(&error))?;
        self.connection
            .execute(
                "INSERT OR REPLACE INTO meta (key, body) VALUES ('clock', ?1)",
                [body],
            )
            .map_err(|error| self.writing(&error))?;
        Ok(())
    }

    fn writing(&self, error: &dyn std::fmt::Display) -> StateError {
        StateError::Write {
            path: self.path.clone(),
            reason: error.to_string(),
        }
    }
}
