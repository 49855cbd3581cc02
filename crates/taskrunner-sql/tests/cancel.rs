//! Canceling a SqlActivity stops its statement on the server, where merely
//! closing the connection does not.

use std::time::{Duration, Instant};

use taskrunner_activity::{Activity, TaskContext};
use taskrunner_api::{CancelReason, Cancellation, Field, Task, TaskObject};
use taskrunner_sql::{
    CopyActivity, Object, Objects, RdsEndpoints, SqlActivity, SqlConfig, SqlScript, Store,
};

use crate::support::{both, Server, TestDatabase, PASSWORD, USER};

/// A statement that runs for a minute on `server`'s engine.
fn long_statement(server: &Server) -> &'static str {
    match server {
        Server::Postgres(_) => "SELECT pg_sleep(60)",
        Server::MariaDb(_) => "SELECT SLEEP(60)",
    }
}

/// The engine's name, for messages.
fn engine(server: &Server) -> &'static str {
    match server {
        Server::Postgres(_) => "PostgreSQL",
        Server::MariaDb(_) => "MariaDB",
    }
}

/// How many sessions other than the asking one run a statement containing
/// `statement`.
async fn running(server: &Server, statement: &str) -> i64 {
    match server {
        Server::Postgres(server) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE strpos(query, $1) > 0 AND state = 'active' AND pid <> pg_backend_pid()",
        )
        .bind(statement)
        .fetch_one(&mut server.connect().await)
        .await
        .expect("pg_stat_activity"),
        Server::MariaDb(server) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE LOCATE(?, INFO) > 0 AND ID <> CONNECTION_ID()",
        )
        .bind(statement)
        .fetch_one(&mut server.connect().await)
        .await
        .expect("the process list"),
    }
}

/// Waits until `statement` runs on `server` (or fails the test after 20 s).
async fn until_running(server: &Server, statement: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while running(server, statement).await == 0 {
        assert!(Instant::now() < deadline, "`{statement}` never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits up to `limit` for `statement` to stop running on `server`;
/// answers whether it did.
async fn stops_within(server: &Server, statement: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if running(server, statement).await == 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The reason for the server-side cancel: a client that closes its
/// connection leaves the statement running (PostgreSQL without
/// `client_connection_check_interval`, MariaDB until it next writes).
#[tokio::test(flavor = "multi_thread")]
async fn closing_the_connection_leaves_the_statement_running() {
    for server in both().await {
        let statement = long_statement(&server);
        let objects = Objects::new(
            Object::new("@Sql_1")
                .with("type", "SqlActivity")
                .with("database", "Db")
                .with("script", statement),
            [crate::support::objects::jdbc_database(&server)],
        );
        let script = SqlScript::from_objects(&objects, &RdsEndpoints::new()).expect("the script");
        let scratch = tempfile::tempdir().expect("tempdir");
        let store = Store::default();
        let run = script.run(&store, scratch.path());
        tokio::select! {
            _ = run => panic!("a minute-long statement ended early on {}", engine(&server)),
            () = until_running(&server, statement) => {}
        }
        // The run's future, and with it the connection, is gone now.
        assert!(
            !stops_within(&server, statement, Duration::from_secs(1)).await,
            "{} stopped the statement of a closed connection: the server-side cancel may be unneeded",
            engine(&server)
        );
    }
}

/// A SqlActivity task whose attempt runs `statement` on `server`.
fn task(server: &Server, statement: &str) -> Task {
    let attempt = TaskObject::new("@Sql_1", "Sql")
        .with_field(Field::string("type", "SqlActivity"))
        .with_field(Field::reference("database", "Db"))
        .with_field(Field::string("script", statement));
    Task::new("task-1", "df-cancel", "@Sql_1")
        .with_object(attempt)
        .with_object(database(server))
}

/// A CopyActivity task exporting the rows of `query` on `server` to a file
/// under `dir`.
fn export_task(server: &Server, query: &str, dir: &std::path::Path) -> Task {
    let attempt = TaskObject::new("@Export_1", "Export")
        .with_field(Field::string("type", "CopyActivity"))
        .with_field(Field::reference("input", "Rows"))
        .with_field(Field::reference("output", "File"));
    let rows = TaskObject::new("Rows", "Rows")
        .with_field(Field::string("type", "SqlDataNode"))
        .with_field(Field::string("table", "unused"))
        .with_field(Field::string("selectQuery", query))
        .with_field(Field::reference("database", "Db"));
    let file = TaskObject::new("File", "File")
        .with_field(Field::string("type", "S3DataNode"))
        .with_field(Field::string(
            "filePath",
            dir.join("rows.csv").display().to_string(),
        ));
    Task::new("task-2", "df-cancel", "@Export_1")
        .with_object(attempt)
        .with_object(rows)
        .with_object(file)
        .with_object(database(server))
}

/// The `JdbcDatabase` object `Db` for `server`.
fn database(server: &Server) -> TaskObject {
    TaskObject::new("Db", "Db")
        .with_field(Field::string("type", "JdbcDatabase"))
        .with_field(Field::string(
            "connectionString",
            server.connection_string(),
        ))
        .with_field(Field::string("username", USER))
        .with_field(Field::string("*password", PASSWORD))
}

/// Runs `activity` on `task`, cancels it once `statement` runs on
/// `server`, and checks that it stops within 5 s and the statement within
/// 2 s more.
async fn cancel_midway(
    server: &Server,
    activity: impl Activity + 'static,
    task: Task,
    statement: &str,
) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let cancellation = Cancellation::new();
    let ctx = TaskContext::builder(task)
        .cancellation(cancellation.clone())
        .scratch_root(scratch.path())
        .build();
    let run = tokio::spawn(async move { activity.run(ctx).await });
    until_running(server, statement).await;

    cancellation.trip(CancelReason::CanceledByService);
    let canceled = Instant::now();
    let error = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the activity stops within 5 s of the cancel")
        .expect("the activity's task")
        .expect_err("a canceled activity answers Cancelled");
    assert!(
        error.to_string().contains("stopped"),
        "{}: {error}",
        engine(server)
    );
    assert!(
        stops_within(server, statement, Duration::from_secs(2)).await,
        "{} still runs `{statement}` {:?} after the cancel",
        engine(server),
        canceled.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canceled_sql_activity_stops_its_statement_on_the_server() {
    for server in both().await {
        let statement = long_statement(&server);
        let activity = SqlActivity::new(SqlConfig::default());
        cancel_midway(&server, activity, task(&server, statement), statement).await;
    }
}

/// The copy paths too: an export whose query runs a minute (PostgreSQL's
/// `COPY (query) TO STDOUT`, MySQL's query over the text protocol).
#[tokio::test(flavor = "multi_thread")]
async fn a_canceled_export_stops_its_query_on_the_server() {
    for server in both().await {
        let statement = long_statement(&server);
        let output = tempfile::tempdir().expect("tempdir");
        let activity = CopyActivity::new(SqlConfig::default());
        let task = export_task(&server, statement, output.path());
        cancel_midway(&server, activity, task, statement).await;
        assert!(
            !output.path().join("rows.csv").exists(),
            "a canceled export writes no output"
        );
    }
}
