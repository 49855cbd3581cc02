//! SigV4 checking when the service is started with credentials.

use crate::support;

use aws_sdk_datapipeline::error::ProvideErrorMetadata;
use datapipeline_local::{Config, Credentials, Timing};
use support::*;

async fn signed_service() -> Bench {
    let credentials = Credentials {
        access_key_id: "AKIDLOCAL".into(),
        secret_access_key: "local-secret".into(),
    };
    bench_with(Config {
        timing: Timing::fast(),
        credentials: Some(credentials),
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn the_sdk_with_the_right_credentials_works() {
    let Bench { service, client } = signed_service().await;
    let pipeline = activate(
        &client,
        "signed",
        vec![on_demand_default("signed"), shell("Act", "echo", vec![])],
    )
    .await;
    let task = poll(&client, "signed").await.expect("task");
    assert!(!ack(&client, &task).await);
    finish(
        &client,
        &task,
        aws_sdk_datapipeline::types::TaskStatus::Finished,
    )
    .await;
    let listed = client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list;
    assert_eq!(listed[0].id.as_deref(), Some(pipeline.as_str()));
    // An empty long poll is signed like any other call.
    assert!(poll(&client, "nobody").await.is_none());
    service.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_or_another_access_key_answers_invalid_signature() {
    let Bench { service, .. } = signed_service().await;
    for (access_key_id, secret, needle) in [
        ("AKIDLOCAL", "wrong-secret", "secret access key"),
        ("AKIDOTHER", "local-secret", "AKIDOTHER"),
    ] {
        let client = client_for(&service.endpoint_url(), access_key_id, secret);
        let error = client
            .create_pipeline()
            .name("n")
            .unique_id("u")
            .send()
            .await
            .expect_err("refused");
        assert_eq!(
            error
                .raw_response()
                .map(|response| response.status().as_u16()),
            Some(403)
        );
        let error = error.into_service_error();
        assert_eq!(error.code(), Some("InvalidSignatureException"), "{error:?}");
        assert!(
            error
                .message()
                .is_some_and(|message| message.contains(needle)),
            "{error:?}"
        );
        let error = client
            .poll_for_task()
            .worker_group("w")
            .send()
            .await
            .expect_err("refused")
            .into_service_error();
        assert_eq!(error.code(), Some("InvalidSignatureException"), "{error:?}");
    }
    let right = client_for(&service.endpoint_url(), "AKIDLOCAL", "local-secret");
    assert!(
        right
            .list_pipelines()
            .send()
            .await
            .expect("list")
            .pipeline_id_list
            .is_empty(),
        "nothing refused took effect"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn unsigned_and_malformed_signatures_are_refused() {
    let Bench { service, client } = signed_service().await;
    let http = http();
    let answer = raw(
        &http,
        &service.endpoint_url(),
        "CreatePipeline",
        r#"{"name": "n", "uniqueId": "u"}"#,
    )
    .await;
    assert_error(&answer, 403, "InvalidSignatureException", "not signed");
    let forged = http
        .post(service.endpoint_url())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.CreatePipeline")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(r#"{"name": "n", "uniqueId": "u"}"#);
    let answer = read(forged.send().await.expect("an answer")).await;
    assert_error(&answer, 403, "InvalidSignatureException", "SigV4");
    let guessed = http
        .post(service.endpoint_url())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "DataPipeline.CreatePipeline")
        .header("x-amz-date", "20240101T000000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20240101/us-east-1/datapipeline/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        )
        .body(r#"{"name": "n", "uniqueId": "u"}"#);
    let answer = read(guessed.send().await.expect("an answer")).await;
    assert_error(&answer, 403, "InvalidSignatureException", "does not match");
    assert!(client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list
        .is_empty());
    service.shutdown().await;
}
