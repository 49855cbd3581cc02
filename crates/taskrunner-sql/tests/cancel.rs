//! Canceling a SqlActivity stops its statement on the server, where merely
//! closing the connection does not.

use std::time::{Duration, Instant};

use taskrunner_activity::{Activity, TaskContext};
use taskrunner_api::{CancelReason, Cancellation, Field, Task, TaskObject};
use taskrunner_sql::{Object, Objects, RdsEndpoints, SqlActivity, SqlConfig, SqlScript, Store};

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

/// How many sessions other than the asking one run `statement`.
async fn running(server: &Server, statement: &str) -> i64 {
    match server {
        Server::Postgres(server) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE query = $1 AND state = 'active' AND pid <> pg_backend_pid()",
        )
        .bind(statement)
        .fetch_one(&mut server.connect().await)
        .await
        .expect("pg_stat_activity"),
        Server::MariaDb(server) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE INFO = ? AND ID <> CONNECTION_ID()",
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
    let database = TaskObject::new("Db", "Db")
        .with_field(Field::string("type", "JdbcDatabase"))
        .with_field(Field::string(
            "connectionString",
            server.connection_string(),
        ))
        .with_field(Field::string("username", USER))
        .with_field(Field::string("*password", PASSWORD));
    Task::new("task-1", "df-cancel", "@Sql_1")
        .with_object(attempt)
        .with_object(database)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canceled_sql_activity_stops_its_statement_on_the_server() {
    for server in both().await {
        let statement = long_statement(&server);
        let scratch = tempfile::tempdir().expect("tempdir");
        let cancellation = Cancellation::new();
        let ctx = TaskContext::builder(task(&server, statement))
            .cancellation(cancellation.clone())
            .scratch_root(scratch.path())
            .build();
        let activity = SqlActivity::new(SqlConfig::default());
        let run = tokio::spawn(async move { activity.run(ctx).await });
        until_running(&server, statement).await;

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
            engine(&server)
        );
        assert!(
            stops_within(&server, statement, Duration::from_secs(2)).await,
            "{} still runs the canceled statement {:?} after the cancel",
            engine(&server),
            canceled.elapsed()
        );
    }
}
