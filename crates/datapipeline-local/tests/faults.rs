//! Fault injection: each fault kind, each trigger, and repeatability by seed.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_datapipeline::Client;
use datapipeline_local::{Config, FaultPlan, ServiceHandle, Timing};
use support::*;

async fn faulty(seed: u64, rules: &[&str]) -> Bench {
    let rules = rules
        .iter()
        .map(|rule| rule.parse().expect("a valid rule"))
        .collect();
    bench_with(Config {
        timing: Timing::fast(),
        faults: FaultPlan { seed, rules },
        ..Config::default()
    })
    .await
}

async fn pipeline_count(client: &Client) -> usize {
    client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list
        .len()
}

#[tokio::test]
async fn error_answers_500_internal_service_error_and_changes_nothing() {
    let Bench { service, client } = faulty(1, &["CreatePipeline:error:nth=1"]).await;
    let body = r#"{"name": "n", "uniqueId": "u"}"#;
    let answer = raw(&http(), &service.endpoint_url(), "CreatePipeline", body).await;
    assert_error(&answer, 500, "InternalServiceError", "injected");
    assert_eq!(pipeline_count(&client).await, 0);
    let (status, created) = raw(&http(), &service.endpoint_url(), "CreatePipeline", body).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(pipeline_count(&client).await, 1);
    service.shutdown().await;
}

#[tokio::test]
async fn throttle_answers_throttling_exception_which_the_sdk_retries() {
    let Bench { service, client } = faulty(1, &["CreatePipeline:throttle:nth=1"]).await;
    let error = client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect_err("throttled");
    let raw_status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    assert_eq!(raw_status, Some(400));
    let error = error.into_service_error();
    assert_eq!(error.code(), Some("ThrottlingException"), "{error:?}");
    assert!(
        !error.is_internal_service_error() && !error.is_invalid_request_exception(),
        "not a modeled error of CreatePipeline: {error:?}"
    );
    assert_eq!(pipeline_count(&client).await, 0);

    // With the SDK's standard retries a throttled call goes through.
    let service2 = faulty(1, &["CreatePipeline:throttle:nth=1"]).await.service;
    let retrying = Client::from_conf(
        client
            .config()
            .to_builder()
            .endpoint_url(service2.endpoint_url())
            .retry_config(
                aws_sdk_datapipeline::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build(),
    );
    retrying
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(pipeline_count(&retrying).await, 1);
    service.shutdown().await;
    service2.shutdown().await;
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let Bench { service, client } = faulty(1, &["ListPipelines:latency=200ms:1.0"]).await;
    let began = tokio::time::Instant::now();
    client.list_pipelines().send().await.expect("list");
    assert!(
        began.elapsed() >= Duration::from_millis(200),
        "{:?}",
        began.elapsed()
    );
    let began = tokio::time::Instant::now();
    client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect("create");
    assert!(
        began.elapsed() < Duration::from_millis(200),
        "other operations are not delayed: {:?}",
        began.elapsed()
    );
    service.shutdown().await;
}

fn is_connection_failure<E, R>(error: &SdkError<E, R>) -> bool {
    matches!(
        error,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) | SdkError::TimeoutError(_)
    )
}

#[tokio::test]
async fn drop_closes_the_connection_without_touching_state() {
    let Bench { service, client } = faulty(1, &["CreatePipeline:drop:nth=1"]).await;
    let error = client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect_err("dropped");
    assert!(is_connection_failure(&error), "{error:?}");
    assert_eq!(
        pipeline_count(&client).await,
        0,
        "the dropped call changed nothing"
    );
    // Raw HTTP sees no response at all.
    let dropping = faulty(1, &["ListPipelines:drop:1.0"]).await.service;
    let sent = http()
        .post(dropping.endpoint_url())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.ListPipelines")
        .body("{}")
        .send()
        .await;
    assert!(sent.is_err(), "no response: {sent:?}");
    client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect("the next call works");
    assert_eq!(pipeline_count(&client).await, 1);
    service.shutdown().await;
    dropping.shutdown().await;
}

#[tokio::test]
async fn drop_after_changes_state_but_answers_nothing() {
    let Bench { service, client } = faulty(
        1,
        &[
            "CreatePipeline:drop-after:nth=1",
            "SetTaskStatus:drop-after:nth=1",
        ],
    )
    .await;
    let error = client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect_err("dropped");
    assert!(is_connection_failure(&error), "{error:?}");
    let listed = client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list;
    assert_eq!(listed.len(), 1, "the call took effect");
    // Retrying the idempotent create answers the pipeline it made.
    let again = client
        .create_pipeline()
        .name("n")
        .unique_id("u")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    assert_eq!(listed[0].id.as_deref(), Some(again.as_str()));

    // A SetTaskStatus that took effect: the retry finds the lease gone.
    let pipeline = activate(
        &client,
        "after",
        vec![on_demand_default("after"), shell("A", "echo", vec![])],
    )
    .await;
    let task = poll(&client, "after").await.expect("task");
    let error = client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(aws_sdk_datapipeline::types::TaskStatus::Finished)
        .send()
        .await
        .expect_err("dropped");
    assert!(is_connection_failure(&error), "{error:?}");
    let instance = field(&task.attempt, "@instanceParent")
        .expect("instance")
        .to_owned();
    assert_eq!(status_of(&client, &pipeline, &instance).await, "FINISHED");
    let retry = client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(aws_sdk_datapipeline::types::TaskStatus::Finished)
        .send()
        .await
        .expect_err("the lease ended")
        .into_service_error();
    assert!(retry.is_task_not_found_exception(), "{retry:?}");
    assert_eq!(service.audit().statuses_accepted, 1);
    service.shutdown().await;
}

/// Which of `calls` ListPipelines calls failed.
async fn failures(service: &ServiceHandle, calls: usize) -> Vec<bool> {
    let http = http();
    let mut failed = Vec::with_capacity(calls);
    for _ in 0..calls {
        let (status, _) = raw(&http, &service.endpoint_url(), "ListPipelines", "{}").await;
        failed.push(status != 200);
    }
    failed
}

#[tokio::test]
async fn probability_triggers_repeat_with_the_same_seed() {
    let rules = ["ListPipelines:error:0.3"];
    let first = faulty(42, &rules).await.service;
    let second = faulty(42, &rules).await.service;
    let other = faulty(43, &rules).await.service;
    let a = failures(&first, 100).await;
    let b = failures(&second, 100).await;
    let c = failures(&other, 100).await;
    assert_eq!(a, b, "the same seed and calls give the same faults");
    assert_ne!(a, c, "another seed gives other faults");
    let count = a.iter().filter(|failed| **failed).count();
    assert!((10..=55).contains(&count), "about 30 of 100: {count}");
    // Other operations are not affected by the rule.
    let (status, _) = raw(
        &http(),
        &first.endpoint_url(),
        "CreatePipeline",
        r#"{"name": "n", "uniqueId": "u"}"#,
    )
    .await;
    assert_eq!(status, 200);
    for service in [first, second, other] {
        service.shutdown().await;
    }
}

#[tokio::test]
async fn nth_call_fires_once_and_every_nth_fires_periodically() {
    let once = faulty(1, &["ListPipelines:throttle:nth=3"]).await.service;
    let periodic = faulty(1, &["ListPipelines:error:every=4"]).await.service;
    let expected_once: Vec<bool> = (1..=9).map(|call| call == 3).collect();
    let expected_periodic: Vec<bool> = (1..=9).map(|call| call % 4 == 0).collect();
    assert_eq!(failures(&once, 9).await, expected_once);
    assert_eq!(failures(&periodic, 9).await, expected_periodic);
    let (status, body) = raw(&http(), &once.endpoint_url(), "ListPipelines", "{}").await;
    assert_eq!((status, body["__type"].as_str()), (200, None));
    once.shutdown().await;
    periodic.shutdown().await;
}
