//! The runner facing a misbehaving service: an impostor endpoint answers
//! PollForTask with truncated and garbage bodies, bodies that violate the
//! model (no taskId, no pipelineId, 10,000 fields, 5 MB, invalid UTF-8), a
//! wrong content type, a slow-loris body and a reset connection. The real
//! `aws_sdk_datapipeline::Client` and the real `Runner` face it.
//!
//! What must hold: no panic; each bad answer is a classified error with a
//! message that says what was wrong; the poller backs off instead of
//! looping; a slow-loris poll times out and polling goes on; and no task is
//! lost: a good task after bad answers runs and is reported, and a task
//! that arrives malformed but with a taskId is acknowledged and reported
//! FAILED with a clear errorId.

use crate::misbehaving;
use crate::support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_datapipeline::config::retry::RetryConfig;
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::sdk_config;
use misbehaving::{task_json, Answer, Impostor};
use parking_lot::Mutex;
use serde_json::{json, Value};
use support::{fast_backoff, fast_lease, wait_until, Running};
use taskrunner::poll::Backoff;
use taskrunner::service::CallBudget;
use taskrunner::{Outcome, Runner, RunnerBuilder, TaskContext};
use taskrunner_api::{
    ErrorClass, PollRequest, SdkTaskService, TaskService, MALFORMED_TASK_ERROR_ID,
};

/// A client for the impostor that makes one attempt per call, so that the
/// runner's own backoff, not the SDK's retries, is what the tests see.
fn client_for(impostor: &Impostor) -> Client {
    Client::from_conf(
        sdk_config(&impostor.endpoint_url())
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build(),
    )
}

/// The client as a task service whose polls give up after `attempt`.
fn service_for(impostor: &Impostor, attempt: Duration) -> SdkTaskService {
    SdkTaskService::new(client_for(impostor)).poll_timeouts(attempt, attempt * 2)
}

/// The misbehaving answers, each with a name for the messages.
fn bad_answers() -> Vec<(&'static str, Answer)> {
    let mut invalid_utf8 = task_json("t-utf8", "@A_Attempt=1", vec![])
        .to_string()
        .into_bytes();
    let at = invalid_utf8
        .windows(10)
        .position(|window| window == b"Impostor\"," || window == b"\"Impostor\"")
        .expect("the name is in the body");
    invalid_utf8[at + 2] = 0xff;
    vec![
        (
            "truncated JSON",
            Answer::Body(br#"{"taskObject": {"taskId": "t-1", "pipel"#.to_vec()),
        ),
        (
            "garbage bytes",
            Answer::Body(vec![0x00, 0xff, 0xfe, b'<', 0x80, b'{', 0x13]),
        ),
        ("a JSON array", Answer::json(&json!([1, 2, 3]))),
        (
            "fields of the wrong type",
            Answer::json(
                &json!({"taskObject": {"taskId": "t-2", "objects": {"A": {"id": "A", "name": "A", "fields": 7}}}}),
            ),
        ),
        ("invalid UTF-8 in a string", Answer::Body(invalid_utf8)),
        (
            "a task without a taskId",
            Answer::json(
                &json!({"taskObject": {"pipelineId": "df-1", "attemptId": "@A", "objects": {}}}),
            ),
        ),
        (
            "an HTML page",
            Answer::Raw {
                status: 200,
                content_type: "text/html",
                body: b"<html><body>Service Unavailable</body></html>".to_vec(),
            },
        ),
        (
            "a 502 from a proxy",
            Answer::Raw {
                status: 502,
                content_type: "text/html",
                body: b"<html>Bad Gateway</html>".to_vec(),
            },
        ),
        (
            "a body cut short",
            Answer::ShortBody(
                task_json("t-3", "@A_Attempt=1", vec![])
                    .to_string()
                    .into_bytes(),
            ),
        ),
        (
            "a reset connection",
            Answer::Reset(
                task_json("t-4", "@A_Attempt=1", vec![])
                    .to_string()
                    .into_bytes(),
            ),
        ),
    ]
}

/// The errorId of the SetTaskStatus calls the impostor received for
/// `task_id`, with the status.
fn statuses_for(impostor: &Impostor, task_id: &str) -> Vec<(String, String)> {
    impostor
        .requests_for("SetTaskStatus")
        .into_iter()
        .filter(|request| request.body["taskId"] == task_id)
        .map(|request| {
            (
                request.body["taskStatus"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                request.body["errorId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// Whether the impostor received a ReportTaskProgress for `task_id`.
fn acknowledged(impostor: &Impostor, task_id: &str) -> bool {
    impostor
        .requests_for("ReportTaskProgress")
        .iter()
        .any(|request| request.body["taskId"] == task_id)
}

/// A runner on the impostor that runs ShellCommandActivity tasks by
/// finishing them, counting the attempt object's fields in `seen`.
fn runner_on(
    service: SdkTaskService,
    backoff: Backoff,
    seen: Arc<Mutex<Vec<(String, usize)>>>,
) -> Runner {
    RunnerBuilder::new(service)
        .worker_group("impostor")
        .lease_config(fast_lease())
        .budget(CallBudget::unlimited())
        .backoff(backoff)
        .cancel_grace(Duration::from_secs(1))
        .drain_timeout(Duration::from_secs(5))
        .scratch_root(std::env::temp_dir().join("taskrunner-tests"))
        .activity_for_type("ShellCommandActivity", move |context: TaskContext| {
            let seen = seen.clone();
            async move {
                let fields = context.attempt().map_or(0, |attempt| attempt.fields.len());
                seen.lock()
                    .push((context.task_id().as_str().to_owned(), fields));
            }
        })
        .build()
        .expect("the runner builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_answer_is_a_classified_error_with_a_clear_message() {
    let answers = bad_answers();
    let impostor =
        Impostor::start(answers.iter().map(|(_, answer)| answer.clone()).collect()).await;
    let service = service_for(&impostor, Duration::from_secs(10));
    for (name, _) in &answers {
        let result = tokio::time::timeout(
            Duration::from_secs(30),
            service.poll_for_task(&PollRequest::new("impostor")),
        )
        .await
        .unwrap_or_else(|_| panic!("{name}: the poll returns"));
        let error = match result {
            Err(error) => error,
            Ok(task) => panic!("{name}: accepted as {task:?}"),
        };
        // Every one of them is the service's fault, worth a retry after a
        // backoff, and none is the SDK's bare "unhandled error".
        assert_eq!(error.class(), ErrorClass::Transient, "{name}: {error}");
        let message = error.to_string();
        assert!(message.contains("PollForTask"), "{name}: {message}");
        assert!(!message.ends_with("unhandled error"), "{name}: {message}");
        assert!(message.len() > 40, "{name}: says little: {message}");
    }
    // The two tasks that could not be read but had a taskId were reported
    // FAILED rather than left to lapse.
    for task_id in ["t-2", "t-utf8"] {
        assert_eq!(
            statuses_for(&impostor, task_id),
            [("FAILED".to_owned(), MALFORMED_TASK_ERROR_ID.to_owned())],
            "{task_id}"
        );
    }
    let reported = impostor.requests_for("SetTaskStatus");
    assert_eq!(reported.len(), 2, "only those two: {reported:?}");
    let message = reported[0].body["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("could not read this task"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_task_is_lost_among_bad_answers() {
    let wide: Vec<Value> = (0..10_000)
        .map(|index| json!({"key": format!("myField{index}"), "stringValue": "v"}))
        .collect();
    let big = vec![json!({"key": "myPayload", "stringValue": "x".repeat(5 * 1024 * 1024)})];
    let bare = json!({"taskObject": {"taskId": "t-bare", "objects": {}}});
    let mut script: Vec<Answer> = bad_answers()
        .into_iter()
        .map(|(_, answer)| answer)
        .collect();
    script.extend([
        Answer::json(&task_json("t-good", "@Good_Attempt=1", vec![])),
        Answer::json(&task_json("t-wide", "@Wide_Attempt=1", wide)),
        Answer::json(&task_json("t-big", "@Big_Attempt=1", big)),
        Answer::json(&bare),
    ]);
    let impostor = Impostor::start(script).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let runner = runner_on(
        service_for(&impostor, Duration::from_secs(10)),
        fast_backoff(),
        seen.clone(),
    );
    let running = Running::start(runner);
    wait_until(
        "every usable task is reported",
        Duration::from_secs(60),
        || {
            let done = ["t-good", "t-wide", "t-big", "t-bare"]
                .iter()
                .all(|task_id| !statuses_for(&impostor, task_id).is_empty());
            async move { done }
        },
    )
    .await;
    let summary = running.stop().await;

    for task_id in ["t-good", "t-wide", "t-big"] {
        assert!(
            acknowledged(&impostor, task_id),
            "{task_id} is acknowledged"
        );
        assert_eq!(
            statuses_for(&impostor, task_id),
            [("FINISHED".to_owned(), String::new())],
            "{task_id}"
        );
    }
    // A task with a taskId but no attempt object is acknowledged and
    // reported FAILED, naming why, not dropped.
    assert!(acknowledged(&impostor, "t-bare"));
    assert_eq!(
        statuses_for(&impostor, "t-bare"),
        [("FAILED".to_owned(), "NoActivityForTask".to_owned())]
    );
    for task_id in ["t-2", "t-utf8"] {
        assert_eq!(
            statuses_for(&impostor, task_id),
            [("FAILED".to_owned(), MALFORMED_TASK_ERROR_ID.to_owned())],
            "{task_id}"
        );
    }
    let seen = seen.lock().clone();
    assert!(
        seen.contains(&("t-wide".to_owned(), 10_003)),
        "the activity sees all 10,000 fields: {seen:?}"
    );
    assert_eq!(summary.finished, 3, "{summary:?}");
    assert_eq!(summary.failed, 1, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_answering_garbage_is_polled_with_backoff_not_in_a_loop() {
    let impostor = Impostor::start(Vec::new()).await;
    impostor.set_idle(Answer::Body(b"\x00garbage".to_vec()));
    let backoff = Backoff {
        base: Duration::from_millis(100),
        throttled_base: Duration::from_millis(200),
        cap: Duration::from_secs(1),
    };
    let runner = runner_on(
        service_for(&impostor, Duration::from_secs(10)),
        backoff,
        Arc::default(),
    );
    let running = Running::start(runner);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let polls = impostor.requests_for("PollForTask").len();
    // The first delays are at most 100, 200, 400, 800 ms, then 1 s: two
    // poll loops make at most about 2 × 8 polls in 3 s. A loop without
    // backoff would make thousands against a local socket.
    assert!(polls >= 2, "the runner keeps polling: {polls}");
    assert!(polls <= 40, "the runner backs off: {polls} polls in 3 s");
    // And when the service recovers, work flows again.
    impostor.push([Answer::json(&task_json(
        "t-recovered",
        "@R_Attempt=1",
        vec![],
    ))]);
    wait_until(
        "the task after the outage is reported",
        Duration::from_secs(20),
        || {
            let done = !statuses_for(&impostor, "t-recovered").is_empty();
            async move { done }
        },
    )
    .await;
    let summary = running.stop().await;
    assert_eq!(summary.finished, 1, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_loris_poll_times_out_and_polling_goes_on() {
    let trickled = task_json("t-loris", "@Loris_Attempt=1", vec![])
        .to_string()
        .into_bytes();
    let impostor = Impostor::start(vec![
        Answer::SlowLoris {
            body: trickled,
            interval: Duration::from_millis(200),
        },
        Answer::json(&task_json("t-after", "@After_Attempt=1", vec![])),
    ])
    .await;
    let runner = RunnerBuilder::new(service_for(&impostor, Duration::from_secs(1)))
        .worker_group("impostor")
        .pollers(1)
        .concurrency(1)
        .lease_config(fast_lease())
        .budget(CallBudget::unlimited())
        .backoff(fast_backoff())
        .scratch_root(std::env::temp_dir().join("taskrunner-tests"))
        .activity_for_type("ShellCommandActivity", |_context: TaskContext| async {
            Outcome::Finished
        })
        .build()
        .expect("the runner builds");
    let running = Running::start(runner);
    wait_until(
        "the task after the slow answer is reported",
        Duration::from_secs(20),
        || {
            let done = !statuses_for(&impostor, "t-after").is_empty();
            async move { done }
        },
    )
    .await;
    let summary = running.stop().await;
    assert_eq!(
        statuses_for(&impostor, "t-after"),
        [("FINISHED".to_owned(), String::new())]
    );
    // The trickled task was never read, so never acknowledged; the service
    // gives it to another runner after its acknowledgement deadline.
    assert!(!acknowledged(&impostor, "t-loris"));
    assert_eq!(summary.finished, 1, "{summary:?}");
}
