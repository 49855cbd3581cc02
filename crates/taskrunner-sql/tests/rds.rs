//! `RdsDatabase` through the RDS API: the real aws-sdk-rds client against a
//! small server of RDS's Query protocol started on 127.0.0.1, answering
//! instances whose endpoints are real PostgreSQL and MariaDB servers.

mod fake_rds;

use std::collections::HashMap;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use fake_rds::{seen, FakeRds, Instance, ACCESS_KEY};
use taskrunner_sql::{
    table_exists, DatabaseConfig, Object, Objects, RdsEndpoints, SqlScript, Store,
};

use crate::support::{Server, PASSWORD, USER};

/// The runner's region.
const REGION: &str = "us-west-2";

/// The runner's AWS configuration, pointed at `fake`, with `credentials`.
fn aws(fake: &FakeRds, credentials: Option<SharedCredentialsProvider>) -> SdkConfig {
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&fake.url);
    if let Some(credentials) = credentials {
        config = config.credentials_provider(credentials);
    }
    config.build()
}

fn runner_credentials() -> Option<SharedCredentialsProvider> {
    Some(SharedCredentialsProvider::new(Credentials::new(
        ACCESS_KEY,
        "runner-secret-key",
        None,
        None,
        "test",
    )))
}

fn rds_database(instance: &str) -> Object {
    Object::new("Db")
        .with("type", "RdsDatabase")
        .with("rdsInstanceId", instance)
        .with("username", USER)
        .with("*password", PASSWORD)
}

fn sql_objects(database: Object, script: &str) -> Objects {
    let attempt = Object::new("@Sql_1")
        .with("type", "SqlActivity")
        .with("database", "Db")
        .with("script", script);
    Objects::new(attempt, [database])
}

async fn run_script(
    rds: &RdsEndpoints,
    objects: &Objects,
) -> Result<usize, taskrunner_sql::ScriptError> {
    let scratch = tempfile::tempdir().expect("tempdir");
    rds.resolving(|rds| SqlScript::from_objects(objects, rds))
        .await?
        .run(&Store::default(), scratch.path())
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_activity_runs_on_rds_instances_of_both_engines() {
    let (postgres, mariadb) = tokio::join!(Server::postgres(), Server::mariadb());
    let fake = FakeRds::start(HashMap::from([
        (
            "orders-pg",
            Instance::Available {
                engine: "postgres",
                port: postgres.port(),
                db_name: Some(taskrunner_sql::testkit::DATABASE),
            },
        ),
        (
            "orders-maria",
            Instance::Available {
                engine: "mariadb",
                port: mariadb.port(),
                db_name: None,
            },
        ),
    ]))
    .await;
    let rds = RdsEndpoints::new().with_api(&aws(&fake, runner_credentials()));
    let script = "CREATE TABLE shipped (id INT); INSERT INTO shipped VALUES (1), (2)";

    // PostgreSQL: the database is the instance's DBName.
    let objects = sql_objects(rds_database("orders-pg"), script);
    assert_eq!(run_script(&rds, &objects).await.expect("runs"), 2);
    assert_eq!(postgres.count("shipped").await, 2);

    // MariaDB, whose instance has no DBName: databaseName says it, and the
    // object's own region is the one asked.
    let database = rds_database("orders-maria")
        .with("databaseName", taskrunner_sql::testkit::DATABASE)
        .with("region", "eu-west-1");
    let objects = sql_objects(database.clone(), script);
    assert_eq!(run_script(&rds, &objects).await.expect("runs"), 2);
    assert_eq!(mariadb.count("shipped").await, 2);

    // Exists on a data node of that database asks the API as well.
    let node = Object::new("Table")
        .with("type", "MySqlDataNode")
        .with("table", "shipped")
        .with("database", "Db");
    let exists = Objects::new(
        Object::new("@Ready_1")
            .with("type", "Exists")
            .with("node", "Table"),
        [node, database],
    );
    assert!(table_exists(&exists, "Table", &rds).await.expect("asked"));

    // Signed with the runner's key, in the runner's region unless the
    // object names one; the Exists check reused the cached answer.
    assert_eq!(
        fake.seen(),
        vec![seen("orders-pg", REGION), seen("orders-maria", "eu-west-1")]
    );
}

/// The errorId and message of a script on `instance` through `rds`.
async fn lookup_failure(rds: &RdsEndpoints, instance: &str) -> (&'static str, String) {
    let objects = sql_objects(rds_database(instance), "SELECT 1");
    let error = rds
        .resolving(|rds| SqlScript::from_objects(&objects, rds))
        .await
        .expect_err("the lookup fails");
    let message = error.to_string();
    assert!(!message.contains(PASSWORD), "{message}");
    (error.error_id(), message)
}

#[tokio::test]
async fn lookup_failures_end_failed_with_their_own_error_ids() {
    let fake = FakeRds::start(HashMap::from([
        ("new-db", Instance::Creating),
        (
            "legacy-db",
            Instance::Available {
                engine: "oracle-ee",
                port: 1521,
                db_name: Some("ORCL"),
            },
        ),
    ]))
    .await;
    let rds = RdsEndpoints::new().with_api(&aws(&fake, runner_credentials()));
    let cases = [
        ("missing-db", "RdsInstanceNotFound", "DBInstanceNotFound"),
        ("new-db", "RdsInstanceNotAvailable", "`creating`"),
        (
            "denied-db",
            "RdsAccessDenied",
            "AccessDenied: User: arn:aws:iam",
        ),
        ("legacy-db", "JdbcDriverNotBuiltIn", "engine `oracle-ee`"),
    ];
    for (instance, error_id, detail) in cases {
        let (id, message) = lookup_failure(&rds, instance).await;
        assert_eq!(id, error_id, "{instance}: {message}");
        assert!(message.contains(detail), "{instance}: {message}");
        assert!(message.contains(&format!("`{instance}`")), "{message}");
        if error_id != "JdbcDriverNotBuiltIn" {
            assert!(message.contains(REGION), "{message}");
        }
    }
    // Failures are not cached: each was asked once per attempt above, and is
    // asked again by the next one.
    let (id, _) = lookup_failure(&rds, "new-db").await;
    assert_eq!(id, "RdsInstanceNotAvailable");
    let asked_new_db = fake
        .seen()
        .iter()
        .filter(|request| request.instance == "new-db")
        .count();
    assert_eq!(asked_new_db, 2);
}

/// A credential provider that finds nothing, as the default chain does on
/// a host without credentials.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no credentials in the environment, profile or instance metadata",
        )))
    }
}

#[tokio::test]
async fn no_credentials_end_failed_without_a_call() {
    let fake = FakeRds::start(HashMap::new()).await;
    for credentials in [None, Some(SharedCredentialsProvider::new(NoCredentials))] {
        let rds = RdsEndpoints::new().with_api(&aws(&fake, credentials));
        let (id, message) = lookup_failure(&rds, "orders-pg").await;
        assert_eq!(id, "RdsNoCredentials", "{message}");
        assert!(
            message.contains("`orders-pg` in region `us-west-2`"),
            "{message}"
        );
        assert!(message.contains("TASKRUNNER_RDS_ENDPOINT_"), "{message}");
    }
    assert_eq!(fake.seen(), Vec::new());
}

#[tokio::test]
async fn the_override_wins_and_without_the_api_the_message_says_how_to_resolve() {
    let fake = FakeRds::start(HashMap::new()).await;
    let rds = RdsEndpoints::new()
        .with("orders-pg", "jdbc:postgresql://10.1.2.3:6543")
        .with_api(&aws(&fake, runner_credentials()));
    let database = rds_database("orders-pg");
    let config = rds
        .resolving(|rds| DatabaseConfig::from_object(&database, rds))
        .await
        .expect("the override");
    assert_eq!((config.host.as_str(), config.port), ("10.1.2.3", 6543));
    assert_eq!(fake.seen(), Vec::new());

    let (id, message) = lookup_failure(&RdsEndpoints::new(), "orders-pg").await;
    assert_eq!(id, "RdsEndpointNotResolvable");
    assert!(
        message.contains("TASKRUNNER_RDS_ENDPOINT_orders-pg=jdbc:"),
        "{message}"
    );
}

#[tokio::test]
async fn a_resolved_endpoint_is_reused_for_a_minute() {
    let fake = FakeRds::start(HashMap::from([(
        "orders-pg",
        Instance::Available {
            engine: "aurora-postgresql",
            port: 5432,
            db_name: None,
        },
    )]))
    .await;
    let rds = RdsEndpoints::new().with_api(&aws(&fake, runner_credentials()));
    let database = rds_database("orders-pg");
    let resolve = || async {
        rds.resolving(|rds| DatabaseConfig::from_object(&database, rds))
            .await
            .expect("resolved")
    };
    let advance = |by: Duration| async move {
        // Paused only while moving the clock: the SDK's own timers must run
        // on real time while it talks to the server.
        tokio::time::pause();
        tokio::time::advance(by).await;
        tokio::time::resume();
    };
    assert_eq!(resolve().await.engine, taskrunner_sql::Engine::Postgres);
    resolve().await;
    advance(Duration::from_secs(59)).await;
    resolve().await;
    assert_eq!(fake.seen().len(), 1, "answered from the cache");
    advance(Duration::from_secs(2)).await;
    resolve().await;
    assert_eq!(fake.seen().len(), 2, "asked again after a minute");
}

#[tokio::test(start_paused = true)]
async fn an_api_that_never_answers_fails_the_lookup_in_bounded_time() {
    // Accepts connections and holds them without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(runner_credentials().expect("credentials"))
        .build();
    let rds = RdsEndpoints::new().with_api(&config);
    let started = tokio::time::Instant::now();
    let (id, message) = lookup_failure(&rds, "orders-pg").await;
    assert_eq!(id, "RdsApiFailed", "{message}");
    assert!(message.contains("no answer within 30 s"), "{message}");
    let limit = taskrunner_sql::database::RDS_API_TIMEOUT;
    let waited = started.elapsed();
    assert!(
        waited >= limit && waited < limit + Duration::from_secs(5),
        "{waited:?}"
    );
    silent.abort();
}
