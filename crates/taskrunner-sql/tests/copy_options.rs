//! The data nodes' optional fields on both engines: `schemaName`,
//! `createTableSql` (on a copy's output and a SqlActivity's `output`) and an
//! input's `manifestFilePath`.

use taskrunner_activity::{Activity, Outcome, TaskContext};
use taskrunner_api::{Field, Task, TaskObject};
use taskrunner_sql::testkit::SCHEMA;
use taskrunner_sql::{Object, SqlActivity, SqlConfig};

use crate::support::bucket::Bucket;
use crate::support::objects::{jdbc_database, s3_node, sql_node};
use crate::support::{both, Server, PASSWORD};

const PEOPLE: &str = "(id INT PRIMARY KEY, name VARCHAR(40))";

fn manifest_node(id: &str, path: &str) -> Object {
    Object::new(id)
        .with("type", "S3DataNode")
        .with("manifestFilePath", format!("s3://bucket/{path}"))
}

/// On PostgreSQL the second schema is created by the test; MariaDB starts
/// with it (there a schema is a database).
async fn create_schema(server: &Server) {
    if let Server::Postgres(_) = server {
        server.exec(&format!("CREATE SCHEMA {SCHEMA}")).await;
    }
}

/// Whether a table called `name` is in a user schema of the server.
async fn has_table(server: &Server, name: &str) -> bool {
    let text = match server {
        Server::Postgres(_) => "TEXT",
        Server::MariaDb(_) => "CHAR",
    };
    let rows = server
        .rows(&format!(
            "SELECT CAST(COUNT(*) AS {text}) FROM information_schema.tables \
             WHERE table_name = '{name}' AND table_schema NOT IN \
             ('information_schema', 'pg_catalog', 'mysql', 'performance_schema')"
        ))
        .await;
    rows != vec![vec![Some("0".to_owned())]]
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_name_qualifies_the_load_and_the_default_select() {
    for server in both().await {
        create_schema(&server).await;
        server.exec(&format!("CREATE TABLE people {PEOPLE}")).await;
        server
            .exec(&format!("CREATE TABLE {SCHEMA}.people {PEOPLE}"))
            .await;
        let bucket = Bucket::new();
        bucket.put("in/p.csv", b"1,Ann\n2,Bob\n");
        let output = sql_node("Out", "people").with("schemaName", SCHEMA);
        let copied = bucket
            .copy(vec![
                s3_node("In", "in/p.csv"),
                output,
                jdbc_database(&server),
            ])
            .await
            .expect("copy into the schema");
        assert_eq!(copied, 2);
        assert_eq!(server.count(&format!("{SCHEMA}.people")).await, 2);
        assert_eq!(server.count("people").await, 0, "{server:?}");

        server.exec("INSERT INTO people VALUES (9, 'not me')").await;
        let input = sql_node("In", "people").with("schemaName", SCHEMA);
        bucket
            .copy(vec![
                input,
                s3_node("Out", "out/p.csv"),
                jdbc_database(&server),
            ])
            .await
            .expect("copy out of the schema");
        assert_eq!(bucket.get("out/p.csv"), b"1,Ann\n2,Bob\n", "{server:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_table_sql_creates_a_missing_output_table_once() {
    for server in both().await {
        create_schema(&server).await;
        let bucket = Bucket::new();
        // No IF NOT EXISTS: a second run of the statement would fail.
        let output = sql_node("Out", "visits").with("schemaName", SCHEMA).with(
            "createTableSql",
            format!("CREATE TABLE {SCHEMA}.visits {PEOPLE}"),
        );
        bucket.put("in/a.csv", b"1,a\n2,b\n");
        let copied = bucket
            .copy(vec![
                s3_node("In", "in/a.csv"),
                output.clone(),
                jdbc_database(&server),
            ])
            .await
            .expect("the table is created, then loaded");
        assert_eq!(copied, 2);
        bucket.put("in/b.csv", b"3,c\n");
        bucket
            .copy(vec![
                s3_node("In", "in/b.csv"),
                output.clone(),
                jdbc_database(&server),
            ])
            .await
            .expect("the table exists: createTableSql is not run again");
        assert_eq!(server.count(&format!("{SCHEMA}.visits")).await, 3);

        // An input node's createTableSql is not read.
        let input = sql_node("In", "visits")
            .with("schemaName", SCHEMA)
            .with("createTableSql", "CREATE TABLE never_made (x INT)");
        bucket
            .copy(vec![
                input,
                s3_node("Out", "out/e.csv"),
                jdbc_database(&server),
            ])
            .await
            .expect("copy out");
        assert!(!has_table(&server, "never_made").await, "{server:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_create_table_sql_has_its_own_error_id_and_a_created_table_stays() {
    for server in both().await {
        let bucket = Bucket::new();
        bucket.put("in/a.csv", b"1,a\n");
        let output =
            sql_node("Out", "visits").with("createTableSql", "CREATE TABLE visits (id INT,");
        let error = bucket
            .copy(vec![
                s3_node("In", "in/a.csv"),
                output,
                jdbc_database(&server),
            ])
            .await
            .expect_err("the statement is not valid SQL");
        assert_eq!(error.error_id(), "SqlCreateTableFailed");
        let message = error.to_string();
        let code = match server {
            Server::Postgres(_) => "42601: ",
            Server::MariaDb(_) => "1064 (42000): ",
        };
        assert!(
            message.starts_with("createTableSql of `Out` failed: "),
            "{message}"
        );
        assert!(message.contains(code), "{message}");
        assert!(
            message.ends_with("table `visits` was not created"),
            "{message}"
        );
        assert!(!message.contains(PASSWORD));
        assert!(!has_table(&server, "visits").await);

        // The table is created before the load, on its own: a bad record
        // rolls the load back but not the table.
        bucket.put("in/bad.csv", b"1,a\n2\n");
        let output = sql_node("Out", "visits")
            .with("createTableSql", format!("CREATE TABLE visits {PEOPLE}"));
        let error = bucket
            .copy(vec![
                s3_node("In", "in/bad.csv"),
                output,
                jdbc_database(&server),
            ])
            .await
            .expect_err("bad record");
        assert_eq!(error.error_id(), "CopyBadRecord");
        assert_eq!(server.count("visits").await, 0, "{server:?}");
    }
}

/// A `SqlActivity` on `Db` with output `Out`.
fn sql_attempt(script: &str) -> Object {
    Object::new("@Sql_1")
        .with("type", "SqlActivity")
        .with("database", "Db")
        .with("output", "Out")
        .with("script", script)
}

/// Runs a `SqlActivity` through its [`Activity`] impl, as the runner does.
async fn run_sql_activity(attempt: Object, others: Vec<Object>) -> Outcome {
    let convert = |object: Object| {
        object.fields.into_iter().fold(
            TaskObject::new(&object.id, &object.id),
            |task, (key, value)| {
                let field = match key.as_str() {
                    "database" | "output" => Field::reference(key, value),
                    _ => Field::string(key, value),
                };
                task.with_field(field)
            },
        )
    };
    let mut task = Task::new("task-1", "df-1", attempt.id.clone()).with_object(convert(attempt));
    for object in others {
        task = task.with_object(convert(object));
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let context = TaskContext::builder(task)
        .scratch_root(scratch.path().to_owned())
        .build();
    SqlActivity::new(SqlConfig::default())
        .run(context)
        .await
        .expect("the activity runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_activity_creates_its_output_table_before_the_script() {
    for server in both().await {
        create_schema(&server).await;
        // The output node names no database: the activity's is used.
        let output = Object::new("Out")
            .with("type", "SqlDataNode")
            .with("table", "totals")
            .with("schemaName", SCHEMA)
            .with(
                "createTableSql",
                format!("CREATE TABLE {SCHEMA}.totals (name VARCHAR(20))"),
            );
        let attempt = sql_attempt(&format!("INSERT INTO {SCHEMA}.totals VALUES ('x')"));
        for _ in 0..2 {
            let outcome = run_sql_activity(
                attempt.clone(),
                vec![output.clone(), jdbc_database(&server)],
            )
            .await;
            assert_eq!(outcome, Outcome::Finished, "{server:?}");
        }
        assert_eq!(server.count(&format!("{SCHEMA}.totals")).await, 2);
        // An output the task does not carry is no reason to fail.
        let outcome = run_sql_activity(attempt.clone(), vec![jdbc_database(&server)]).await;
        assert_eq!(outcome, Outcome::Finished, "{server:?}");
        assert_eq!(server.count(&format!("{SCHEMA}.totals")).await, 3);

        let broken = sql_node("Out", "broken").with("createTableSql", "CREATE TABLE broken (");
        let attempt = sql_attempt("CREATE TABLE marker (x INT)");
        let outcome = run_sql_activity(attempt, vec![broken, jdbc_database(&server)]).await;
        let Outcome::Failed(failure) = outcome else {
            panic!("expected FAILED, got {outcome:?}");
        };
        assert_eq!(failure.error_id, "SqlCreateTableFailed");
        assert!(
            failure
                .message
                .starts_with("createTableSql of `Out` failed: "),
            "{}",
            failure.message
        );
        assert!(
            !has_table(&server, "marker").await,
            "the script did not run"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_lists_the_input_in_its_order_on_both_engines() {
    for server in both().await {
        server.exec(&format!("CREATE TABLE people {PEOPLE}")).await;
        let bucket = Bucket::new();
        bucket.put("parts/z.csv", b"1,first\n2,second\n");
        bucket.put("other/a.csv", b"3,third\n");
        bucket.put(
            "in.manifest",
            br#"{"entries": [
                {"url": "s3://bucket/parts/z.csv", "mandatory": true},
                {"url": "s3://bucket/parts/gone.csv"},
                {"url": "s3://bucket/other/a.csv", "mandatory": false, "meta": {"content_length": 8}}
            ]}"#,
        );
        let copied = bucket
            .copy(vec![
                manifest_node("In", "in.manifest"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect("copy the listed files");
        assert_eq!(copied, 3);
        assert_eq!(
            server.rows("SELECT name FROM people ORDER BY id").await,
            [["first"], ["second"], ["third"]].map(|row| row.map(|name| Some(name.to_owned())))
        );

        bucket.put("other/bad.csv", b"4,ok\n5\n");
        bucket.put(
            "bad.manifest",
            br#"{"entries": [{"url": "s3://bucket/other/a.csv"}, {"url": "s3://bucket/other/bad.csv"}]}"#,
        );
        let error = bucket
            .copy(vec![
                manifest_node("In", "bad.manifest"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect_err("a bad record in the second file");
        assert!(
            error
                .to_string()
                .contains("s3://bucket/other/bad.csv, line 2: 1 fields where 2 were expected"),
            "{error}"
        );
        assert_eq!(server.count("people").await, 3, "{server:?}");
    }
}

#[tokio::test]
async fn a_manifest_to_s3_keeps_its_order_and_a_path_beside_it_wins() {
    let bucket = Bucket::new();
    bucket.put("b.csv", b"1,\"x,y\"\n");
    bucket.put("a.csv", b"2,z\n");
    bucket.put(
        "m.json",
        br#"{"entries":[{"url":"s3://bucket/b.csv"},{"url":"s3://bucket/a.csv"}]}"#,
    );
    bucket
        .copy(vec![
            manifest_node("In", "m.json"),
            s3_node("Out", "out/same.csv"),
        ])
        .await
        .expect("bytes");
    assert_eq!(bucket.get("out/same.csv"), b"1,\"x,y\"\n2,z\n");
    let tsv = Object::new("Tsv").with("type", "TSV");
    bucket
        .copy(vec![
            manifest_node("In", "m.json"),
            s3_node("Out", "out/all.tsv").with("dataFormat", "Tsv"),
            tsv,
        ])
        .await
        .expect("record by record");
    assert_eq!(bucket.get("out/all.tsv"), b"1\tx,y\n2\tz\n");

    // AWS reads manifestFilePath only in RedshiftCopyActivity: beside a
    // filePath it is ignored.
    let input = s3_node("In", "a.csv").with("manifestFilePath", "s3://bucket/m.json");
    bucket
        .copy(vec![input, s3_node("Out", "out/a.csv")])
        .await
        .expect("filePath wins");
    assert_eq!(bucket.get("out/a.csv"), b"2,z\n");
}

#[tokio::test]
async fn a_bad_manifest_or_a_missing_mandatory_file_fails_naming_it() {
    let bucket = Bucket::new();
    bucket.put("a.csv", b"1,a\n");
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "mandatory.json",
            br#"{"entries":[{"url":"s3://bucket/a.csv"},{"url":"s3://bucket/gone.csv","mandatory":true}]}"#,
            "manifest s3://bucket/mandatory.json: entry 2 `s3://bucket/gone.csv` is mandatory and does not exist",
        ),
        (
            "none.json",
            br#"{"entries":[{"url":"s3://bucket/gone.csv"}]}"#,
            "manifest s3://bucket/none.json: none of the 1 files it lists exists",
        ),
        (
            "empty.json",
            br#"{"entries":[]}"#,
            "manifest s3://bucket/empty.json: it lists no files",
        ),
        (
            "broken.json",
            b"{\"entries\": [",
            "manifest s3://bucket/broken.json: not valid JSON: ",
        ),
        (
            "nourl.json",
            br#"{"entries":[{"path":"s3://bucket/a.csv"}]}"#,
            "manifest s3://bucket/nourl.json: entry 1 has no `url` string",
        ),
    ];
    for (key, manifest, expected) in cases {
        bucket.put(key, manifest);
        let error = bucket
            .copy(vec![manifest_node("In", key), s3_node("Out", "out/x.csv")])
            .await
            .expect_err(key);
        assert_eq!(error.error_id(), "CopyManifestFailed", "{key}");
        assert!(error.to_string().starts_with(expected), "{error}");
        assert!(!bucket.exists("out/x.csv"), "{key}: nothing is uploaded");
    }

    let error = bucket
        .copy(vec![
            manifest_node("In", "absent.json"),
            s3_node("Out", "out/x.csv"),
        ])
        .await
        .expect_err("no manifest");
    assert_eq!(error.error_id(), "CopyTransferFailed");
    assert!(
        error.to_string().contains("s3://bucket/absent.json"),
        "{error}"
    );

    let error = bucket
        .copy(vec![s3_node("In", "a.csv"), manifest_node("Out", "m.json")])
        .await
        .expect_err("a manifest is not an output");
    assert_eq!(error.error_id(), "InvalidSqlTaskFields");
    assert!(
        error
            .to_string()
            .starts_with("object `Out` field `manifestFilePath`: a manifest lists input files"),
        "{error}"
    );
}
