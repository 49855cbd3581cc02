//! `RdsDatabase` through the RDS API: the real aws-sdk-rds client against a
//! small server of RDS's Query protocol started on 127.0.0.1, answering
//! instances whose endpoints are real PostgreSQL and MariaDB servers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use taskrunner_sql::{
    table_exists, DatabaseConfig, Object, Objects, RdsEndpoints, SqlScript, Store,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{Server, PASSWORD, USER};

/// The runner's access key, which every request must be signed with.
const ACCESS_KEY: &str = "AKIDRUNNERRDS";
/// The runner's region.
const REGION: &str = "us-west-2";

/// What the fake service knows of an instance.
#[derive(Debug, Clone)]
enum Instance {
    /// Available at 127.0.0.1:`port`.
    Available {
        engine: &'static str,
        port: u16,
        db_name: Option<&'static str>,
    },
    /// Still being created: no `Endpoint` yet.
    Creating,
}

/// One request the fake service got, as it read it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    action: String,
    instance: String,
    /// The SigV4 credential scope's access key and region.
    access_key: String,
    region: String,
}

/// A server of RDS's Query protocol (form-encoded POST, XML answer) for
/// `DescribeDBInstances`; stopped when dropped.
struct FakeRds {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeRds {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeRds {
    /// Serves `instances`; any other id is not found, and `denied-db` is
    /// refused as an IAM policy would.
    async fn start(instances: HashMap<&'static str, Instance>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (instances, log) = (instances.clone(), log.clone());
                tokio::spawn(async move { serve(stream, &instances, &log).await });
            }
        });
        Self { url, seen, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Answers the requests of one connection.
async fn serve(
    mut stream: TcpStream,
    instances: &HashMap<&'static str, Instance>,
    log: &Mutex<Vec<Seen>>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(head_end) = find(&buffer, b"\r\n\r\n") else {
            let mut chunk = [0_u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let header = |name: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let length: usize = header("content-length")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + 4 + length {
            let mut chunk = [0_u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        let body: Vec<u8> = buffer
            .drain(..head_end + 4 + length)
            .skip(head_end + 4)
            .collect();
        let form = form_decode(&String::from_utf8_lossy(&body));
        let (access_key, region) = credential_scope(&header("authorization").unwrap_or_default());
        let seen = Seen {
            action: form.get("Action").cloned().unwrap_or_default(),
            instance: form
                .get("DBInstanceIdentifier")
                .cloned()
                .unwrap_or_default(),
            access_key,
            region,
        };
        log.lock().expect("lock").push(seen.clone());
        let (status, xml) = answer(&seen, form.get("Version"), instances);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The status line and XML body for a request.
fn answer(
    seen: &Seen,
    version: Option<&String>,
    instances: &HashMap<&'static str, Instance>,
) -> (&'static str, String) {
    if seen.action != "DescribeDBInstances" || version.map(String::as_str) != Some("2014-10-31") {
        return error(
            "400 Bad Request",
            "InvalidAction",
            "only DescribeDBInstances 2014-10-31",
        );
    }
    if seen.access_key != ACCESS_KEY {
        return error(
            "403 Forbidden",
            "InvalidClientTokenId",
            "unknown access key",
        );
    }
    if seen.instance == "denied-db" {
        return error(
            "403 Forbidden",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/runner is not authorized to perform: rds:DescribeDBInstances",
        );
    }
    let Some(instance) = instances.get(seen.instance.as_str()) else {
        return error(
            "404 Not Found",
            "DBInstanceNotFound",
            &format!("DBInstance {} not found.", seen.instance),
        );
    };
    let details = match instance {
        Instance::Available {
            engine,
            port,
            db_name,
        } => format!(
            "<Engine>{engine}</Engine><DBInstanceStatus>available</DBInstanceStatus>{}\
             <Endpoint><Address>127.0.0.1</Address><Port>{port}</Port><HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId></Endpoint>",
            db_name.map(|name| format!("<DBName>{name}</DBName>")).unwrap_or_default()
        ),
        Instance::Creating => {
            "<Engine>postgres</Engine><DBInstanceStatus>creating</DBInstanceStatus>".to_owned()
        }
    };
    (
        "200 OK",
        format!(
            "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
             <DescribeDBInstancesResult><DBInstances><DBInstance>\
             <DBInstanceIdentifier>{}</DBInstanceIdentifier>{details}\
             </DBInstance></DBInstances></DescribeDBInstancesResult>\
             <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\
             </DescribeDBInstancesResponse>",
            seen.instance
        ),
    )
}

fn error(status: &'static str, code: &str, message: &str) -> (&'static str, String) {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>req-2</RequestId></ErrorResponse>"
        ),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `a=b&c=d` with `%XX` and `+` decoded.
fn form_decode(body: &str) -> HashMap<String, String> {
    let decode = |text: &str| {
        let bytes = text.replace('+', " ").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while index < bytes.len() {
            let hex = bytes
                .get(index + 1..index + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok());
            match (bytes[index], hex) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    index += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    index += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

/// The access key and region of a SigV4 `Authorization` header for the
/// `rds` service (`Credential=KEY/date/region/rds/aws4_request`); empty
/// strings when it is not one.
fn credential_scope(authorization: &str) -> (String, String) {
    let scope = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .and_then(|rest| {
            rest.split(", ")
                .find_map(|part| part.strip_prefix("Credential="))
        })
        .map(|scope| scope.split('/').collect::<Vec<_>>());
    match scope.as_deref() {
        Some([key, _date, region, "rds", "aws4_request"]) => {
            ((*key).to_owned(), (*region).to_owned())
        }
        _ => (String::new(), String::new()),
    }
}

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

fn seen(instance: &str, region: &str) -> Seen {
    Seen {
        action: "DescribeDBInstances".to_owned(),
        instance: instance.to_owned(),
        access_key: ACCESS_KEY.to_owned(),
        region: region.to_owned(),
    }
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
