//! The runner-wide attempt timeout, on paused tokio time: it applies to
//! tasks without an `attemptTimeout` of their own, gives the handler the
//! cancel grace, and gives way to a task's own `attemptTimeout`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use taskrunner_activity::{Cancelled, TaskContext, ATTEMPT_TIMEOUT_ERROR_ID};
use taskrunner_api::{
    ApiError, CallBudget, Field, HeartbeatRequest, HeartbeatResponse, PollRequest,
    ProgressResponse, StatusReport, Task, TaskId, TaskObject, TaskService, TaskStatus,
};
use taskrunner_engine::RunnerBuilder;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// An in-process service: hands out its tasks once, accepts every report,
/// records each status with the (paused) time it arrived.
#[derive(Default)]
struct InProcess {
    tasks: Mutex<Vec<Task>>,
    statuses: Mutex<Vec<(Instant, StatusReport)>>,
}

#[async_trait]
impl TaskService for InProcess {
    async fn poll_for_task(&self, _request: &PollRequest) -> Result<Option<Task>, ApiError> {
        let task = self.tasks.lock().pop();
        if task.is_none() {
            // A short empty long poll, so shutdown does not wait long.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(task)
    }

    async fn report_task_progress(
        &self,
        _task_id: &TaskId,
        _fields: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        Ok(ProgressResponse::default())
    }

    async fn report_task_runner_heartbeat(
        &self,
        _request: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        Ok(HeartbeatResponse::default())
    }

    async fn set_task_status(
        &self,
        _task_id: &TaskId,
        report: &StatusReport,
    ) -> Result<(), ApiError> {
        self.statuses.lock().push((Instant::now(), report.clone()));
        Ok(())
    }
}

/// A service with one task whose attempt object has these extra fields.
fn service_with_task(fields: &[(&str, &str)]) -> Arc<InProcess> {
    let mut attempt = TaskObject::new("@Slow_Attempt=1", "Slow")
        .with_field(Field::string("type", "ShellCommandActivity"));
    for (key, value) in fields {
        attempt = attempt.with_field(Field::string(*key, *value));
    }
    let service = Arc::new(InProcess::default());
    service
        .tasks
        .lock()
        .push(Task::new("opaque", "df-PAUSED", "@Slow_Attempt=1").with_object(attempt));
    service
}

/// Runs a runner for `service` with `handler`, a 90 s runner-wide attempt
/// timeout and a 10 s cancel grace, until the service has a status; answers
/// it and when it came, counted from the start.
async fn run_until_status(
    service: Arc<InProcess>,
    builder: impl FnOnce(RunnerBuilder) -> RunnerBuilder,
) -> (Duration, StatusReport) {
    let runner = builder(
        RunnerBuilder::new(service.clone())
            .worker_group("paused")
            .budget(CallBudget::unlimited())
            .attempt_timeout(Duration::from_secs(90))
            .cancel_grace(Duration::from_secs(10)),
    )
    .build()
    .expect("the runner builds");
    let started = Instant::now();
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run_until(stop.clone().cancelled_owned()));
    let status = loop {
        if let Some(status) = service.statuses.lock().first().cloned() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no status within 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    stop.cancel();
    running.await.expect("the runner stops");
    (status.0 - started, status.1)
}

/// A handler that stops as soon as its token trips.
async fn stops_when_told(ctx: TaskContext) -> Result<(), Cancelled> {
    Err(Cancelled::new(ctx.cancelled().await))
}

fn assert_timed_out(status: &StatusReport) {
    assert_eq!(status.status, TaskStatus::Failed, "{status:?}");
    assert_eq!(
        status.error_id.as_deref(),
        Some(ATTEMPT_TIMEOUT_ERROR_ID),
        "{status:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_runner_s_attempt_timeout_applies_to_a_task_without_its_own() {
    let service = service_with_task(&[]);
    let (after, status) = run_until_status(service, |builder| {
        builder.activity_for_type("ShellCommandActivity", stops_when_told)
    })
    .await;
    assert_timed_out(&status);
    assert!(
        status
            .error_message
            .as_deref()
            .is_some_and(|message| message.contains("runner's attempt timeout")),
        "{status:?}"
    );
    assert!(
        after >= Duration::from_secs(90) && after < Duration::from_secs(92),
        "{after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_task_s_own_attempt_timeout_wins() {
    let service = service_with_task(&[("attemptTimeout", "2 minutes")]);
    let (after, status) = run_until_status(service, |builder| {
        builder.activity_for_type("ShellCommandActivity", stops_when_told)
    })
    .await;
    assert_timed_out(&status);
    assert!(
        status
            .error_message
            .as_deref()
            .is_some_and(|message| message.contains("attemptTimeout of 2 minutes")),
        "{status:?}"
    );
    assert!(
        after >= Duration::from_secs(120) && after < Duration::from_secs(122),
        "{after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_handler_gets_the_cancel_grace_to_finish_its_step() {
    // The handler sees its token trip, takes 5 s to clean up (inside the
    // 10 s grace), and only then returns: the status waits for it.
    let service = service_with_task(&[]);
    let cleaned_up = Arc::new(Mutex::new(None));
    let noted = Arc::clone(&cleaned_up);
    let (after, status) = run_until_status(service, move |builder| {
        builder.activity_for_type("ShellCommandActivity", move |ctx: TaskContext| {
            let noted = Arc::clone(&noted);
            async move {
                let reason = ctx.cancelled().await;
                tokio::time::sleep(Duration::from_secs(5)).await;
                *noted.lock() = Some(Instant::now());
                Err::<(), _>(Cancelled::new(reason))
            }
        })
    })
    .await;
    assert_timed_out(&status);
    assert!(cleaned_up.lock().is_some(), "the clean-up ran to its end");
    assert!(
        after >= Duration::from_secs(95) && after < Duration::from_secs(97),
        "{after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_ignores_its_token_is_abandoned_after_the_grace() {
    let service = service_with_task(&[]);
    let (after, status) = run_until_status(service, |builder| {
        builder.activity_for_type("ShellCommandActivity", |_ctx: TaskContext| async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        })
    })
    .await;
    assert_timed_out(&status);
    assert!(
        after >= Duration::from_secs(100) && after < Duration::from_secs(102),
        "{after:?}"
    );
}
