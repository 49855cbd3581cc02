//! The engine of an AWS Data Pipeline task runner.
//!
//! A [`Runner`] wires its sibling crates together and runs every polled task
//! from its acknowledgement to its SetTaskStatus:
//!
//! - `taskrunner-poller` polls each worker group, holding a slot per task;
//! - `taskrunner-lease` acknowledges the task at once and keeps its lease
//!   alive while it runs, and says whether a status may still be sent;
//! - `taskrunner-activity` routes the task to the activity registered for its
//!   `type` or for a `my…` field, and runs it as a tower service;
//! - this crate runs the handler with its attempt timeout and cancel grace,
//!   checks a precondition again every `retryDelay` while it answers FALSE,
//!   sends the status (sanitised, budgeted, retried on transient errors, never
//!   for a lease no longer held), counts what happened ([`RunSummary`]), and
//!   shuts down gracefully.
//!
//! Users reach it through the `taskrunner` facade, which re-exports
//! [`Runner`], [`RunnerBuilder`] and the rest; see that crate for an example.
//!
//! # Memory
//!
//! Each task is one flat future (`execute.rs`): nested `async fn`s that
//! take the task or the lease by value would keep a copy of them at every
//! level for as long as the handler runs, and a runner may hold thousands of
//! leases (docs/ARCHITECTURE.md, "Reporting many leases on a small budget").

mod builder;
mod error;
mod execute;
mod precondition;
mod runner;
mod status;
mod summary;
mod workers;

pub use builder::RunnerBuilder;
pub use error::BuildError;
pub use precondition::DEFAULT_PRECONDITION_RETRY_DELAY;
pub use runner::Runner;
pub use summary::RunSummary;
