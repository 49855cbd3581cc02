//! What [`RunnerBuilder::build`] refuses, and whose settings a worker group
//! takes.

use taskrunner_activity::{Outcome, TaskContext};
use taskrunner_api::{
    async_trait, ApiError, Field, HeartbeatRequest, HeartbeatResponse, PollRequest,
    ProgressResponse, StatusReport, Task, TaskId,
};
use taskrunner_poller::PollerConfigError;

use super::*;

/// A service that is never called: `build` makes no calls.
struct Unused;

#[async_trait]
impl TaskService for Unused {
    async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
        unreachable!("build polls nothing")
    }
    async fn report_task_progress(
        &self,
        _: &TaskId,
        _: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        unreachable!("build reports nothing")
    }
    async fn report_task_runner_heartbeat(
        &self,
        _: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        unreachable!("build sends no heartbeat")
    }
    async fn set_task_status(&self, _: &TaskId, _: &StatusReport) -> Result<(), ApiError> {
        unreachable!("build sends no status")
    }
}

fn builder() -> RunnerBuilder {
    RunnerBuilder::new(Unused)
        .activity_for_type("ShellCommandActivity", |_ctx: TaskContext| async {
            Outcome::Finished
        })
}

#[test]
fn an_explicit_zero_concurrency_is_refused_naming_the_group() {
    let by_name = builder().worker_group("images").concurrency(0).build();
    assert!(
        matches!(&by_name, Err(BuildError::Poller(PollerConfigError::NoSlots(group))) if group == "images"),
        "{by_name:?}"
    );
    let configured = builder()
        .worker_group_config(PollerConfig {
            concurrency: 0,
            ..PollerConfig::new("reports")
        })
        .build();
    let error = configured.expect_err("zero slots");
    assert!(error.to_string().contains("'reports'"), "{error}");
}

#[test]
fn an_explicit_zero_of_pollers_is_refused_naming_the_group() {
    let error = builder()
        .worker_group("images")
        .pollers(0)
        .build()
        .expect_err("no pollers");
    assert!(
        matches!(&error, BuildError::Poller(PollerConfigError::NoPollers(group)) if group == "images"),
        "{error:?}"
    );
}

#[test]
fn a_group_added_by_name_takes_settings_given_after_it() {
    // The runner-wide setting is read at build, so the order of the calls
    // does not matter; the configured group keeps its own.
    let runner = builder()
        .worker_group("images")
        .worker_group_config(PollerConfig::new("reports"))
        .concurrency(7)
        .build()
        .expect("builds");
    let shown = format!("{runner:?}");
    assert!(shown.contains("concurrency: 7"), "{shown}");
    assert!(shown.contains("concurrency: 2"), "{shown}");
}

#[test]
fn the_same_group_twice_is_refused_however_it_was_added() {
    let error = builder()
        .worker_group("images")
        .worker_group_config(PollerConfig::new("images"))
        .build()
        .expect_err("duplicate");
    assert!(
        matches!(&error, BuildError::DuplicateWorkerGroup(group) if group == "images"),
        "{error:?}"
    );
}

#[test]
fn a_runner_needs_a_group_and_an_activity() {
    let no_group = builder().build().expect_err("no group");
    assert!(
        matches!(no_group, BuildError::NoWorkerGroup),
        "{no_group:?}"
    );
    let no_activity = RunnerBuilder::new(Unused)
        .worker_group("images")
        .build()
        .expect_err("no activity");
    assert!(
        matches!(no_activity, BuildError::NoActivity),
        "{no_activity:?}"
    );
}
