//! `sql-copy`: CopyActivity's S3 → PostgreSQL, S3 → MariaDB and
//! PostgreSQL → S3 against the engines' own bulk tools on the same file,
//! in the same run.
//!
//! - **native**: `psql -c "\copy … FROM 'file' (FORMAT csv)"` and
//!   `mariadb -e "LOAD DATA LOCAL INFILE 'file' …"`, and for the export
//!   `psql -c "\copy … TO 'file' (FORMAT csv)"`: what the engine's client
//!   does with the file, the ceiling for any loader.
//! - **runner**: `taskrunner-sql`'s `CopyJob` (what the binary's
//!   CopyActivity runs), in this process, from a local CSV file into the
//!   same table, and from the table to a local file. The "S3" side is a
//!   local path here, so the figures are the copy's own cost, without
//!   network transfer.
//!
//! Both servers are started by the suite (`taskrunner_sql::testkit`) in
//! temp directories and stopped at the end. The bench process's peak RSS
//! after the runner's copies is the runner's memory bound: the copy streams
//! record by record, so it must not grow with the row count.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context as _};
use taskrunner_sql::testkit::{MariaDbServer, PostgresServer, TestDatabase, PASSWORD, USER};
use taskrunner_sql::{CopyJob, Object, Objects, RdsEndpoints, Store};

use crate::measure::{mebibytes, Memory};
use crate::report::{Figure, Target};
use crate::suite::{Options, Suite, SuiteReport};

/// Rows in a full run (about 80 MB of CSV).
const FULL_ROWS: usize = 1_000_000;
/// With `--quick`.
const QUICK_ROWS: usize = 50_000;
/// The project's target: the runner's rows/s over the native tool's.
const TARGET_RATIO: f64 = 0.5;
/// The project's target for the runner's peak RSS.
const TARGET_PEAK_MIB: f64 = 64.0;

const TABLE: &str =
    "CREATE TABLE events (id INT PRIMARY KEY, host VARCHAR(40), metric VARCHAR(40), value VARCHAR(20), note VARCHAR(40))";

/// The `sql-copy` suite.
#[derive(Debug)]
pub(crate) struct SqlCopy;

impl Suite for SqlCopy {
    fn name(&self) -> &'static str {
        "sql-copy"
    }

    fn summary(&self) -> &'static str {
        "CopyActivity S3 -> PostgreSQL/MariaDB and PostgreSQL -> S3 vs psql \\copy and LOAD DATA LOCAL"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let rows = options.tasks_or(QUICK_ROWS, FULL_ROWS)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot build a tokio runtime")?;
        runtime.block_on(measure(rows))
    }
}

async fn measure(rows: usize) -> anyhow::Result<SuiteReport> {
    let dir = tempfile::tempdir().context("cannot create a temp dir")?;
    let csv = dir.path().join("events.csv");
    let bytes = write_csv(&csv, rows)?;
    eprintln!("sql-copy: {rows} rows, {bytes} bytes of CSV; starting PostgreSQL and MariaDB");
    let (postgres, mariadb) = tokio::join!(PostgresServer::start(), MariaDbServer::start());
    psql(&postgres, TABLE)?;
    mariadb_cli(&mariadb, TABLE)?;
    let path = csv.display().to_string();

    let mut figures = Vec::new();
    let mut peak = Memory::of(std::process::id())?.peak_kib;

    // S3 -> PostgreSQL.
    let native = timed(|| {
        psql(
            &postgres,
            &format!("\\copy events FROM '{path}' WITH (FORMAT csv)"),
        )
    })?;
    psql(&postgres, "TRUNCATE events")?;
    let runner = timed_async(copy(&postgres, "In", &path, "Out", &dir.path().join("s1"))).await?;
    check_count(rows, psql_count(&postgres)?)?;
    peak = peak.max(Memory::of(std::process::id())?.peak_kib);
    push(&mut figures, "S3 -> PostgreSQL", rows, native, runner);

    // PostgreSQL -> S3.
    let native_out = dir.path().join("native-out.csv");
    let native = timed(|| {
        psql(
            &postgres,
            &format!(
                "\\copy events TO '{}' WITH (FORMAT csv)",
                native_out.display()
            ),
        )
    })?;
    let runner_out = dir.path().join("runner-out.csv");
    let runner = timed_async(export(&postgres, &runner_out, &dir.path().join("s2"))).await?;
    ensure!(
        std::fs::metadata(&runner_out).map(|m| m.len()).unwrap_or(0) > 0,
        "the export wrote nothing"
    );
    push(&mut figures, "PostgreSQL -> S3", rows, native, runner);

    // S3 -> MariaDB.
    let native = timed(|| {
        mariadb_cli(
            &mariadb,
            &format!("LOAD DATA LOCAL INFILE '{path}' INTO TABLE events FIELDS TERMINATED BY ','"),
        )
    })?;
    mariadb_cli(&mariadb, "TRUNCATE events")?;
    let runner = timed_async(copy(&mariadb, "In", &path, "Out", &dir.path().join("s3"))).await?;
    peak = peak.max(Memory::of(std::process::id())?.peak_kib);
    push(&mut figures, "S3 -> MariaDB", rows, native, runner);

    figures.push(Figure::with_target(
        "runner peak RSS (bench process VmHWM)",
        mebibytes(peak),
        "MiB",
        Target::AtMost(TARGET_PEAK_MIB),
    ));
    Ok(SuiteReport {
        figures,
        notes: vec![format!(
            "{rows} rows, {:.1} MB of CSV; the runner's side is CopyJob in the bench process with local files for S3",
            bytes as f64 / 1e6
        )],
    })
}

fn push(figures: &mut Vec<Figure>, what: &str, rows: usize, native: f64, runner: f64) {
    let native_rate = rows as f64 / native;
    let runner_rate = rows as f64 / runner;
    figures.push(Figure::info(
        format!("{what}: native rows/s"),
        native_rate,
        "rows/s",
    ));
    figures.push(Figure::info(
        format!("{what}: runner rows/s"),
        runner_rate,
        "rows/s",
    ));
    figures.push(Figure::with_target(
        format!("{what}: runner / native"),
        runner_rate / native_rate,
        "x",
        Target::AtLeast(TARGET_RATIO),
    ));
}

/// Writes `rows` CSV records to `path`; returns the bytes written.
fn write_csv(path: &Path, rows: usize) -> anyhow::Result<u64> {
    let file = std::fs::File::create(path).context("cannot create the CSV")?;
    let mut out = std::io::BufWriter::new(file);
    for id in 1..=rows {
        writeln!(
            out,
            "{id},host-{:04}.example.internal,cpu.utilization,{}.{:02},sample {id}",
            id % 997,
            id % 100,
            id % 97
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn database(server: &dyn TestDatabase) -> Object {
    Object::new("Db")
        .with("type", "JdbcDatabase")
        .with("connectionString", server.connection_string())
        .with("username", USER)
        .with("*password", PASSWORD)
}

async fn copy(
    server: &dyn TestDatabase,
    input: &str,
    path: &str,
    output: &str,
    scratch: &Path,
) -> anyhow::Result<()> {
    let attempt = Object::new("@Copy")
        .with("type", "CopyActivity")
        .with("input", input)
        .with("output", output);
    let objects = Objects::new(
        attempt,
        [
            Object::new(input)
                .with("type", "S3DataNode")
                .with("filePath", path),
            Object::new(output)
                .with("type", "SqlDataNode")
                .with("table", "events")
                .with("database", "Db"),
            database(server),
        ],
    );
    CopyJob::from_objects(&objects, &RdsEndpoints::new())?
        .run(&Store::default(), scratch)
        .await?;
    Ok(())
}

async fn export(server: &dyn TestDatabase, target: &Path, scratch: &Path) -> anyhow::Result<()> {
    let attempt = Object::new("@Copy")
        .with("type", "CopyActivity")
        .with("input", "In")
        .with("output", "Out");
    let objects = Objects::new(
        attempt,
        [
            Object::new("In")
                .with("type", "SqlDataNode")
                .with("table", "events")
                .with("database", "Db"),
            Object::new("Out")
                .with("type", "S3DataNode")
                .with("filePath", target.display().to_string()),
            database(server),
        ],
    );
    CopyJob::from_objects(&objects, &RdsEndpoints::new())?
        .run(&Store::default(), scratch)
        .await?;
    Ok(())
}

fn timed(work: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let started = Instant::now();
    work()?;
    Ok(started.elapsed().as_secs_f64())
}

async fn timed_async(
    work: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    work.await?;
    Ok(started.elapsed().as_secs_f64())
}

fn run_client(mut command: Command, what: &str) -> anyhow::Result<String> {
    let output = command.output().with_context(|| {
        format!("cannot run {what} (Debian: postgresql-client, mariadb-client)")
    })?;
    ensure!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn psql(server: &PostgresServer, sql: &str) -> anyhow::Result<()> {
    psql_output(server, sql).map(drop)
}

fn psql_output(server: &PostgresServer, sql: &str) -> anyhow::Result<String> {
    let mut command = Command::new("psql");
    command
        .env("PGPASSWORD", PASSWORD)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port().to_string(),
            "-U",
            USER,
        ])
        .args([
            "-d",
            taskrunner_sql::testkit::DATABASE,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
            "-c",
            sql,
        ]);
    run_client(command, "psql")
}

fn psql_count(server: &PostgresServer) -> anyhow::Result<usize> {
    psql_output(server, "SELECT COUNT(*) FROM events")?
        .trim()
        .parse()
        .context("psql's count is not a number")
}

fn mariadb_cli(server: &MariaDbServer, sql: &str) -> anyhow::Result<()> {
    let mut command = Command::new("mariadb");
    command
        .env("MYSQL_PWD", PASSWORD)
        .args(["--no-defaults", "--local-infile=1", "-h", "127.0.0.1"])
        .args(["-P", &server.port().to_string(), "-u", USER])
        .args([taskrunner_sql::testkit::DATABASE, "-e", sql]);
    run_client(command, "mariadb").map(drop)
}

fn check_count(expected: usize, found: usize) -> anyhow::Result<()> {
    ensure!(
        found == expected,
        "{found} rows loaded, {expected} expected"
    );
    Ok(())
}
