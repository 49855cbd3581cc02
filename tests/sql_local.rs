//! `taskrunner local` runs SqlActivity and CopyActivity against the
//! databases its definition names: a real PostgreSQL and a real MariaDB
//! started by the test, and the embedded S3 store.

use crate::support;

mod cancel;

use std::time::{Duration, Instant};

use support::*;
use taskrunner_sql::testkit::{mariadb, postgres, TestDatabase, PASSWORD, USER};

/// `Load` runs a script on PostgreSQL, then `Import` copies a CSV from S3
/// into its table, `Export` copies the table to S3 as TSV, and `ToMaria`
/// copies that TSV into MariaDB.
fn definition(postgres: &str, mariadb: &str) -> String {
    format!(
        r#"{{
  "objects": [
    {{ "id": "Default", "name": "Default", "scheduleType": "ondemand",
      "workerGroup": "local", "failureAndRerunMode": "cascade" }},
    {{ "id": "Pg", "name": "Pg", "type": "JdbcDatabase",
      "connectionString": "{postgres}", "jdbcDriverClass": "org.postgresql.Driver",
      "username": "{USER}", "*password": "{PASSWORD}" }},
    {{ "id": "Maria", "name": "Maria", "type": "JdbcDatabase",
      "connectionString": "{mariadb}", "jdbcDriverClass": "com.mysql.jdbc.Driver",
      "username": "{USER}", "*password": "{PASSWORD}" }},
    {{ "id": "Tsv", "name": "Tsv", "type": "TSV" }},
    {{ "id": "CsvIn", "name": "CsvIn", "type": "S3DataNode", "filePath": "s3://data/in.csv" }},
    {{ "id": "PgTable", "name": "PgTable", "type": "SqlDataNode", "table": "scores",
      "database": {{ "ref": "Pg" }}, "selectQuery": "SELECT * FROM scores ORDER BY id" }},
    {{ "id": "TsvOut", "name": "TsvOut", "type": "S3DataNode", "directoryPath": "s3://data/export",
      "dataFormat": {{ "ref": "Tsv" }}, "compression": "none" }},
    {{ "id": "TsvIn", "name": "TsvIn", "type": "S3DataNode",
      "filePath": "s3://data/export/part-00000", "dataFormat": {{ "ref": "Tsv" }} }},
    {{ "id": "MariaTable", "name": "MariaTable", "type": "MySqlDataNode", "table": "scores",
      "database": {{ "ref": "Maria" }} }},
    {{ "id": "Load", "name": "Load", "type": "SqlActivity", "database": {{ "ref": "Pg" }},
      "script": "CREATE TABLE scores (id INT, name TEXT); INSERT INTO scores VALUES (?, ?)",
      "scriptArgument": ["1", "from the script"] }},
    {{ "id": "Import", "name": "Import", "type": "CopyActivity", "dependsOn": {{ "ref": "Load" }},
      "input": {{ "ref": "CsvIn" }}, "output": {{ "ref": "PgTable" }} }},
    {{ "id": "Export", "name": "Export", "type": "CopyActivity", "dependsOn": {{ "ref": "Import" }},
      "input": {{ "ref": "PgTable" }}, "output": {{ "ref": "TsvOut" }} }},
    {{ "id": "MariaSetup", "name": "MariaSetup", "type": "SqlActivity",
      "database": {{ "ref": "Maria" }},
      "script": "CREATE TABLE scores (id INT, name VARCHAR(40))" }},
    {{ "id": "ToMaria", "name": "ToMaria", "type": "CopyActivity",
      "dependsOn": [{{ "ref": "Export" }}, {{ "ref": "MariaSetup" }}],
      "input": {{ "ref": "TsvIn" }}, "output": {{ "ref": "MariaTable" }} }}
  ]
}}"#,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_runs_sql_and_copy_activities_against_real_databases() {
    let (postgres, mariadb) = tokio::join!(
        postgres::PostgresServer::start(),
        mariadb::MariaDbServer::start()
    );
    let run = LocalRun::new(
        "sql.json",
        &definition(&postgres.connection_string(), &mariadb.connection_string()),
    );
    run.put("data/in.csv", "2,Ann\n3,\"Bob, Jr.\"\n");

    let (key, tmpdir) = run.tmpdir_env();
    let mut runner = run_to_end(
        &run.arguments("90s"),
        &[(key, &tmpdir)],
        Duration::from_secs(120),
    )
    .await;

    let output = runner.output();
    assert_eq!(
        runner.try_status().and_then(|status| status.code()),
        Some(0),
        "{output}"
    );
    let export = run.object("data/export/part-00000").unwrap_or_default();
    assert_eq!(
        export, "1\tfrom the script\n2\tAnn\n3\tBob, Jr.\n",
        "{output}"
    );
    use sqlx::Row;
    let rows = sqlx::query("SELECT CAST(id AS CHAR), name FROM scores ORDER BY id")
        .fetch_all(&mut mariadb.connect().await)
        .await
        .expect("query");
    let names: Vec<String> = rows.iter().map(|row| row.get(1)).collect();
    assert_eq!(names, ["from the script", "Ann", "Bob, Jr."], "{output}");

    // The password is in no line the runner wrote, nor in any file it left.
    assert!(!output.contains(PASSWORD), "{output}");
    for file in files_under(run.temp.path())
        .into_iter()
        .chain(files_under(runner.dir.path()))
    {
        if file == run.definition {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "{} holds the password",
            file.display()
        );
    }
}

/// `Exists` on a MySqlDataNode through `taskrunner local`: FALSE while the
/// table is missing (checked again every `retryDelay`, 0.1 s at the local
/// time scale), then FINISHED once the test creates it, and the guarded
/// activity runs. The wrong-password and unreachable cases are the crate's
/// (crates/taskrunner-sql/tests/exists.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exists_on_a_sql_data_node_waits_for_its_table() {
    let mariadb = mariadb::MariaDbServer::start().await;
    let temp = tempfile::tempdir().expect("a temp dir");
    let definition_path = temp.path().join("exists.json");
    let definition = serde_json::json!({"objects": [
        {"id": "Default", "name": "Default", "scheduleType": "ondemand",
         "workerGroup": "local", "failureAndRerunMode": "cascade"},
        {"id": "Maria", "name": "Maria", "type": "JdbcDatabase",
         "connectionString": mariadb.connection_string(),
         "jdbcDriverClass": "com.mysql.jdbc.Driver",
         "username": USER, "*password": PASSWORD},
        {"id": "Table", "name": "Table", "type": "MySqlDataNode", "table": "events",
         "database": {"ref": "Maria"}, "precondition": {"ref": "TableReady"}},
        {"id": "TableReady", "name": "TableReady", "type": "Exists",
         "retryDelay": "1 minutes", "preconditionTimeout": "10 hours"},
        {"id": "ReadTable", "name": "ReadTable", "type": "ShellCommandActivity",
         "command": "true", "input": {"ref": "Table"}}
    ]});
    std::fs::write(&definition_path, definition.to_string()).expect("the definition");
    let mut admin = mariadb.connect().await;
    let before = connections(&mut admin).await;
    let tmpdir = display(temp.path());
    let mut runner = Taskrunner::start(
        &["local", &display(&definition_path), "--timeout", "60s"],
        &[("TMPDIR", &tmpdir)],
    );

    // Each check connects once: wait for a few checks.
    let deadline = Instant::now() + Duration::from_secs(30);
    while connections(&mut admin).await < before + 3 {
        assert!(
            Instant::now() < deadline && runner.try_status().is_none(),
            "no Exists check answered FALSE: {}",
            runner.output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !runner.output().contains("FINISHED"),
        "nothing holds before the table exists: {}",
        runner.output()
    );
    use sqlx::Executor;
    admin
        .execute("CREATE TABLE events (id INT)")
        .await
        .expect("the table");
    let status = runner.wait(Duration::from_secs(60)).await;
    let output = runner.output();
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("3 of 3 instances finished"), "{output}");
    assert!(!output.contains(PASSWORD), "{output}");
}

/// How many connections the MariaDB server has accepted since it started.
async fn connections(admin: &mut sqlx::MySqlConnection) -> u64 {
    let (_, count): (String, String) = sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Connections'")
        .fetch_one(admin)
        .await
        .expect("the connection count");
    count.parse().expect("a count")
}
