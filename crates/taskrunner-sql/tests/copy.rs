//! CopyActivity end to end: S3 → SQL and SQL → S3 on both engines, S3 → S3,
//! bad records, and what a failed copy leaves behind.

use std::io::{Read, Write};

use taskrunner_sql::Object;

use crate::support::bucket::Bucket;
use crate::support::objects::{jdbc_database, s3_node, sql_node};
use crate::support::{both, Server, PASSWORD};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

fn gunzip(data: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_string(&mut text)
        .expect("gunzip");
    text
}

const TABLE: &str = "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), note VARCHAR(40))";

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_from_s3_into_both_engines() {
    for server in both().await {
        server.exec(TABLE).await;
        let bucket = Bucket::new();
        bucket.put(
            "in/people.csv",
            b"1,Ann,plain\n2,\"Bob, Jr.\",\"says \"\"hi\"\"\"\r\n3,Cy\\,Z,\n4,Di,\"\"\n",
        );
        let copied = bucket
            .copy(vec![
                s3_node("In", "in/people.csv"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect("copy");
        assert_eq!(copied, 4);
        let rows = server
            .rows("SELECT name, note FROM people ORDER BY id")
            .await;
        assert_eq!(
            rows,
            vec![
                vec![text("Ann"), text("plain")],
                vec![text("Bob, Jr."), text("says \"hi\"")],
                vec![text("Cy,Z"), None],
                vec![text("Di"), text("")],
            ],
            "{server:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gzipped_custom_and_tsv_formats_into_sql() {
    for server in both().await {
        server.exec(TABLE).await;
        let bucket = Bucket::new();
        bucket.put("in/a.txt.gz", &gzip(b"1|Ann|x\n2|Bob|y\n"));
        let input = s3_node("In", "in/a.txt.gz")
            .with("compression", "gzip")
            .with("dataFormat", "Fmt");
        let format = Object::new("Fmt")
            .with("type", "Custom")
            .with("columnSeparator", "|")
            .with("column", "id INT")
            .with("column", "name STRING")
            .with("column", "note STRING");
        let objects = vec![
            input,
            format,
            sql_node("Out", "people"),
            jdbc_database(&server),
        ];
        assert_eq!(bucket.copy(objects).await.expect("copy"), 2);
        bucket.put("dir/part-1.tsv", b"3\tC\\\tD\tz\n");
        bucket.put("dir/part-2.tsv", b"4\tE\tw\n");
        let input = Object::new("In")
            .with("type", "S3DataNode")
            .with("directoryPath", "s3://bucket/dir")
            .with("dataFormat", "Fmt");
        let format = Object::new("Fmt").with("type", "TSV");
        let objects = vec![
            input,
            format,
            sql_node("Out", "people"),
            jdbc_database(&server),
        ];
        assert_eq!(bucket.copy(objects).await.expect("copy"), 2);
        let rows = server.rows("SELECT name FROM people ORDER BY id").await;
        assert_eq!(
            rows,
            vec![
                vec![text("Ann")],
                vec![text("Bob")],
                vec![text("C\tD")],
                vec![text("E")]
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_to_s3_from_both_engines() {
    for server in both().await {
        server.exec(TABLE).await;
        server
            .exec("INSERT INTO people VALUES (1, 'Ann', NULL), (2, 'B,ob', 'q\"t'), (3, 'tab\there', '')")
            .await;
        let bucket = Bucket::new();
        let input =
            sql_node("In", "people").with("selectQuery", "SELECT * FROM people ORDER BY id;");
        let output = s3_node("Out", "out/people.csv");
        let copied = bucket
            .copy(vec![input.clone(), output, jdbc_database(&server)])
            .await
            .expect("copy");
        assert_eq!(copied, 3);
        assert_eq!(
            String::from_utf8(bucket.get("out/people.csv")).expect("utf8"),
            "1,Ann,\n2,\"B,ob\",\"q\"\"t\"\n3,tab\there,\"\"\n",
            "{server:?}"
        );
        let output = Object::new("Out")
            .with("type", "S3DataNode")
            .with("directoryPath", "s3://bucket/tsv/")
            .with("compression", "gzip")
            .with("dataFormat", "Fmt");
        let format = Object::new("Fmt").with("type", "TSV");
        bucket
            .copy(vec![input, output, format, jdbc_database(&server)])
            .await
            .expect("copy");
        assert_eq!(
            gunzip(&bucket.get("tsv/part-00000")),
            "1\tAnn\t\n2\tB,ob\tq\"t\n3\ttab\\\there\t\n"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_record_names_its_line_and_commits_nothing() {
    for server in both().await {
        server.exec(TABLE).await;
        let bucket = Bucket::new();
        // Enough good records before the bad one that some were sent.
        let mut data: String = (1..=2500).map(|id| format!("{id},n{id},x\n")).collect();
        data.push_str("2501,short\n");
        bucket.put("in/bad.csv", data.as_bytes());
        let error = bucket
            .copy(vec![
                s3_node("In", "in/bad.csv"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect_err("bad record");
        assert_eq!(error.error_id(), "CopyBadRecord");
        assert!(
            error
                .to_string()
                .contains("s3://bucket/in/bad.csv, line 2501: 2 fields where 3 were expected"),
            "{error}"
        );
        assert_eq!(server.count("people").await, 0, "{server:?}");

        bucket.put("in/quote.csv", b"1,a,b\n2,\"open,c\n");
        let error = bucket
            .copy(vec![
                s3_node("In", "in/quote.csv"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect_err("bad quoting");
        assert!(error.to_string().contains("line 2"), "{error}");
        assert_eq!(server.count("people").await, 0);

        // A row the database refuses (duplicate key) rolls back too.
        bucket.put("in/dup.csv", b"1,a,b\n2,c,d\n1,e,f\n");
        let error = bucket
            .copy(vec![
                s3_node("In", "in/dup.csv"),
                sql_node("Out", "people"),
                jdbc_database(&server),
            ])
            .await
            .expect_err("duplicate key");
        assert_eq!(error.error_id(), "CopyDatabaseFailed");
        assert!(!error.to_string().contains(PASSWORD));
        assert_eq!(server.count("people").await, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_data_node_with_its_own_login_and_insert_query() {
    let server = Server::mariadb().await;
    server.exec(TABLE).await;
    let bucket = Bucket::new();
    bucket.put("in/p.csv", b"1,Ann,x\n2,Bob,\n");
    let database = jdbc_database(&server);
    let mut output = Object::new("Out")
        .with("type", "MySqlDataNode")
        .with("table", "people")
        .with(
            "insertQuery",
            "INSERT INTO people (id, name, note) VALUES (?, ?, ?)",
        );
    for key in ["connectionString", "username", "*password"] {
        output = output.with(key, database.field(key).expect("field"));
    }
    let copied = bucket
        .copy(vec![s3_node("In", "in/p.csv"), output])
        .await
        .expect("copy");
    assert_eq!(copied, 2);
    assert_eq!(
        server.rows("SELECT note FROM people ORDER BY id").await,
        vec![vec![text("x")], vec![None]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_insert_query() {
    let server = Server::postgres().await;
    server.exec(TABLE).await;
    let bucket = Bucket::new();
    bucket.put("in/p.csv", b"1,O'Neil,x\n2,Bob,\n");
    let output = sql_node("Out", "people").with(
        "insertQuery",
        "INSERT INTO people (id, name, note) VALUES (?, ?, ?)",
    );
    let copied = bucket
        .copy(vec![
            s3_node("In", "in/p.csv"),
            output,
            jdbc_database(&server),
        ])
        .await
        .expect("copy");
    assert_eq!(copied, 2);
    assert_eq!(
        server
            .rows("SELECT name, note FROM people ORDER BY id")
            .await,
        vec![vec![text("O'Neil"), text("x")], vec![text("Bob"), None]]
    );
}

#[tokio::test]
async fn s3_to_s3_between_formats_and_as_bytes() {
    let bucket = Bucket::new();
    bucket.put("in/a.csv", b"1,\"x,y\"\n2,z\n");
    let output = s3_node("Out", "out/a.tsv.gz")
        .with("compression", "gzip")
        .with("dataFormat", "Tsv");
    let tsv = Object::new("Tsv").with("type", "TSV");
    bucket
        .copy(vec![s3_node("In", "in/a.csv"), output, tsv])
        .await
        .expect("csv to tsv");
    assert_eq!(gunzip(&bucket.get("out/a.tsv.gz")), "1\tx,y\n2\tz\n");
    bucket
        .copy(vec![
            s3_node("In", "in/a.csv"),
            s3_node("Out", "out/same.csv"),
        ])
        .await
        .expect("bytes");
    assert_eq!(bucket.get("out/same.csv"), b"1,\"x,y\"\n2,z\n");
    bucket.put("in/bad.csv", b"1,2\n3\n");
    let tsv = Object::new("Tsv").with("type", "TSV");
    let error = bucket
        .copy(vec![
            s3_node("In", "in/bad.csv"),
            s3_node("Out", "out/bad.tsv").with("dataFormat", "Tsv"),
            tsv,
        ])
        .await
        .expect_err("bad record");
    assert_eq!(error.error_id(), "CopyBadRecord");
    assert!(
        !bucket.exists("out/bad.tsv"),
        "a failed copy uploads nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_dropped_midway_commits_nothing_and_leaves_no_session() {
    for server in both().await {
        server.exec(TABLE).await;
        let bucket = Bucket::new();
        let data: String = (1..=300_000)
            .map(|id| format!("{id},name {id},note\n"))
            .collect();
        bucket.put("in/big.csv", data.as_bytes());
        let copy = bucket.copy(vec![
            s3_node("In", "in/big.csv"),
            sql_node("Out", "people"),
            jdbc_database(&server),
        ]);
        // Cancelling drops the future, as the runner's cancel does.
        let outcome = tokio::time::timeout(std::time::Duration::from_millis(400), copy).await;
        assert!(
            outcome.is_err(),
            "the copy ended before it was cancelled ({outcome:?}); make the input larger"
        );
        assert_eq!(server.count("people").await, 0, "{server:?}");
        // The server notices the closed connection and ends its session.
        let sessions = match server {
            Server::Postgres(_) => {
                "SELECT CAST(COUNT(*) AS TEXT) FROM pg_stat_activity \
                 WHERE application_name = 'taskrunner'"
            }
            Server::MariaDb(_) => {
                "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST \
                 WHERE INFO LIKE 'INSERT INTO people%'"
            }
        };
        let mut left = Vec::new();
        for _ in 0..100 {
            left = server.rows(sessions).await;
            if left == vec![vec![text("0")]] {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(left, vec![vec![text("0")]], "{server:?}");
        assert_eq!(server.count("people").await, 0);
    }
}
