//! SqlActivity end to end on both engines.

use taskrunner_sql::{Object, Objects, RdsEndpoints, SqlScript, Store};

use crate::support::objects::{jdbc_database, jdbc_database_with_password};
use crate::support::{both, Server, PASSWORD, USER};

fn attempt() -> Object {
    Object::new("@Sql_1")
        .with("type", "SqlActivity")
        .with("database", "Db")
}

async fn run(server: &Server, attempt: Object) -> Result<usize, taskrunner_sql::ScriptError> {
    run_with_database(attempt, jdbc_database(server)).await
}

async fn run_with_database(
    attempt: Object,
    database: Object,
) -> Result<usize, taskrunner_sql::ScriptError> {
    let objects = Objects::new(attempt, [database]);
    let scratch = tempfile::tempdir().expect("tempdir");
    SqlScript::from_objects(&objects, &RdsEndpoints::new())?
        .run(&Store::default(), scratch.path())
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn several_statements_with_arguments_on_both_engines() {
    for server in both().await {
        let script = "CREATE TABLE scores (name VARCHAR(20), score INT);\n\
                      -- a comment; with a semicolon and a ?\n\
                      INSERT INTO scores VALUES ('semi;colon', 1);\n\
                      INSERT INTO scores VALUES (?, ?), (?, ?);";
        let attempt = attempt()
            .with("script", script)
            .with("scriptArgument", "it's")
            .with("scriptArgument", "2")
            .with("scriptArgument", "b")
            .with("scriptArgument", "3");
        assert_eq!(run(&server, attempt).await.expect("script runs"), 3);
        let rows = server
            .rows("SELECT name FROM scores WHERE score > 1 ORDER BY score")
            .await;
        assert_eq!(
            rows,
            vec![vec![Some("it's".to_owned())], vec![Some("b".to_owned())]],
            "{server:?}"
        );
        assert_eq!(server.count("scores").await, 3);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_statement_reports_the_database_code_and_keeps_earlier_ones() {
    for server in both().await {
        let attempt = attempt().with(
            "script",
            "CREATE TABLE kept (x INT); INSERT INTO missing_table VALUES (1); CREATE TABLE never (x INT)",
        );
        let error = run(&server, attempt).await.expect_err("the insert fails");
        assert_eq!(error.error_id(), "SqlStatementFailed");
        let message = error.to_string();
        let code = match server {
            Server::Postgres(_) => "42P01",
            Server::MariaDb(_) => "1146 (42S02)",
        };
        assert!(
            message.starts_with("statement 2 of 3 failed: "),
            "{message}"
        );
        assert!(message.contains(code), "{message}");
        assert!(message.contains("missing_table"), "{message}");
        assert_eq!(server.count("kept").await, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn arguments_must_match_the_placeholders() {
    let server = Server::postgres().await;
    let attempt = attempt()
        .with("script", "SELECT ?")
        .with("scriptArgument", "1")
        .with("scriptArgument", "2");
    let error = run(&server, attempt).await.expect_err("mismatch");
    assert_eq!(error.error_id(), "SqlScriptArgumentsMismatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_from_a_uri() {
    let server = Server::mariadb().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("script.sql");
    std::fs::write(
        &script,
        "CREATE TABLE t (x INT);\nINSERT INTO t VALUES (7);\n",
    )
    .expect("write");
    let attempt = attempt().with("scriptUri", format!("file://{}", script.display()));
    assert_eq!(run(&server, attempt).await.expect("runs"), 2);
    assert_eq!(server.count("t").await, 1);
    let missing = self::attempt().with("scriptUri", "s3://bucket/script.sql");
    let error = run(&server, missing).await.expect_err("no s3");
    assert_eq!(error.error_id(), "S3NotConfigured");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_names_the_login_but_never_the_password() {
    for server in both().await {
        let wrong = "Wrong-Secret-4711";
        let attempt = attempt().with("script", "SELECT 1");
        let error = run_with_database(attempt, jdbc_database_with_password(&server, wrong))
            .await
            .expect_err("login refused");
        assert_eq!(error.error_id(), "DatabaseConnectFailed");
        let message = error.to_string();
        let port = server.port();
        assert!(
            message.contains(&format!("127.0.0.1:{port}")) && message.contains(USER),
            "{message}"
        );
        assert!(message.contains("`pipeline`"), "{message}");
        assert!(
            !message.contains(wrong) && !message.contains(PASSWORD),
            "{message}"
        );
        assert!(!format!("{error:?}").contains(wrong), "{error:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_host_fails_with_the_address() {
    let port = crate::support::process::free_port();
    let database = Object::new("Db")
        .with("type", "JdbcDatabase")
        .with(
            "connectionString",
            format!("jdbc:postgresql://127.0.0.1:{port}/x"),
        )
        .with("username", USER)
        .with("*password", PASSWORD);
    let error = run_with_database(attempt().with("script", "SELECT 1"), database)
        .await
        .expect_err("nothing listens");
    assert_eq!(error.error_id(), "DatabaseConnectFailed");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");
}

#[tokio::test]
async fn other_drivers_are_not_built_in() {
    let database = Object::new("Db")
        .with("type", "JdbcDatabase")
        .with("connectionString", "jdbc:sqlserver://db:1433")
        .with("username", USER);
    let error = run_with_database(attempt().with("script", "SELECT 1"), database)
        .await
        .expect_err("sqlserver");
    assert_eq!(error.error_id(), "JdbcDriverNotBuiltIn");
    assert!(error.to_string().contains("MySQL/MariaDB"), "{error}");
}
