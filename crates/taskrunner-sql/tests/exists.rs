//! `table_exists`: the `Exists` precondition on SQL data nodes, against real
//! PostgreSQL and MariaDB servers.

use taskrunner_sql::{table_exists, Object, Objects, RdsEndpoints};

use crate::support::objects::{jdbc_database, jdbc_database_with_password};
use crate::support::{both, process, PASSWORD, USER};

/// The objects of an `Exists` attempt performed for the node `Table`.
fn objects(node: Object, database: Object) -> Objects {
    let attempt = Object::new("@Ready_1")
        .with("type", "Exists")
        .with("node", "Table");
    Objects::new(attempt, [node, database])
}

fn node(node_type: &str, table: &str) -> Object {
    Object::new("Table")
        .with("type", node_type)
        .with("table", table)
        .with("database", "Db")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_is_there_once_created_and_empty_tables_count() {
    let rds = RdsEndpoints::new();
    for (server, node_type) in both().await.iter().zip(["SqlDataNode", "MySqlDataNode"]) {
        let check = |table: &str| objects(node(node_type, table), jdbc_database(server));
        assert!(
            !table_exists(&check("ad_events"), "Table", &rds)
                .await
                .expect("asked"),
            "{node_type}: not created yet"
        );
        server.exec("CREATE TABLE ad_events (id INT)").await;
        for table in ["ad_events", "pipeline.ad_events"] {
            let schema_table = if matches!(server, crate::support::Server::Postgres(_)) {
                table.replace("pipeline.", "public.")
            } else {
                table.to_owned()
            };
            assert!(
                table_exists(&check(&schema_table), "Table", &rds)
                    .await
                    .expect("asked"),
                "{node_type}: {schema_table} exists, empty"
            );
        }
        let with_schema = node(node_type, "ad_events").with(
            "schemaName",
            if node_type == "SqlDataNode" {
                "public"
            } else {
                "pipeline"
            },
        );
        assert!(
            table_exists(&objects(with_schema, jdbc_database(server)), "Table", &rds)
                .await
                .expect("asked")
        );
        assert!(!table_exists(&check("other_table"), "Table", &rds)
            .await
            .expect("asked"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_cannot_be_reached_fails_without_the_password() {
    let rds = RdsEndpoints::new();
    for server in both().await {
        let wrong = "Wrong-Secret-0815";
        let check = objects(
            node("SqlDataNode", "t"),
            jdbc_database_with_password(&server, wrong),
        );
        let error = table_exists(&check, "Table", &rds)
            .await
            .expect_err("login refused");
        assert_eq!(error.error_id(), "DatabaseConnectFailed");
        let message = error.to_string();
        assert!(
            message.contains(&format!("127.0.0.1:{}", server.port())) && message.contains(USER),
            "{message}"
        );
        assert!(
            !message.contains(wrong) && !message.contains(PASSWORD),
            "{message}"
        );
    }
    let port = process::free_port();
    let nowhere = Object::new("Db")
        .with("type", "JdbcDatabase")
        .with(
            "connectionString",
            format!("jdbc:mysql://127.0.0.1:{port}/x"),
        )
        .with("username", USER)
        .with("*password", PASSWORD);
    let error = table_exists(&objects(node("MySqlDataNode", "t"), nowhere), "Table", &rds)
        .await
        .expect_err("nothing listens");
    assert_eq!(error.error_id(), "DatabaseConnectFailed");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn a_node_without_a_table_is_a_field_error() {
    let node = Object::new("Table")
        .with("type", "SqlDataNode")
        .with("database", "Db");
    let database = Object::new("Db")
        .with("type", "JdbcDatabase")
        .with("connectionString", "jdbc:postgresql://127.0.0.1:1/x")
        .with("username", USER);
    let error = table_exists(&objects(node, database), "Table", &RdsEndpoints::new())
        .await
        .expect_err("no table");
    assert_eq!(error.error_id(), "InvalidSqlTaskFields");
    assert!(error.to_string().contains("`table`"), "{error}");
}
