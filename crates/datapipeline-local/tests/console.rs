//! The web console's JSON, read over HTTP while the real SDK plays the
//! runner: the graph of a definition, statuses and leases as tasks move,
//! the runs grid's pages, and encrypted values kept out of every answer.
//! The page itself is tested in a browser by tests/python/test_console.py.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_datapipeline::types::TaskStatus;
use serde_json::Value;
use support::*;

/// Answers the console's `path` (after `/console/api/`) as JSON.
async fn console(bench: &Bench, path: &str) -> Value {
    let url = format!("{}api/{path}", bench.service.console_url());
    let response = http().get(&url).send().await.expect("the console answers");
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.expect("JSON")
}

/// `id` as one path segment.
fn segment(id: &str) -> String {
    id.replace('@', "%40")
        .replace(':', "%3A")
        .replace('=', "%3D")
}

fn chain() -> Vec<aws_sdk_datapipeline::types::PipelineObject> {
    vec![
        on_demand_default("console"),
        object(
            "Ready",
            vec![
                string("type", "ShellCommandPrecondition"),
                string("command", "true"),
            ],
        ),
        shell(
            "Extract",
            "echo extract",
            vec![reference("precondition", "Ready")],
        ),
        shell(
            "Load",
            "echo load",
            vec![
                reference("dependsOn", "Extract"),
                reference("output", "Out"),
            ],
        ),
        object(
            "Out",
            vec![
                string("type", "S3DataNode"),
                string("directoryPath", "s3://bucket/out"),
            ],
        ),
    ]
}

fn node_status(graph: &Value, id: &str) -> Value {
    graph["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|node| node["id"] == id)
        .unwrap_or_else(|| panic!("node {id} in {graph}"))["status"]
        .clone()
}

#[tokio::test]
async fn the_graph_has_a_node_per_object_and_an_edge_per_reference() {
    let bench = bench().await;
    let pipeline = activate(&bench.client, "graph", chain()).await;
    let graph = console(&bench, &format!("pipelines/{pipeline}/graph")).await;
    let nodes: BTreeSet<&str> = graph["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        nodes,
        BTreeSet::from(["Default", "Ready", "Extract", "Load", "Out"])
    );
    let edges: BTreeSet<(&str, &str, &str)> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            (
                edge["from"].as_str().expect("from"),
                edge["to"].as_str().expect("to"),
                edge["label"].as_str().expect("label"),
            )
        })
        .collect();
    assert_eq!(
        edges,
        BTreeSet::from([
            ("Ready", "Extract", "precondition"),
            ("Extract", "Load", "dependsOn"),
            ("Load", "Out", "output"),
        ])
    );
    // Top-down: each edge goes to a lower layer.
    for edge in graph["edges"].as_array().expect("edges") {
        let points = edge["points"].as_array().expect("points");
        assert!(
            points[0][1].as_f64() < points[points.len() - 1][1].as_f64(),
            "{edge}"
        );
    }
    bench.service.shutdown().await;
}

#[tokio::test]
async fn statuses_attempts_and_leases_follow_the_runner() {
    let bench = bench().await;
    let pipeline = activate(&bench.client, "follow", chain()).await;
    let task = poll_until_task(&bench.client, "console", Duration::from_secs(10)).await;
    assert!(
        task.attempt_id.starts_with("@Ready_"),
        "{}",
        task.attempt_id
    );

    let graph = console(&bench, &format!("pipelines/{pipeline}/graph")).await;
    assert_eq!(node_status(&graph, "Ready"), "RUNNING");
    assert_eq!(node_status(&graph, "Extract"), "WAITING_ON_DEPENDENCIES");
    let leases = console(&bench, &format!("pipelines/{pipeline}/leases")).await;
    let live = &leases["live"][0];
    assert_eq!(live["attempt"], task.attempt_id.as_str());
    assert_eq!(live["holder"], "test-host");
    assert_eq!(live["acknowledged"], false);

    assert!(!ack(&bench.client, &task).await);
    let leases = console(&bench, &format!("pipelines/{pipeline}/leases")).await;
    assert_eq!(leases["live"][0]["acknowledged"], true);
    assert!(
        leases["live"][0]["deadlineInSeconds"]
            .as_f64()
            .expect("a deadline")
            > 0.0
    );

    bench
        .client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(TaskStatus::Failed)
        .error_id("CheckBroke")
        .error_message("the check could not run")
        .send()
        .await
        .expect("set task status");
    let instance = console(
        &bench,
        &format!(
            "pipelines/{pipeline}/instances/{}",
            segment(&instance_of(&task))
        ),
    )
    .await;
    let attempt = &instance["attempts"][0];
    assert_eq!(attempt["status"], "FAILED");
    assert_eq!(attempt["hostname"], "test-host");
    assert_eq!(attempt["error"]["errorId"], "CheckBroke");
    assert_eq!(attempt["error"]["errorMessage"], "the check could not run");
    let leases = console(&bench, &format!("pipelines/{pipeline}/leases")).await;
    assert_eq!(leases["live"].as_array().map(Vec::len), Some(0));
    assert_eq!(leases["history"][0]["end"], "status FAILED");
    assert_eq!(leases["totals"]["granted"], 1);
    // No store was given: the logs say so rather than fail.
    let logs = console(
        &bench,
        &format!(
            "pipelines/{pipeline}/attempts/{}/logs",
            segment(&task.attempt_id)
        ),
    )
    .await;
    assert!(
        logs["note"]
            .as_str()
            .expect("a note")
            .contains("pipelineLogUri"),
        "{logs}"
    );
    bench.service.shutdown().await;
}

#[tokio::test]
async fn encrypted_values_never_leave_the_console() {
    let bench = bench().await;
    let pipeline = bench
        .client
        .create_pipeline()
        .name("secrets")
        .unique_id("secrets")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    bench
        .client
        .put_pipeline_definition()
        .pipeline_id(&pipeline)
        .set_pipeline_objects(Some(vec![
            on_demand_default("secrets"),
            shell(
                "Use",
                "psql --password #{*myPassword}",
                vec![string("*myToken", "field-s3cret-value")],
            ),
        ]))
        .parameter_objects(
            aws_sdk_datapipeline::types::ParameterObject::builder()
                .id("*myPassword")
                .attributes(
                    aws_sdk_datapipeline::types::ParameterAttribute::builder()
                        .key("default")
                        .string_value("param-s3cret-value")
                        .build()
                        .expect("an attribute"),
                )
                .build()
                .expect("a parameter"),
        )
        .send()
        .await
        .expect("put");
    bench
        .client
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    let task = poll_until_task(&bench.client, "secrets", Duration::from_secs(10)).await;
    assert_eq!(
        task.field("command"),
        Some("psql --password param-s3cret-value")
    );
    let instance = segment(&instance_of(&task));
    let mut answers = String::new();
    for path in [
        "pipelines".to_owned(),
        format!("pipelines/{pipeline}/graph"),
        format!("pipelines/{pipeline}/objects/Use"),
        format!("pipelines/{pipeline}/runs"),
        format!("pipelines/{pipeline}/instances/{instance}"),
        format!("pipelines/{pipeline}/leases"),
    ] {
        answers.push_str(&console(&bench, &path).await.to_string());
    }
    assert!(!answers.contains("s3cret"), "{answers}");
    let object = console(&bench, &format!("pipelines/{pipeline}/objects/Use")).await;
    let fields = object["fields"].as_array().expect("fields");
    let command = fields
        .iter()
        .find(|field| field["key"] == "command")
        .expect("command");
    assert_eq!(command["evaluated"], "psql --password (encrypted)");
    let token = fields
        .iter()
        .find(|field| field["key"] == "*myToken")
        .expect("*myToken");
    assert_eq!(token["value"], "(encrypted)");
    assert_eq!(token["encrypted"], true);
    bench.service.shutdown().await;
}

#[tokio::test]
async fn the_runs_grid_comes_a_page_at_a_time() {
    let bench = bench().await;
    // Pipeline time runs 600 times faster: a start 25 pipeline-hours back
    // backfills about 100 fifteen-minute periods per activity.
    let start = (chrono::Utc::now() - chrono::Duration::hours(25))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let pipeline = activate(
        &bench.client,
        "paged",
        vec![
            object(
                "Default",
                vec![
                    string("scheduleType", "cron"),
                    string("workerGroup", "nobody"),
                    reference("schedule", "Every15"),
                ],
            ),
            object(
                "Every15",
                vec![
                    string("type", "Schedule"),
                    string("period", "15 minutes"),
                    string("startDateTime", &start),
                ],
            ),
            shell("A", "true", vec![]),
            shell("B", "true", vec![reference("dependsOn", "A")]),
        ],
    )
    .await;
    let first = console(&bench, &format!("pipelines/{pipeline}/runs")).await;
    assert!(
        first["totalTimes"].as_u64().expect("times") >= 100,
        "{first}"
    );
    assert_eq!(first["times"].as_array().map(Vec::len), Some(20));
    assert_eq!(first["rows"].as_array().map(Vec::len), Some(2));
    let newest = first["times"][0].as_str().expect("a time");
    let second = console(&bench, &format!("pipelines/{pipeline}/runs?page=1")).await;
    assert!(second["times"][0].as_str().expect("a time") < newest);
    let last = console(
        &bench,
        &format!("pipelines/{pipeline}/runs?page=99999&size=100000"),
    )
    .await;
    assert_eq!(last["size"], 100, "a page is at most 100 times wide");
    assert_eq!(
        last["page"].as_u64(),
        last["pages"].as_u64().map(|pages| pages - 1)
    );
    bench.service.shutdown().await;
}

#[tokio::test]
async fn the_console_is_read_only_and_says_what_it_does_not_know() {
    let bench = bench().await;
    let base = bench.service.console_url();
    let page = http().get(&base).send().await.expect("the page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("app.js"));
    let bare = http()
        .get(base.trim_end_matches('/'))
        .send()
        .await
        .expect("the bare prefix");
    assert_eq!(bare.url().path(), "/console/", "redirected to the page");
    let post = http()
        .post(format!("{base}api/pipelines"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(post.status(), 405);
    let missing = http()
        .get(format!("{base}api/pipelines/df-NOSUCHPIPELINE00000/graph"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .expect("a body")
        .contains("df-NOSUCHPIPELINE00000"));
    let bad = http()
        .get(format!("{base}api/pipelines/%zz/graph"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(bad.status(), 400);
    bench.service.shutdown().await;
}
