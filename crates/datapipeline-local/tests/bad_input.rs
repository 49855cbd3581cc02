//! Bad input over raw HTTP, as the SDK would never send it: missing members,
//! limits exceeded by one, malformed and mistyped JSON, unknown targets, wrong
//! content types and methods; and a randomized run of malformed bodies
//! against every operation.

use crate::support;

use std::time::Duration;

use datapipeline_local::{start, Config, Limits, Operation, Timing};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{json, Value};
use support::*;

const PIPELINE: &str = "df-0000000000NOSUCHID";

fn long(length: usize) -> String {
    "x".repeat(length)
}

/// A complete request for every operation, valid in shape (it names a
/// pipeline or task that does not exist), with its required members.
fn complete_requests() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    let object = json!({"id": "A", "name": "A", "fields": [{"key": "type", "stringValue": "ShellCommandActivity"}]});
    vec![
        (
            "ActivatePipeline",
            json!({"pipelineId": PIPELINE}),
            vec!["pipelineId"],
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [{"key": "k", "value": "v"}]}),
            vec!["pipelineId", "tags"],
        ),
        (
            "CreatePipeline",
            json!({"name": "n", "uniqueId": "u"}),
            vec!["name", "uniqueId"],
        ),
        (
            "DeactivatePipeline",
            json!({"pipelineId": PIPELINE}),
            vec!["pipelineId"],
        ),
        (
            "DeletePipeline",
            json!({"pipelineId": PIPELINE}),
            vec!["pipelineId"],
        ),
        (
            "DescribeObjects",
            json!({"pipelineId": PIPELINE, "objectIds": ["A"]}),
            vec!["pipelineId", "objectIds"],
        ),
        (
            "DescribePipelines",
            json!({"pipelineIds": [PIPELINE]}),
            vec!["pipelineIds"],
        ),
        (
            "EvaluateExpression",
            json!({"pipelineId": PIPELINE, "objectId": "A", "expression": "#{1}"}),
            vec!["pipelineId", "objectId", "expression"],
        ),
        (
            "GetPipelineDefinition",
            json!({"pipelineId": PIPELINE}),
            vec!["pipelineId"],
        ),
        (
            "PollForTask",
            json!({"workerGroup": "bad-input-nobody"}),
            vec!["workerGroup"],
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [object]}),
            vec!["pipelineId", "pipelineObjects"],
        ),
        (
            "QueryObjects",
            json!({"pipelineId": PIPELINE, "sphere": "INSTANCE"}),
            vec!["pipelineId", "sphere"],
        ),
        (
            "RemoveTags",
            json!({"pipelineId": PIPELINE, "tagKeys": ["k"]}),
            vec!["pipelineId", "tagKeys"],
        ),
        (
            "ReportTaskProgress",
            json!({"taskId": "no-such-task"}),
            vec!["taskId"],
        ),
        (
            "ReportTaskRunnerHeartbeat",
            json!({"taskrunnerId": "r"}),
            vec!["taskrunnerId"],
        ),
        (
            "SetStatus",
            json!({"pipelineId": PIPELINE, "objectIds": ["A"], "status": "PAUSE"}),
            vec!["pipelineId", "objectIds", "status"],
        ),
        (
            "SetTaskStatus",
            json!({"taskId": "no-such-task", "taskStatus": "FINISHED"}),
            vec!["taskId", "taskStatus"],
        ),
        (
            "ValidatePipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [object]}),
            vec!["pipelineId", "pipelineObjects"],
        ),
    ]
}

async fn service() -> Bench {
    let timing = Timing {
        long_poll_wait: Duration::from_millis(20),
        ..Timing::fast()
    };
    bench_timing(timing).await
}

#[tokio::test]
async fn each_required_member_missing_is_named() {
    let Bench { service, .. } = service().await;
    let http = http();
    let endpoint = service.endpoint_url();
    let mut checked = 0;
    for (operation, request, required) in complete_requests() {
        // The complete request passes the member checks.
        let (status, body) = raw(&http, &endpoint, operation, request.to_string()).await;
        assert!(
            body.is_null() || body["__type"] != "InvalidRequestException",
            "{operation}: {body}"
        );
        assert!(
            status == 200
                || body["__type"]
                    .as_str()
                    .is_some_and(|code| code.ends_with("NotFoundException")),
            "{operation}: {body}"
        );
        for member in required {
            let mut without = request.clone();
            without.as_object_mut().expect("an object").remove(member);
            let answer = raw(&http, &endpoint, operation, without.to_string()).await;
            assert_error(&answer, 400, "InvalidRequestException", member);
            let mut null = request.clone();
            null[member] = Value::Null;
            let answer = raw(&http, &endpoint, operation, null.to_string()).await;
            assert_error(&answer, 400, "InvalidRequestException", member);
            checked += 1;
        }
    }
    assert_eq!(checked, 30);
    // An empty body is read as {} and is missing the same members.
    assert_error(
        &raw(&http, &endpoint, "CreatePipeline", "").await,
        400,
        "InvalidRequestException",
        "name",
    );
    service.shutdown().await;
}

#[tokio::test]
async fn nested_required_members_are_named_with_their_path() {
    let Bench { service, .. } = service().await;
    let http = http();
    let endpoint = service.endpoint_url();
    let cases = [
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [{"key": "k", "value": "v"}, {"value": "v"}]}),
            "tags[1].key",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [{"key": "k"}]}),
            "tags[0].value",
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [{"name": "A", "fields": []}]}),
            "pipelineObjects[0].id",
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [{"id": "A", "fields": []}]}),
            "pipelineObjects[0].name",
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [{"id": "A", "name": "A"}]}),
            "pipelineObjects[0].fields",
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [{"id": "A", "name": "A", "fields": [{"stringValue": "v"}]}]}),
            "pipelineObjects[0].fields[0].key",
        ),
        (
            "ValidatePipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [], "parameterObjects": [{"id": "myP"}]}),
            "parameterObjects[0].attributes",
        ),
        (
            "ValidatePipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [], "parameterValues": [{"id": "myP"}]}),
            "parameterValues[0].stringValue",
        ),
        (
            "ActivatePipeline",
            json!({"pipelineId": PIPELINE, "parameterValues": [{"stringValue": "v"}]}),
            "parameterValues[0].id",
        ),
        (
            "ReportTaskProgress",
            json!({"taskId": "t", "fields": [{"key": "k"}]}),
            "fields[0]",
        ),
    ];
    for (operation, request, member) in cases {
        let answer = raw(&http, &endpoint, operation, request.to_string()).await;
        assert_error(&answer, 400, "InvalidRequestException", member);
    }
    service.shutdown().await;
}

#[tokio::test]
async fn each_limit_exceeded_by_one_is_refused_and_the_limit_itself_is_accepted() {
    let Bench { service, .. } = service().await;
    let http = http();
    let endpoint = service.endpoint_url();
    let field = |value: String| json!({"key": "k", "stringValue": value});
    let object = |fields: Value| json!({"pipelineId": PIPELINE, "pipelineObjects": [{"id": "A", "name": "A", "fields": fields}]});
    let tags = |count: usize| {
        (0..count)
            .map(|index| json!({"key": format!("k{index}"), "value": "v"}))
            .collect::<Vec<_>>()
    };
    let selectors = |count: usize| {
        let selectors: Vec<_> = (0..count)
            .map(|_| json!({"fieldName": "type", "operator": {"type": "EQ", "values": ["x"]}}))
            .collect();
        json!({"pipelineId": PIPELINE, "sphere": "COMPONENT", "query": {"selectors": selectors}})
    };
    // (operation, request at the limit, request past it, the member named)
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "GetPipelineDefinition",
            json!({"pipelineId": long(1024)}),
            json!({"pipelineId": long(1025)}),
            "pipelineId",
        ),
        (
            "DescribePipelines",
            json!({"pipelineIds": vec![PIPELINE; 25]}),
            json!({"pipelineIds": vec![PIPELINE; 26]}),
            "pipelineIds",
        ),
        (
            "DescribeObjects",
            json!({"pipelineId": PIPELINE, "objectIds": vec!["A"; 25]}),
            json!({"pipelineId": PIPELINE, "objectIds": vec!["A"; 26]}),
            "objectIds",
        ),
        (
            "DescribeObjects",
            json!({"pipelineId": PIPELINE, "objectIds": [long(1024)]}),
            json!({"pipelineId": PIPELINE, "objectIds": [long(1025)]}),
            "objectIds[0]",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": tags(10)}),
            json!({"pipelineId": PIPELINE, "tags": tags(11)}),
            "tags",
        ),
        (
            "CreatePipeline",
            json!({"name": "limit", "uniqueId": "u", "tags": tags(10)}),
            json!({"name": "n", "uniqueId": "u", "tags": tags(11)}),
            "tags",
        ),
        (
            "CreatePipeline",
            json!({"name": long(1024), "uniqueId": "u"}),
            json!({"name": long(1025), "uniqueId": "u"}),
            "name",
        ),
        (
            "CreatePipeline",
            json!({"name": "n2", "uniqueId": long(1024)}),
            json!({"name": "n2", "uniqueId": long(1025)}),
            "uniqueId",
        ),
        (
            "CreatePipeline",
            json!({"name": "n3", "uniqueId": "u", "description": long(1024)}),
            json!({"name": "n3", "uniqueId": "u", "description": long(1025)}),
            "description",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [{"key": long(128), "value": long(256)}]}),
            json!({"pipelineId": PIPELINE, "tags": [{"key": long(129), "value": "v"}]}),
            "tags[0].key",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [{"key": "k", "value": long(256)}]}),
            json!({"pipelineId": PIPELINE, "tags": [{"key": "k", "value": long(257)}]}),
            "tags[0].value",
        ),
        ("QueryObjects", selectors(10), selectors(11), "selectors"),
        (
            "ReportTaskProgress",
            json!({"taskId": long(2048)}),
            json!({"taskId": long(2049)}),
            "taskId",
        ),
        (
            "SetTaskStatus",
            json!({"taskId": long(2048), "taskStatus": "FAILED"}),
            json!({"taskId": long(2049), "taskStatus": "FAILED"}),
            "taskId",
        ),
        (
            "SetTaskStatus",
            json!({"taskId": "t", "taskStatus": "FAILED", "errorId": long(1024), "errorStackTrace": long(1024)}),
            json!({"taskId": "t", "taskStatus": "FAILED", "errorId": long(1025)}),
            "errorId",
        ),
        (
            "SetTaskStatus",
            json!({"taskId": "t", "taskStatus": "FAILED"}),
            json!({"taskId": "t", "taskStatus": "FAILED", "errorStackTrace": long(1025)}),
            "errorStackTrace",
        ),
        (
            "PutPipelineDefinition",
            object(json!([field(long(10240))])),
            object(json!([field(long(10241))])),
            "pipelineObjects[0].fields[0].stringValue",
        ),
        (
            "PutPipelineDefinition",
            object(json!([{"key": long(256), "stringValue": "v"}])),
            object(json!([{"key": long(257), "stringValue": "v"}])),
            "pipelineObjects[0].fields[0].key",
        ),
        (
            "PutPipelineDefinition",
            object(json!([{"key": "k", "refValue": long(256)}])),
            object(json!([{"key": "k", "refValue": long(257)}])),
            "pipelineObjects[0].fields[0].refValue",
        ),
        (
            "ActivatePipeline",
            json!({"pipelineId": PIPELINE, "parameterValues": [{"id": "myP", "stringValue": long(10240)}]}),
            json!({"pipelineId": PIPELINE, "parameterValues": [{"id": "myP", "stringValue": long(10241)}]}),
            "parameterValues[0].stringValue",
        ),
        (
            "ReportTaskProgress",
            json!({"taskId": "t", "fields": [field(long(10240))]}),
            json!({"taskId": "t", "fields": [field(long(10241))]}),
            "fields[0].stringValue",
        ),
        (
            "PollForTask",
            json!({"workerGroup": long(1024)}),
            json!({"workerGroup": long(1025)}),
            "workerGroup",
        ),
        (
            "PollForTask",
            json!({"workerGroup": "w", "hostname": long(1024)}),
            json!({"workerGroup": "w", "hostname": long(1025)}),
            "hostname",
        ),
        (
            "ReportTaskRunnerHeartbeat",
            json!({"taskrunnerId": long(1024)}),
            json!({"taskrunnerId": long(1025)}),
            "taskrunnerId",
        ),
        (
            "EvaluateExpression",
            json!({"pipelineId": PIPELINE, "objectId": long(1024), "expression": "x"}),
            json!({"pipelineId": PIPELINE, "objectId": long(1025), "expression": "x"}),
            "objectId",
        ),
        (
            "SetStatus",
            json!({"pipelineId": PIPELINE, "objectIds": [long(1024)], "status": "PAUSE"}),
            json!({"pipelineId": PIPELINE, "objectIds": [long(1025)], "status": "PAUSE"}),
            "objectIds[0]",
        ),
    ];
    for (operation, at_limit, past_limit, member) in cases {
        let (status, body) = raw(&http, &endpoint, operation, at_limit.to_string()).await;
        assert!(
            body.is_null() || body["__type"] != "InvalidRequestException",
            "{operation} at the limit of {member} is accepted: {status} {body}"
        );
        let answer = raw(&http, &endpoint, operation, past_limit.to_string()).await;
        assert_error(&answer, 400, "InvalidRequestException", member);
    }
    // Control characters outside the model's pattern.
    let answer = raw(
        &http,
        &endpoint,
        "PollForTask",
        json!({"workerGroup": "a\u{0}b"}).to_string(),
    )
    .await;
    assert_error(&answer, 400, "InvalidRequestException", "workerGroup");
    service.shutdown().await;
}

#[tokio::test]
async fn malformed_and_mistyped_json_answers_serialization_exception() {
    let Bench { service, .. } = service().await;
    let http = http();
    let endpoint = service.endpoint_url();
    for body in [
        "{",
        "{\"name\": }",
        "not json",
        "{\"name\": \"n\",}",
        "\u{feff}{}",
        "{}{}",
    ] {
        let answer = raw(&http, &endpoint, "CreatePipeline", body).await;
        assert_error(&answer, 400, "SerializationException", "JSON");
    }
    for body in [
        "[]",
        "[{\"name\": \"n\"}]",
        "\"text\"",
        "42",
        "null",
        "true",
    ] {
        let answer = raw(&http, &endpoint, "CreatePipeline", body).await;
        assert_error(&answer, 400, "SerializationException", "JSON object");
    }
    let answer = raw(&http, &endpoint, "CreatePipeline", vec![0xff, 0xfe, 0x7b]).await;
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(answer.1["__type"], "SerializationException");
    // Wrong member types name the member.
    let cases = [
        (
            "GetPipelineDefinition",
            json!({"pipelineId": 5}),
            "pipelineId",
        ),
        (
            "DescribePipelines",
            json!({"pipelineIds": "df-X"}),
            "pipelineIds",
        ),
        (
            "DescribePipelines",
            json!({"pipelineIds": [1, 2]}),
            "pipelineIds[0]",
        ),
        (
            "DeactivatePipeline",
            json!({"pipelineId": PIPELINE, "cancelActive": "yes"}),
            "cancelActive",
        ),
        (
            "QueryObjects",
            json!({"pipelineId": PIPELINE, "sphere": "INSTANCE", "limit": "ten"}),
            "limit",
        ),
        (
            "QueryObjects",
            json!({"pipelineId": PIPELINE, "sphere": "INSTANCE", "query": {"selectors": {"fieldName": "x"}}}),
            "query.selectors",
        ),
        (
            "ActivatePipeline",
            json!({"pipelineId": PIPELINE, "startTimestamp": "now"}),
            "startTimestamp",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [["k", "v"]]}),
            "tags[0]",
        ),
        (
            "AddTags",
            json!({"pipelineId": PIPELINE, "tags": [1]}),
            "tags[0]",
        ),
        (
            "PollForTask",
            json!({"workerGroup": "w", "instanceIdentity": ["document", "signature"]}),
            "instanceIdentity",
        ),
        (
            "QueryObjects",
            json!({"pipelineId": PIPELINE, "sphere": "INSTANCE", "query": [[["type", ["EQ", ["x"]]]]]}),
            "query",
        ),
        (
            "PutPipelineDefinition",
            json!({"pipelineId": PIPELINE, "pipelineObjects": [{"id": "A", "name": "A", "fields": [{"key": "k", "stringValue": 1}]}]}),
            "pipelineObjects[0].fields[0].stringValue",
        ),
        (
            "PollForTask",
            json!({"workerGroup": {"name": "w"}}),
            "workerGroup",
        ),
        ("ReportTaskProgress", json!({"taskId": true}), "taskId"),
        (
            "SetTaskStatus",
            json!({"taskId": "t", "taskStatus": 1}),
            "taskStatus",
        ),
        ("ListPipelines", json!({"marker": []}), "marker"),
    ];
    for (operation, request, member) in cases {
        let answer = raw(&http, &endpoint, operation, request.to_string()).await;
        assert_error(&answer, 400, "SerializationException", member);
    }
    service.shutdown().await;
}

#[tokio::test]
async fn protocol_errors_answer_with_the_right_type() {
    let Bench { service, client } = service().await;
    let http = http();
    let endpoint = service.endpoint_url();
    let send = |request: reqwest::RequestBuilder| async move {
        read(request.send().await.expect("an answer")).await
    };
    let json_post = || {
        http.post(&endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .body("{}")
    };

    let answer = send(json_post().header("x-amz-target", "DataPipeline.LaunchRocket")).await;
    assert_error(&answer, 400, "UnknownOperationException", "LaunchRocket");
    let answer = send(json_post().header("x-amz-target", "DynamoDB_20120810.ListTables")).await;
    assert_error(
        &answer,
        400,
        "UnknownOperationException",
        "DynamoDB_20120810.ListTables",
    );
    let answer = send(json_post().header("x-amz-target", "DataPipeline.")).await;
    assert_error(&answer, 400, "UnknownOperationException", "X-Amz-Target");
    let answer = send(json_post()).await;
    assert_error(&answer, 400, "UnknownOperationException", "X-Amz-Target");
    let answer = send(json_post().header("x-amz-target", "DataPipeline.listpipelines")).await;
    assert_error(&answer, 400, "UnknownOperationException", "listpipelines");

    let target = || {
        http.post(&endpoint)
            .header("x-amz-target", "DataPipeline.ListPipelines")
            .body("{}")
    };
    let answer = send(target().header("content-type", "text/plain")).await;
    assert_error(&answer, 400, "SerializationException", "text/plain");
    let answer = send(target()).await;
    assert_error(&answer, 400, "SerializationException", "Content-Type");
    let (status, body) =
        send(target().header("content-type", "application/x-amz-json-1.1; charset=utf-8")).await;
    assert_eq!(status, 200, "parameters on the media type are fine: {body}");

    let get = http
        .get(&endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.ListPipelines");
    let answer = send(get).await;
    assert_error(&answer, 400, "UnknownOperationException", "GET");
    let put = http
        .put(&endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.ListPipelines")
        .body("{}");
    assert_error(&send(put).await, 400, "UnknownOperationException", "PUT");
    let elsewhere = http
        .post(format!("{endpoint}/pipelines"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.ListPipelines")
        .body("{}");
    let answer = send(elsewhere).await;
    assert_error(&answer, 404, "UnknownOperationException", "/pipelines");

    // Every error carries its type where the SDK looks first, and a request id.
    let response = json_post()
        .header("x-amz-target", "DataPipeline.Nope")
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "UnknownOperationException"
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));
    // Nothing reached the state.
    assert!(client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list
        .is_empty());
    service.shutdown().await;
}

/// The member names of every operation, so random bodies hit real members.
const MEMBERS: &[&str] = &[
    "pipelineId",
    "pipelineIds",
    "name",
    "uniqueId",
    "description",
    "tags",
    "tagKeys",
    "key",
    "value",
    "objectIds",
    "objectId",
    "expression",
    "evaluateExpressions",
    "marker",
    "limit",
    "sphere",
    "query",
    "selectors",
    "fieldName",
    "operator",
    "type",
    "values",
    "version",
    "pipelineObjects",
    "parameterObjects",
    "parameterValues",
    "attributes",
    "id",
    "fields",
    "stringValue",
    "refValue",
    "cancelActive",
    "startTimestamp",
    "status",
    "workerGroup",
    "hostname",
    "instanceIdentity",
    "document",
    "signature",
    "taskId",
    "taskStatus",
    "errorId",
    "errorMessage",
    "errorStackTrace",
    "taskrunnerId",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,12}",
        2 => any::<String>().prop_map(|text| text.chars().take(16).collect()),
        1 => prop::sample::select(vec!["", "df-X", "INSTANCE", "COMPONENT", "EQ", "BETWEEN", "PAUSE", "RERUN", "FINISHED", "FALSE", "latest", "active", "#{", "#{1/0}", "#{format(@scheduledStartTime,'YYYY')}", "Service_x", "0", "-1", "99999999999999999999"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec![1024_usize, 1025, 2048, 2049, 10240, 10241]).prop_map(long),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| json!(number)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |number| number.is_finite())
            .prop_map(|number| json!(number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(MEMBERS), inner), 0..6).prop_map(
                |members| Value::Object(
                    members
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect()
                )
            ),
        ]
    })
}

/// A request body: random bytes, broken JSON, or a JSON object whose members
/// are the operation's names with random values of random types.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let object = prop::collection::vec((prop::sample::select(MEMBERS), json_value()), 0..6)
        .prop_map(|members| {
            Value::Object(
                members
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect(),
            )
        })
        .boxed();
    prop_oneof![
        6 => object.clone().prop_map(|value| value.to_string().into_bytes()),
        1 => json_value().prop_map(|value| value.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => (object, 0_usize..64).prop_map(|(value, cut)| {
            let mut bytes = value.to_string().into_bytes();
            bytes.truncate(cut);
            bytes
        }),
    ]
}

fn operation() -> impl Strategy<Value = String> {
    let names: Vec<String> = Operation::ALL
        .iter()
        .map(|operation| operation.name().to_owned())
        .collect();
    prop_oneof![
        12 => prop::sample::select(names),
        1 => "[A-Za-z]{0,20}",
    ]
}

#[test]
fn random_malformed_bodies_never_break_the_service() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let timing = Timing {
        long_poll_wait: Duration::from_millis(10),
        ..Timing::fast()
    };
    let limits = Limits {
        pipelines: 100_000,
        ..Limits::default()
    };
    let service = runtime
        .block_on(start(Config {
            timing,
            limits,
            ..Config::default()
        }))
        .expect("the service starts");
    // Requests are built outside `block_on`: their timers need the runtime.
    let _context = runtime.enter();
    let endpoint = service.endpoint_url();
    let http = http();
    let began = std::time::Instant::now();
    let config = ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&(operation(), body()), |(operation, body)| {
        let response = runtime.block_on(
            http.post(&endpoint)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amz-target", format!("DataPipeline.{operation}"))
                .body(body.clone())
                .send(),
        );
        let response =
            response.map_err(|error| TestCaseError::fail(format!("no answer ({error})")))?;
        let status = response.status().as_u16();
        let bytes = runtime
            .block_on(response.bytes())
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let answer: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|error| TestCaseError::fail(format!("not JSON ({error}): {bytes:?}")))?
        };
        if status == 200 {
            prop_assert!(
                answer.is_null() || (answer.is_object() && answer.get("__type").is_none()),
                "{operation}: {answer}"
            );
        } else {
            prop_assert!((400..600).contains(&status), "{operation}: {status}");
            prop_assert!(
                answer["__type"]
                    .as_str()
                    .is_some_and(|code| !code.is_empty()),
                "{operation}: {status} {answer}"
            );
            prop_assert!(answer["message"].is_string(), "{operation}: {answer}");
        }
        prop_assert!(
            status != 500,
            "no internal errors without injected faults: {operation} {answer}"
        );
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "bounded: {:?}",
        began.elapsed()
    );

    // The service is still consistent: a whole cycle works.
    let client = client_for(&endpoint, "AKIDLOCAL", "local-secret");
    let before = service.audit();
    runtime.block_on(async {
        activate(
            &client,
            "after-fuzzing",
            vec![
                on_demand_default("after-fuzzing"),
                shell("Act", "echo", vec![]),
            ],
        )
        .await;
        let task = poll(&client, "after-fuzzing").await.expect("task");
        assert!(!ack(&client, &task).await);
        finish(
            &client,
            &task,
            aws_sdk_datapipeline::types::TaskStatus::Finished,
        )
        .await;
        let instance = field(&task.attempt, "@instanceParent")
            .expect("instance")
            .to_owned();
        assert_eq!(
            status_of(&client, &task.pipeline_id, &instance).await,
            "FINISHED"
        );
    });
    let after = service.audit();
    assert_eq!(after.tasks_polled, before.tasks_polled + 1);
    assert_eq!(after.acknowledgements, before.acknowledgements + 1);
    assert_eq!(after.statuses_accepted, before.statuses_accepted + 1);
    assert_eq!(after.attempts_finished, before.attempts_finished + 1);
    assert!(
        after.acknowledgements <= after.tasks_polled
            && after.statuses_accepted <= after.tasks_polled,
        "{after:?}"
    );
    assert_eq!(after.leases_expired, 0, "{after:?}");
    runtime.block_on(service.shutdown());
}
