//! A local, wire-compatible AWS Data Pipeline service.
//!
//! `datapipeline-local` speaks the AWS JSON 1.1 protocol of Data Pipeline, so
//! the real `aws-sdk-datapipeline` client, boto3 and the AWS CLI talk to it
//! through an endpoint URL. It implements all 19 operations, the task-runner
//! calls included (PollForTask, ReportTaskProgress, ReportTaskRunnerHeartbeat,
//! SetTaskStatus), with the service's own rules: definitions are validated,
//! activations schedule instances and attempts, attempts wait in
//! per-worker-group queues, leases lapse without acknowledgement or progress
//! and come back under a new taskId. Every duration is configurable, so tests
//! compress minutes into milliseconds, and faults can be injected per
//! operation.
//!
//! It shares no code with the task-runner crates of this workspace, on
//! purpose: it must not share their assumptions.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use datapipeline_local::{start, Config, Timing};
//!
//! let service = start(Config { timing: Timing::fast(), ..Config::default() }).await?;
//! println!("point an SDK at {}", service.endpoint_url());
//! service.shutdown().await;
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod auth;
mod checks;
mod clock;
pub mod config;
mod console;
pub mod definition;
pub mod error;
pub mod expression;
pub mod faults;
pub mod model;
mod ops;
mod persist;
pub mod protocol;
mod scheduler;
mod server;
mod service;
mod state;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use config::{Config, Credentials, Limits, S3Access, Timing};
pub use error::ServiceError;
pub use faults::{Fault, FaultPlan, FaultRule, Trigger};
pub use ops::Operation;
pub use persist::StateError;
pub use server::{start, start_on, ServiceHandle, StartError};
pub use state::{Audit, LeaseEnd, LeaseRecord, Ledger, LedgerCounts, RunnerRecord};
