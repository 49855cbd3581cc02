//! Run mode resolves an `RdsDatabase` through the RDS API with the runner's
//! own credentials and region (its flags), and honours the SDK's
//! `AWS_ENDPOINT_URL_RDS`: here pointed at a local RDS Query-protocol server
//! whose instance is a real PostgreSQL started by the test.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use support::*;
use taskrunner_sql::testkit::{postgres, DATABASE, PASSWORD, USER};

#[allow(dead_code)]
#[path = "../crates/taskrunner-sql/tests/rds/fake_rds.rs"]
mod fake_rds;

use fake_rds::{seen, FakeRds, Instance, ACCESS_KEY};

/// How long a short SQL task may take, poll to report.
const TASK_LIMIT: Duration = Duration::from_secs(30);

fn rds_database(id: &str, instance: &str) -> aws_sdk_datapipeline::types::PipelineObject {
    object(
        id,
        vec![
            string("type", "RdsDatabase"),
            string("rdsInstanceId", instance),
            string("username", USER),
            string("*password", PASSWORD),
        ],
    )
}

fn sql_activity(id: &str, database: &str) -> aws_sdk_datapipeline::types::PipelineObject {
    object(
        id,
        vec![
            string("type", "SqlActivity"),
            reference("database", database),
            string(
                "script",
                "CREATE TABLE shipped (id INT); INSERT INTO shipped VALUES (1), (2)",
            ),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_mode_resolves_rds_instances_with_the_runners_credentials() {
    let database = postgres::PostgresServer::start().await;
    let fake = FakeRds::start(HashMap::from([(
        "orders-pg",
        Instance::Available {
            engine: "postgres",
            port: database.port(),
            db_name: Some(DATABASE),
        },
    )]))
    .await;
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "sql-rds",
        vec![
            on_demand_default("rds"),
            rds_database("Orders", "orders-pg"),
            rds_database("Gone", "missing-db"),
            sql_activity("Load", "Orders"),
            sql_activity("Missing", "Gone"),
        ],
    )
    .await;
    let mut arguments: Vec<String> = [
        "--endpoint",
        &service.url(),
        "--workerGroup",
        "rds",
        "--accessId",
        ACCESS_KEY,
        "--secretKey",
        "runner-secret-key",
        "--region",
        "us-east-1",
    ]
    .iter()
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[("AWS_ENDPOINT_URL_RDS", &fake.url)]);

    for (component, expected) in [("Load", "FINISHED"), ("Missing", "FAILED")] {
        let status = wait_for_status(
            &service.client,
            &pipeline,
            component,
            &["FINISHED", "FAILED"],
            TASK_LIMIT,
        )
        .await;
        assert_eq!(status, expected, "{component}: {}", runner.output());
    }
    let mut connection = database.connect().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipped")
        .fetch_one(&mut connection)
        .await
        .expect("the table the RDS task made");
    assert_eq!(rows, 2);
    let field = |key| attempt_field(&service.client, &pipeline, "Missing", key);
    assert_eq!(
        field("errorId").await.as_deref(),
        Some("RdsInstanceNotFound")
    );
    let message = field("errorMessage").await.unwrap_or_default();
    assert!(
        message.contains("`missing-db` in region `us-east-1`"),
        "{message}"
    );
    let mut asked = fake.seen();
    asked.sort_by(|a, b| a.instance.cmp(&b.instance));
    assert_eq!(
        asked,
        vec![
            seen("missing-db", "us-east-1"),
            seen("orders-pg", "us-east-1")
        ]
    );
    runner.stop().await;
}
