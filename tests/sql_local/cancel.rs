//! Canceling SQL work through the binary against datapipeline-local: the
//! runner drops the task within the cancel grace, reports nothing for the
//! lease, the statement stops on the server and nothing is committed.

use std::time::{Duration, Instant};

use aws_sdk_datapipeline::types::PipelineObject;
use sqlx::Executor;
use taskrunner_sql::testkit::{mariadb, postgres, TestDatabase, PASSWORD, USER};

use crate::support::*;

/// The runner's `--cancel-grace` in the tests' [`fast_flags`]: a canceled
/// task must be gone within it. The runner learns of the cancel from its
/// next progress report (every 200 ms with those flags), asks the server to
/// stop the statement and drops the task, well inside the grace.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// Rows in each copy's input: at ~1 ms a row, far more than the test waits.
const INPUT_ROWS: usize = 10_000;

/// A `JdbcDatabase` object `Db` for `server`.
fn database(server: &dyn TestDatabase) -> PipelineObject {
    let url = server.connection_string();
    let driver = if url.starts_with("jdbc:postgresql:") {
        "org.postgresql.Driver"
    } else {
        "com.mysql.jdbc.Driver"
    };
    object(
        "Db",
        vec![
            string("type", "JdbcDatabase"),
            string("connectionString", &url),
            string("jdbcDriverClass", driver),
            string("username", USER),
            string("*password", PASSWORD),
        ],
    )
}

/// A CopyActivity `Copy` of `input` (a local CSV file) into `table` of `Db`.
fn copy_objects(input: &std::path::Path, table: &str) -> Vec<PipelineObject> {
    vec![
        object(
            "In",
            vec![
                string("type", "S3DataNode"),
                string("filePath", &display(input)),
            ],
        ),
        object(
            "Out",
            vec![
                string("type", "SqlDataNode"),
                string("table", table),
                reference("database", "Db"),
            ],
        ),
        object(
            "Copy",
            vec![
                string("type", "CopyActivity"),
                reference("input", "In"),
                reference("output", "Out"),
            ],
        ),
    ]
}

/// A CSV of [`INPUT_ROWS`] rows `id,row id` in `dir`.
fn input_file(dir: &std::path::Path) -> std::path::PathBuf {
    let input = dir.join("rows.csv");
    let rows: String = (0..INPUT_ROWS)
        .map(|id| format!("{id},row {id}\n"))
        .collect();
    std::fs::write(&input, rows).expect("the input");
    input
}

/// Waits (up to 60 s) until `midway` answers true, the runner still running.
async fn until_midway<F, Fut>(runner: &mut Taskrunner, what: &str, mut midway: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !midway().await {
        assert!(
            Instant::now() < deadline && runner.try_status().is_none(),
            "{what} did not get going: {}",
            runner.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Cancels `pipeline` (deactivate with `cancelActive`) and waits for the
/// runner to drop its task, which must happen within [`CANCEL_GRACE`];
/// answers when the cancel was sent.
async fn cancel(service: &Service, pipeline: &str, runner: &Taskrunner) -> Instant {
    service
        .client
        .deactivate_pipeline()
        .pipeline_id(pipeline)
        .cancel_active(true)
        .send()
        .await
        .expect("deactivate");
    let canceled = Instant::now();
    while !runner.stderr().contains(r#"outcome="cancelled""#) {
        assert!(
            canceled.elapsed() < CANCEL_GRACE,
            "the task still runs {:?} after the cancel: {}",
            canceled.elapsed(),
            runner.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("the task stopped {:?} after the cancel", canceled.elapsed());
    canceled
}

/// The service marks `component` CANCELED itself, the runner keeps running
/// and, once stopped, has sent no SetTaskStatus and logged no password.
async fn ends_canceled_unreported(
    service: &Service,
    pipeline: &str,
    component: &str,
    mut runner: Taskrunner,
) {
    let status = wait_for_status(
        &service.client,
        pipeline,
        component,
        &["CANCELED", "FINISHED", "FAILED"],
        CANCEL_GRACE,
    )
    .await;
    assert_eq!(status, "CANCELED", "{}", runner.output());
    assert!(runner.try_status().is_none(), "the runner keeps running");
    runner.stop().await;
    assert_eq!(
        service.handle.audit().statuses_accepted,
        0,
        "a canceled task gets no SetTaskStatus: {}",
        runner.output()
    );
    assert!(!runner.output().contains(PASSWORD));
}

/// A CopyActivity loading into PostgreSQL, slowed to ~1 ms a row by a
/// trigger, is canceled after the COPY has stored 500 rows: it stops within
/// the grace, unreported, its session ends at once (the server stops the
/// COPY when asked, rather than when it notices the closed connection) and
/// the table holds no row of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_into_postgres_canceled_midway_stops_unreported_and_commits_nothing() {
    let (service, postgres) = tokio::join!(service(), postgres::PostgresServer::start());
    let mut admin = postgres.connect().await;
    admin
        .execute(sqlx::raw_sql(
            "CREATE TABLE target (id INT, name TEXT);
             CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$;
             CREATE TRIGGER slow BEFORE INSERT ON target
               FOR EACH ROW EXECUTE FUNCTION slow_row();",
        ))
        .await
        .expect("the target table");
    let temp = tempfile::tempdir().expect("a temp dir");
    let mut objects = vec![on_demand_default("pg-copy-cancel"), database(&postgres)];
    objects.extend(copy_objects(&input_file(temp.path()), "target"));
    let pipeline = submit(&service.client, "pg-copy-cancel", objects).await;
    let mut runner = Taskrunner::against(&service, "pg-copy-cancel", &[]);

    until_midway(&mut runner, "the COPY", || async {
        let stored: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(tuples_processed), 0) FROM pg_stat_progress_copy",
        )
        .fetch_one(&mut postgres.connect().await)
        .await
        .expect("the COPY's progress");
        stored >= 500
    })
    .await;
    let canceled = cancel(&service, &pipeline, &runner).await;

    let sessions = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'taskrunner'";
    loop {
        let open: i64 = sqlx::query_scalar(sessions)
            .fetch_one(&mut admin)
            .await
            .expect("the sessions");
        if open == 0 {
            break;
        }
        assert!(
            canceled.elapsed() < CANCEL_GRACE,
            "the copy's database session is still open {:?} after the cancel",
            canceled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM target")
        .fetch_one(&mut admin)
        .await
        .expect("count");
    assert_eq!(count, 0, "a canceled copy commits nothing");
    ends_canceled_unreported(&service, &pipeline, "Copy", runner).await;
}

/// The same into MariaDB (batched INSERTs in one transaction), slowed by a
/// trigger that sleeps 1 ms a row: canceled once 500 rows are in the open
/// transaction, it stops within the grace, unreported, and the table holds
/// no row of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_into_mariadb_canceled_midway_stops_unreported_and_commits_nothing() {
    let (service, mariadb) = tokio::join!(service(), mariadb::MariaDbServer::start());
    let mut admin = mariadb.connect().await;
    admin
        .execute(sqlx::raw_sql(
            "CREATE TABLE target (id INT, name VARCHAR(40)) ENGINE = InnoDB;
             CREATE TRIGGER slow BEFORE INSERT ON target
               FOR EACH ROW SET @slept = SLEEP(0.001);",
        ))
        .await
        .expect("the target table");
    let temp = tempfile::tempdir().expect("a temp dir");
    let mut objects = vec![on_demand_default("maria-copy-cancel"), database(&mariadb)];
    objects.extend(copy_objects(&input_file(temp.path()), "target"));
    let pipeline = submit(&service.client, "maria-copy-cancel", objects).await;
    let mut runner = Taskrunner::against(&service, "maria-copy-cancel", &[]);

    // Rows in the copy's open transaction are seen only by a reader that
    // reads uncommitted data.
    let mut reader = mariadb.connect().await;
    reader
        .execute("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
        .await
        .expect("read uncommitted");
    let reader = std::sync::Arc::new(tokio::sync::Mutex::new(reader));
    until_midway(&mut runner, "the INSERTs", || {
        let reader = reader.clone();
        async move {
            let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM target")
                .fetch_one(&mut *reader.lock().await)
                .await
                .expect("the rows so far");
            stored >= 500
        }
    })
    .await;
    let canceled = cancel(&service, &pipeline, &runner).await;

    // The copy's connection ends, and with it its transaction.
    let sessions = format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{USER}' AND ID <> CONNECTION_ID()"
    );
    loop {
        let open: i64 = sqlx::query_scalar(&sessions)
            .fetch_one(&mut admin)
            .await
            .expect("the sessions");
        // The test's own reader stays connected.
        if open <= 1 {
            break;
        }
        assert!(
            canceled.elapsed() < CANCEL_GRACE,
            "the copy's database session is still open {:?} after the cancel",
            canceled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM target")
        .fetch_one(&mut *reader.lock().await)
        .await
        .expect("count");
    assert_eq!(count, 0, "a canceled copy commits nothing");
    ends_canceled_unreported(&service, &pipeline, "Copy", runner).await;
}

/// A SqlActivity running a minute-long sleep, on PostgreSQL and on MariaDB,
/// is canceled once the statement runs: the runner drops it within the
/// grace, unreported, and the statement no longer runs on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canceled_sql_activity_stops_its_statement_on_the_server() {
    let (service, postgres, mariadb) = tokio::join!(
        service(),
        postgres::PostgresServer::start(),
        mariadb::MariaDbServer::start()
    );
    let engines: [(&str, &dyn TestDatabase, &str); 2] = [
        ("pg-sql-cancel", &postgres, "SELECT pg_sleep(60)"),
        ("maria-sql-cancel", &mariadb, "SELECT SLEEP(60)"),
    ];
    for (name, server, statement) in engines {
        let pipeline = submit(
            &service.client,
            name,
            vec![
                on_demand_default(name),
                database(server),
                object(
                    "Sleep",
                    vec![
                        string("type", "SqlActivity"),
                        reference("database", "Db"),
                        string("script", statement),
                    ],
                ),
            ],
        )
        .await;
        let mut runner = Taskrunner::against(&service, name, &[]);
        let running = || async {
            if name.starts_with("pg") {
                running_on_postgres(&postgres, statement).await
            } else {
                running_on_mariadb(&mariadb, statement).await
            }
        };
        until_midway(&mut runner, statement, &running).await;
        let canceled = cancel(&service, &pipeline, &runner).await;
        while running().await {
            assert!(
                canceled.elapsed() < CANCEL_GRACE,
                "`{statement}` still runs on the server {:?} after the cancel",
                canceled.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ends_canceled_unreported(&service, &pipeline, "Sleep", runner).await;
    }
}

async fn running_on_postgres(server: &postgres::PostgresServer, statement: &str) -> bool {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity \
         WHERE query = $1 AND state = 'active' AND pid <> pg_backend_pid()",
    )
    .bind(statement)
    .fetch_one(&mut server.connect().await)
    .await
    .expect("pg_stat_activity");
    count > 0
}

async fn running_on_mariadb(server: &mariadb::MariaDbServer, statement: &str) -> bool {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
         WHERE INFO = ? AND ID <> CONNECTION_ID()",
    )
    .bind(statement)
    .fetch_one(&mut server.connect().await)
    .await
    .expect("the process list");
    count > 0
}
