//! Fuzzing the service's request handling: arbitrary bytes, arbitrary JSON
//! and structure-aware mutations of valid requests for all 19 operations.
//!
//! The bulk goes through the socket-free `RequestHarness` (the same
//! pipeline an HTTP request takes after hyper); a smaller sample goes over
//! HTTP to a real listener. The property: no panic, every answer is a
//! success with a JSON object body (or an empty one) or a modeled 400 error
//! with `__type` and `message`, never a 500, and the service still answers
//! afterwards.
//!
//! CI runs a few thousand cases; the long form is
//! `FUZZ_CASES=200000 cargo test --release -p datapipeline-local --test fuzz fuzz_requests`
//! (see docs/FUZZING.md).

use crate::fuzz_support;

use std::time::Duration;

use datapipeline_local::protocol::harness::{HarnessReply, RequestHarness};
use datapipeline_local::{start, Config, Limits, Operation, Timing};
use fuzz_support::{byte_damage, cases, config, damage, json_value, mutate, mutation};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{json, Value};

/// The member names of the model, so that mutations reach the handlers.
const MEMBERS: &[&str] = &[
    "pipelineId",
    "pipelineIds",
    "objectIds",
    "objectId",
    "taskId",
    "taskStatus",
    "workerGroup",
    "hostname",
    "instanceIdentity",
    "document",
    "signature",
    "name",
    "uniqueId",
    "description",
    "tags",
    "key",
    "value",
    "tagKeys",
    "pipelineObjects",
    "parameterObjects",
    "parameterValues",
    "attributes",
    "id",
    "fields",
    "stringValue",
    "refValue",
    "stringValue",
    "expression",
    "sphere",
    "query",
    "selectors",
    "fieldName",
    "operator",
    "type",
    "values",
    "limit",
    "marker",
    "evaluateExpressions",
    "version",
    "status",
    "errorId",
    "errorMessage",
    "errorStackTrace",
    "taskrunnerId",
    "startTimestamp",
    "type",
    "command",
    "schedule",
    "workerGroup",
    "dependsOn",
];

/// The modeled error types a 400 may carry.
const ERROR_TYPES: &[&str] = &[
    "InvalidRequestException",
    "PipelineNotFoundException",
    "PipelineDeletedException",
    "TaskNotFoundException",
    "SerializationException",
    "UnknownOperationException",
];

/// A definition with two activities, a precondition, a schedule-free
/// on-demand default and a parameter: enough for every operation to find
/// something.
fn pipeline_objects() -> Value {
    json!([
        {"id": "Default", "name": "Default", "fields": [
            {"key": "scheduleType", "stringValue": "ondemand"},
            {"key": "workerGroup", "stringValue": "fuzz"},
            {"key": "failureAndRerunMode", "stringValue": "CASCADE"}]},
        {"id": "Ready", "name": "Ready", "fields": [
            {"key": "type", "stringValue": "ShellCommandPrecondition"},
            {"key": "command", "stringValue": "true"}]},
        {"id": "A", "name": "A", "fields": [
            {"key": "type", "stringValue": "ShellCommandActivity"},
            {"key": "command", "stringValue": "echo #{myGreeting} #{@scheduledStartTime}"},
            {"key": "precondition", "refValue": "Ready"},
            {"key": "myGreeting", "stringValue": "hi #{@scheduledStartTime}"},
            {"key": "scriptArgument", "stringValue": "a"},
            {"key": "scriptArgument", "stringValue": "b"}]},
        {"id": "B", "name": "B", "fields": [
            {"key": "type", "stringValue": "ShellCommandActivity"},
            {"key": "command", "stringValue": "true"},
            {"key": "dependsOn", "refValue": "A"}]}
    ])
}

/// A valid request for every operation, naming real pipelines and a real
/// task of the service under test.
fn valid_requests(pipeline: &str, task_id: &str) -> Vec<(Operation, Value)> {
    let parameters = json!([{"id": "myGreeting", "attributes": [
        {"key": "type", "stringValue": "String"}, {"key": "default", "stringValue": "hi"}]}]);
    let values = json!([{"id": "myGreeting", "stringValue": "hello"}]);
    let requests = vec![
        (
            Operation::ActivatePipeline,
            json!({"pipelineId": pipeline, "startTimestamp": 1.7e9}),
        ),
        (
            Operation::AddTags,
            json!({"pipelineId": pipeline, "tags": [{"key": "k", "value": "v"}]}),
        ),
        (
            Operation::CreatePipeline,
            json!({"name": "fuzz", "uniqueId": "fuzz-unique", "description": "d", "tags": [{"key": "k", "value": "v"}]}),
        ),
        (
            Operation::DeactivatePipeline,
            json!({"pipelineId": pipeline, "cancelActive": true}),
        ),
        (Operation::DeletePipeline, json!({"pipelineId": pipeline})),
        (
            Operation::DescribeObjects,
            json!({"pipelineId": pipeline, "objectIds": ["A", "B", "Default"], "evaluateExpressions": true}),
        ),
        (
            Operation::DescribePipelines,
            json!({"pipelineIds": [pipeline]}),
        ),
        (
            Operation::EvaluateExpression,
            json!({"pipelineId": pipeline, "objectId": "A", "expression": "#{format(plusDays(@scheduledStartTime, 1), 'YYYY-MM-dd')} #{1 + 2 * 3}"}),
        ),
        (
            Operation::GetPipelineDefinition,
            json!({"pipelineId": pipeline, "version": "latest"}),
        ),
        (Operation::ListPipelines, json!({"marker": ""})),
        (
            Operation::PollForTask,
            json!({"workerGroup": "fuzz", "hostname": "host", "instanceIdentity": {"document": "d", "signature": "s"}}),
        ),
        (
            Operation::PutPipelineDefinition,
            json!({"pipelineId": pipeline, "pipelineObjects": pipeline_objects(), "parameterObjects": parameters, "parameterValues": values}),
        ),
        (
            Operation::QueryObjects,
            json!({"pipelineId": pipeline, "sphere": "INSTANCE", "limit": 10, "query": {"selectors": [{"fieldName": "@status", "operator": {"type": "EQ", "values": ["RUNNING"]}}]}}),
        ),
        (
            Operation::RemoveTags,
            json!({"pipelineId": pipeline, "tagKeys": ["k"]}),
        ),
        (
            Operation::ReportTaskProgress,
            json!({"taskId": task_id, "fields": [{"key": "progress", "stringValue": "1"}]}),
        ),
        (
            Operation::ReportTaskRunnerHeartbeat,
            json!({"taskrunnerId": "runner", "workerGroup": "fuzz", "hostname": "host"}),
        ),
        (
            Operation::SetStatus,
            json!({"pipelineId": pipeline, "objectIds": ["A"], "status": "PAUSE"}),
        ),
        (
            Operation::SetTaskStatus,
            json!({"taskId": task_id, "taskStatus": "FAILED", "errorId": "E", "errorMessage": "m", "errorStackTrace": "s"}),
        ),
        (
            Operation::ValidatePipelineDefinition,
            json!({"pipelineId": pipeline, "pipelineObjects": pipeline_objects(), "parameterObjects": parameters, "parameterValues": values}),
        ),
    ];
    assert_eq!(
        requests.len(),
        Operation::ALL.len(),
        "one request per operation"
    );
    requests
}

/// Service settings for fuzzing: polls answer at once, and the account
/// limits are high enough that thousands of CreatePipeline cases do not
/// turn every later case into a limit error.
fn fuzz_config() -> Config {
    Config {
        timing: Timing {
            long_poll_wait: Duration::ZERO,
            ..Timing::fast()
        },
        limits: Limits {
            pipelines: 1_000_000,
            ..Limits::default()
        },
        ..Config::default()
    }
}

/// The answer is a success with a JSON object (or empty) body, or a modeled
/// client error naming its type and carrying a message.
fn check_answer(operation: &str, status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    let value: Value = if body.is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(body).map_err(|error| {
            TestCaseError::fail(format!("{operation}: the answer is not JSON ({error})"))
        })?
    };
    prop_assert!(
        value.is_object(),
        "{operation}: the answer is not an object: {value}"
    );
    match status {
        200 => Ok(()),
        400 => {
            let code = value["__type"].as_str().unwrap_or_default();
            prop_assert!(
                ERROR_TYPES.contains(&code),
                "{operation}: unmodeled error {value}"
            );
            let message = value["message"].as_str().unwrap_or_default();
            prop_assert!(
                !message.is_empty(),
                "{operation}: an error without a message: {value}"
            );
            Ok(())
        }
        other => Err(TestCaseError::fail(format!(
            "{operation}: status {other}, expected 200 or a modeled 400: {value}"
        ))),
    }
}

/// Sends one request through the harness and checks the answer.
async fn exchange(
    harness: &RequestHarness,
    operation: &str,
    body: &[u8],
) -> Result<Value, TestCaseError> {
    match harness.handle(operation, body).await {
        HarnessReply::Respond { status, body } => {
            check_answer(operation, status, &body)?;
            Ok(if status == 200 && !body.is_empty() {
                serde_json::from_slice(&body).unwrap_or(Value::Null)
            } else {
                Value::Null
            })
        }
        HarnessReply::Drop => Err(TestCaseError::fail(format!(
            "{operation}: the connection was dropped without faults configured"
        ))),
    }
}

/// A pipeline that is defined and activated, and a task leased from it.
async fn seed(harness: &RequestHarness) -> (String, String) {
    let created = exchange(
        harness,
        "CreatePipeline",
        br#"{"name": "seed", "uniqueId": "seed"}"#,
    )
    .await
    .expect("create");
    let pipeline = created["pipelineId"]
        .as_str()
        .expect("a pipeline id")
        .to_owned();
    let put = json!({"pipelineId": pipeline, "pipelineObjects": pipeline_objects()});
    let put_answer = exchange(harness, "PutPipelineDefinition", put.to_string().as_bytes())
        .await
        .expect("put");
    assert_eq!(put_answer["errored"], false, "{put_answer}");
    let activate = json!({"pipelineId": pipeline});
    exchange(harness, "ActivatePipeline", activate.to_string().as_bytes())
        .await
        .expect("activate");
    let mut task_id = String::from("no-such-task");
    for _ in 0..50 {
        let polled = exchange(harness, "PollForTask", br#"{"workerGroup": "fuzz"}"#)
            .await
            .expect("poll");
        if let Some(id) = polled["taskObject"]["taskId"].as_str() {
            task_id = id.to_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (pipeline, task_id)
}

/// The body of one case: arbitrary bytes, arbitrary JSON, or a mutated
/// valid request.
#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Json(Value),
    Mutated(Vec<fuzz_support::Mutation>, fuzz_support::ByteDamage),
}

fn case() -> impl Strategy<Value = (usize, Body)> {
    let body = prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..256).prop_map(Body::Bytes),
        2 => json_value(MEMBERS).prop_map(Body::Json),
        6 => (proptest::collection::vec(mutation(MEMBERS), 1..4), byte_damage())
            .prop_map(|(mutations, damage)| Body::Mutated(mutations, damage)),
    ];
    (0..Operation::ALL.len() + 1, body)
}

/// The operation name and body bytes of a case; index `ALL.len()` is a
/// made-up operation name.
fn render(requests: &[(Operation, Value)], (index, body): &(usize, Body)) -> (String, Vec<u8>) {
    let (operation, template) = match requests.get(*index) {
        Some((operation, template)) => (operation.name().to_owned(), template.clone()),
        None => ("NoSuchOperation".to_owned(), json!({})),
    };
    let bytes = match body {
        Body::Bytes(bytes) => bytes.clone(),
        Body::Json(value) => value.to_string().into_bytes(),
        Body::Mutated(mutations, byte_damage) => damage(
            mutate(template, mutations).to_string().into_bytes(),
            byte_damage,
        ),
    };
    (operation, bytes)
}

#[test]
fn every_operation_survives_arbitrary_and_mutated_bodies() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let harness = runtime.block_on(async { RequestHarness::new(&fuzz_config()) });
    let (pipeline, task_id) = runtime.block_on(seed(&harness));
    assert_ne!(task_id, "no-such-task", "the seed pipeline delivers a task");
    let requests = valid_requests(&pipeline, &task_id);
    // Every valid request is accepted or refused for a modeled reason.
    for (operation, request) in &requests {
        runtime
            .block_on(exchange(
                &harness,
                operation.name(),
                request.to_string().as_bytes(),
            ))
            .unwrap_or_else(|error| panic!("{operation}: {error}"));
    }
    let mut runner = TestRunner::new(config(cases(5_000)));
    let result = runner.run(&case(), |case| {
        let (operation, body) = render(&requests, &case);
        runtime.block_on(exchange(&harness, &operation, &body))?;
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The service still answers, and still hands out work.
    let listed = runtime
        .block_on(exchange(&harness, "ListPipelines", b"{}"))
        .expect("ListPipelines after fuzzing");
    assert!(listed["pipelineIdList"].is_array(), "{listed}");
    let (_, fresh_task) = runtime.block_on(seed(&harness));
    assert_ne!(
        fresh_task, "no-such-task",
        "a new pipeline still delivers a task after fuzzing"
    );
}

#[test]
fn a_sample_over_http_gets_the_same_answers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let service = runtime
        .block_on(start(fuzz_config()))
        .expect("the service starts");
    let endpoint = service.endpoint_url();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    // The HTTP sample names a pipeline and a task that do not exist; the
    // harness suite covers live ones.
    let requests = valid_requests("df-0000000000NOSUCHID", "no-such-task");
    let mut runner = TestRunner::new(config(cases(5_000) / 10));
    let result = runner.run(&case(), |case| {
        let (operation, body) = render(&requests, &case);
        let (status, bytes) = runtime.block_on(async {
            let response = http
                .post(&endpoint)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amz-target", format!("DataPipeline.{operation}"))
                .body(body)
                .send()
                .await
                .map_err(|error| {
                    TestCaseError::fail(format!("{operation}: no answer ({error})"))
                })?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|error| TestCaseError::fail(format!("{operation}: no body ({error})")))?;
            Ok::<_, TestCaseError>((status, bytes))
        })?;
        check_answer(&operation, status, &bytes)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let (status, _) = runtime.block_on(async {
        let response = http
            .post(&endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "DataPipeline.ListPipelines")
            .body("{}")
            .send()
            .await
            .expect("the service still answers");
        (response.status().as_u16(), response.bytes().await)
    });
    assert_eq!(status, 200);
    runtime.block_on(service.shutdown());
}
