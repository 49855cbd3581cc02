//! The `aws_sdk_datapipeline::Client` implementation of `TaskService`,
//! driven over real HTTP against a scripted server on 127.0.0.1:0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_datapipeline::config::retry::RetryConfig;
use aws_sdk_datapipeline::config::timeout::TimeoutConfig;
use aws_sdk_datapipeline::config::{BehaviorVersion, Credentials, Region};
use taskrunner_api::{
    ErrorClass, Field, HeartbeatRequest, LeaseGone, PollRequest, SdkTaskService, StatusReport,
    TaskId, TaskService,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A scripted answer: status, body, and a delay before answering.
#[derive(Clone)]
struct Answer {
    status: u16,
    body: String,
    delay: Duration,
}

fn ok(body: &str) -> Answer {
    Answer {
        status: 200,
        body: body.to_owned(),
        delay: Duration::ZERO,
    }
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        body: format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        delay: Duration::ZERO,
    }
}

type Script = Arc<dyn Fn(&str) -> Answer + Send + Sync>;

/// Requests seen: (X-Amz-Target operation, body).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn serve(script: Script) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let recorded = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, Arc::clone(&script), Arc::clone(&recorded)));
        }
    });
    (url, seen)
}

async fn answer(mut stream: TcpStream, script: Script, seen: Seen) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let (head_len, content_length) = loop {
        let Ok(read) = stream.read(&mut chunk).await else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buffer.len() < head_len + content_length {
        let Ok(read) = stream.read(&mut chunk).await else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let head = String::from_utf8_lossy(&buffer[..head_len]).to_string();
    let operation = head
        .lines()
        .find_map(|line| {
            let lower = line.to_ascii_lowercase();
            lower.starts_with("x-amz-target:").then(|| {
                line["x-amz-target:".len()..]
                    .trim()
                    .trim_start_matches("DataPipeline.")
                    .to_owned()
            })
        })
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&buffer[head_len..head_len + content_length]).to_string();
    seen.lock().expect("lock").push((operation.clone(), body));
    let answer = script(&operation);
    tokio::time::sleep(answer.delay).await;
    let response = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        answer.status,
        answer.body.len(),
        answer.body
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn client(url: &str, timeouts: TimeoutConfig) -> Arc<dyn TaskService> {
    let config = aws_sdk_datapipeline::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts)
        .build();
    Arc::new(SdkTaskService::new(
        aws_sdk_datapipeline::Client::from_conf(config),
    ))
}

async fn scripted(
    script: impl Fn(&str) -> Answer + Send + Sync + 'static,
) -> (Arc<dyn TaskService>, Seen) {
    let (url, seen) = serve(Arc::new(script)).await;
    (client(&url, TimeoutConfig::builder().build()), seen)
}

const TASK: &str = r#"{"taskObject":{"taskId":"opaque-token","pipelineId":"df-1","attemptId":"@A_Attempt=1",
  "objects":{"@A_Attempt=1":{"id":"@A_Attempt=1","name":"A","fields":[
    {"key":"type","stringValue":"ShellCommandActivity"},
    {"key":"scriptArgument","stringValue":"a"},{"key":"scriptArgument","stringValue":"b"},
    {"key":"input","refValue":"In"}]}}}}"#;

#[tokio::test]
async fn poll_converts_the_task_and_sends_the_request() {
    let (service, seen) = scripted(|_| ok(TASK)).await;
    let mut request = PollRequest::new("workers");
    request.hostname = Some("host-1".into());
    let task = service
        .poll_for_task(&request)
        .await
        .expect("polls")
        .expect("a task");
    assert_eq!(task.task_id, TaskId::new("opaque-token"));
    let attempt = task.attempt().expect("attempt");
    assert_eq!(
        attempt.values("scriptArgument").collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(attempt.fields[3], Field::reference("input", "In"));
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen[0].0, "PollForTask");
    assert!(
        seen[0].1.contains(r#""workerGroup":"workers""#),
        "{}",
        seen[0].1
    );
    assert!(
        seen[0].1.contains(r#""hostname":"host-1""#),
        "{}",
        seen[0].1
    );
}

#[tokio::test]
async fn empty_poll_is_none() {
    let (service, _) = scripted(|_| ok("{}")).await;
    assert!(service
        .poll_for_task(&PollRequest::new("w"))
        .await
        .expect("polls")
        .is_none());
}

#[tokio::test]
async fn errors_are_classified() {
    let (service, _) = scripted(|operation| match operation {
        "ReportTaskProgress" => error(
            400,
            "com.amazonaws.datapipeline#PipelineDeletedException",
            "deleted",
        ),
        "SetTaskStatus" => error(400, "ThrottlingException", "rate exceeded"),
        "ReportTaskRunnerHeartbeat" => error(500, "InternalServiceError", "oops"),
        _ => error(400, "InvalidRequestException", "bad worker group"),
    })
    .await;
    let id = TaskId::new("t");
    let progress = service
        .report_task_progress(&id, &[])
        .await
        .expect_err("deleted");
    assert_eq!(
        progress.class(),
        ErrorClass::LeaseGone(LeaseGone::PipelineDeleted)
    );
    assert_eq!(progress.code(), Some("PipelineDeletedException"));
    assert!(!progress.is_retryable());

    let status = service
        .set_task_status(&id, &StatusReport::finished())
        .await
        .expect_err("throttled");
    assert_eq!(status.class(), ErrorClass::Throttled);
    assert!(status.is_retryable());

    let heartbeat = service
        .report_task_runner_heartbeat(&HeartbeatRequest::new("runner-1"))
        .await
        .expect_err("500");
    assert_eq!(heartbeat.class(), ErrorClass::Transient);

    let poll = service
        .poll_for_task(&PollRequest::new("w"))
        .await
        .expect_err("invalid");
    assert_eq!(poll.class(), ErrorClass::InvalidRequest);
    assert_eq!(
        poll.to_string(),
        "PollForTask failed (InvalidRequestException): bad worker group"
    );
}

#[tokio::test]
async fn progress_heartbeat_and_status_bodies() {
    let (service, seen) = scripted(|operation| match operation {
        "ReportTaskProgress" => ok(r#"{"canceled":true}"#),
        "ReportTaskRunnerHeartbeat" => ok(r#"{"terminate":true}"#),
        _ => ok("{}"),
    })
    .await;
    let id = TaskId::new("opaque-token");
    let response = service
        .report_task_progress(&id, &[Field::string("myRows", "5")])
        .await
        .expect("reports");
    assert!(response.canceled);
    let heartbeat = service
        .report_task_runner_heartbeat(&HeartbeatRequest::new("runner-1"))
        .await
        .expect("beats");
    assert!(heartbeat.terminate);
    let report = StatusReport::failed("Service_Bad", "line\u{1}one").with_stack_trace("trace");
    service.set_task_status(&id, &report).await.expect("sets");

    let seen = seen.lock().expect("lock").clone();
    assert!(seen[0].1.contains(r#""taskId":"opaque-token""#));
    assert!(
        seen[0].1.contains(r#"{"key":"myRows","stringValue":"5"}"#),
        "{}",
        seen[0].1
    );
    let status = &seen[2].1;
    assert!(status.contains(r#""taskStatus":"FAILED""#), "{status}");
    assert!(
        status.contains(r#""errorId":"Activity_Service_Bad""#),
        "{status}"
    );
    assert!(status.contains(r#""errorMessage":"lineone""#), "{status}");
    assert!(status.contains(r#""errorStackTrace":"trace""#), "{status}");
}

#[tokio::test]
async fn poll_outlives_a_short_client_timeout_but_other_calls_do_not() {
    let slow = Duration::from_millis(600);
    let (url, _) = serve(Arc::new(move |operation: &str| Answer {
        delay: slow,
        ..if operation == "PollForTask" {
            ok("{}")
        } else {
            ok(r#"{"canceled":false}"#)
        }
    }))
    .await;
    let short = TimeoutConfig::builder()
        .read_timeout(Duration::from_millis(200))
        .operation_attempt_timeout(Duration::from_millis(200))
        .operation_timeout(Duration::from_millis(200))
        .build();
    let service = client(&url, short);
    let polled = service.poll_for_task(&PollRequest::new("w")).await;
    assert!(matches!(polled, Ok(None)), "{polled:?}");
    let progress = service
        .report_task_progress(&TaskId::new("t"), &[])
        .await
        .expect_err("times out");
    assert_eq!(progress.class(), ErrorClass::Transient, "{progress}");
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let service = client(&url, TimeoutConfig::builder().build());
    let error = service
        .poll_for_task(&PollRequest::new("w"))
        .await
        .expect_err("refused");
    assert_eq!(error.class(), ErrorClass::Transient, "{error}");
}
