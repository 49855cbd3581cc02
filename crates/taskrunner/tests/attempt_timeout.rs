//! `attemptTimeout`: the attempt is stopped and the handler's token trips.
//!
//! End to end, the service enforces it first (it counts from the poll, and
//! reads the pipeline's durations on its compressed clock): the attempt is
//! TIMEDOUT, the holder's next report answers `canceled: true`, and the
//! runner sends no status. The runner's own timer (FAILED AttemptTimeout) is
//! tested against an in-process service with paused time, since the local
//! service only accepts minutes. So are the runner-wide attempt timeout
//! (`RunnerBuilder::attempt_timeout`) for tasks without one of their own,
//! and the cancel grace a timed-out handler gets.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use support::*;
use taskrunner::activity::{Handler, ATTEMPT_TIMEOUT_ERROR_ID};
use taskrunner::service::{
    async_trait, ApiError, CallBudget, HeartbeatRequest, HeartbeatResponse, PollRequest,
    ProgressResponse, TaskService,
};
use taskrunner::task::{Field, StatusReport, Task, TaskId, TaskObject, TaskStatus};
use taskrunner::{CancelReason, Cancelled, RunnerBuilder, TaskContext};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A handler that waits for its token and reports why it tripped.
fn wait_for_cancellation(
    reasons: mpsc::UnboundedSender<Option<CancelReason>>,
) -> impl Handler<fn(TaskContext)> {
    move |ctx: TaskContext| {
        let reasons = reasons.clone();
        async move {
            let reason = ctx.cancelled().await;
            let _ = reasons.send(Some(reason));
            Err::<(), _>(Cancelled::new(reason))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_times_the_attempt_out_and_the_runner_stops_it_silently() {
    let Bench { service, client } = bench().await;
    // 10 pipeline minutes are 1 s on the service's clock (time scale 600).
    let pipeline = submit(
        &client,
        "slow",
        vec![
            on_demand_default("slow"),
            activity(
                "Slow",
                vec![
                    string("myActivity", "slow"),
                    string("attemptTimeout", "10 minutes"),
                    string("maximumRetries", "0"),
                ],
            ),
        ],
    )
    .await;
    let (reasons_tx, mut reasons_rx) = mpsc::unbounded_channel();
    let running = Running::start(
        runner_for(&client, "slow")
            .activity_for_field("myActivity", "slow", wait_for_cancellation(reasons_tx))
            .build()
            .unwrap(),
    );

    let status = wait_for_status(
        &client,
        &pipeline,
        "Slow",
        &["TIMEDOUT", "FAILED", "FINISHED"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status, "TIMEDOUT");
    assert_eq!(
        attempt_field(&client, &pipeline, "Slow", "@status")
            .await
            .as_deref(),
        Some("TIMEDOUT")
    );
    assert_eq!(
        attempt_field(&client, &pipeline, "Slow", "errorId")
            .await
            .as_deref(),
        Some(ATTEMPT_TIMEOUT_ERROR_ID)
    );
    let reason = tokio::time::timeout(Duration::from_secs(5), reasons_rx.recv())
        .await
        .expect("the handler's token trips");
    assert_eq!(reason, Some(Some(CancelReason::CanceledByService)));

    let summary = running.stop().await;
    assert_eq!(
        (summary.canceled, summary.failed, summary.finished),
        (1, 0, 0),
        "{summary:?}"
    );
    let audit = service.audit();
    assert_eq!(
        (
            audit.statuses_accepted,
            audit.statuses_after_cancel,
            audit.stale_statuses
        ),
        (0, 0, 0),
        "{audit:?}"
    );
    service.shutdown().await;
}

/// An in-process service: hands out its tasks once, accepts every report,
/// records the statuses.
#[derive(Default)]
struct InProcess {
    tasks: Mutex<Vec<Task>>,
    /// Each status with the (paused) time it arrived.
    statuses: Mutex<Vec<(Instant, StatusReport)>>,
}

#[async_trait]
impl TaskService for InProcess {
    async fn poll_for_task(&self, _request: &PollRequest) -> Result<Option<Task>, ApiError> {
        let task = self.tasks.lock().pop();
        if task.is_none() {
            // An empty (short) long poll: shutdown waits for polls in flight.
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

#[tokio::test(start_paused = true)]
async fn the_runner_enforces_attempt_timeout_itself() {
    let attempt = TaskObject::new("@Slow_Attempt=1", "Slow")
        .with_field(Field::string("type", "ShellCommandActivity"))
        .with_field(Field::string("attemptTimeout", "2 minutes"));
    let service = Arc::new(InProcess::default());
    service
        .tasks
        .lock()
        .push(Task::new("opaque", "df-PAUSED", "@Slow_Attempt=1").with_object(attempt));
    let (reasons_tx, mut reasons_rx) = mpsc::unbounded_channel();
    let runner = RunnerBuilder::new(service.clone())
        .worker_group("paused")
        .budget(CallBudget::unlimited())
        .activity_for_type("ShellCommandActivity", wait_for_cancellation(reasons_tx))
        .build()
        .unwrap();
    let running = Running::start(runner);
    let started = Instant::now();

    let reason = reasons_rx.recv().await.expect("the handler's token trips");
    assert_eq!(reason, Some(CancelReason::Timeout));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(120) && elapsed < Duration::from_secs(125),
        "after the attemptTimeout: {elapsed:?}"
    );
    wait_until("the status is sent", Duration::from_secs(60), || async {
        !service.statuses.lock().is_empty()
    })
    .await;
    let summary = running.stop().await;

    let statuses: Vec<StatusReport> = service
        .statuses
        .lock()
        .iter()
        .map(|(_, status)| status.clone())
        .collect();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(statuses[0].status, TaskStatus::Failed);
    assert_eq!(
        statuses[0].error_id.as_deref(),
        Some(ATTEMPT_TIMEOUT_ERROR_ID)
    );
    assert!(
        statuses[0]
            .error_message
            .as_deref()
            .unwrap_or_default()
            .contains("2 minutes"),
        "{statuses:?}"
    );
    assert_eq!(summary.failed, 1, "{summary:?}");
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
