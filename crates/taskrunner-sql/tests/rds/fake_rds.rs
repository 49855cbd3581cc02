//! A server of RDS's Query protocol for `DescribeDBInstances`, on
//! 127.0.0.1:0, for the real aws-sdk-rds client: it checks the action, the
//! API version and the SigV4 credential scope, records each request, and
//! answers from a table of instances (XML shapes of RDS's 2014-10-31 API).
//! Shared by tests/rds.rs and the binary's tests/sql_rds.rs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The runner's access key, which every request must be signed with.
pub(crate) const ACCESS_KEY: &str = "AKIDRUNNERRDS";

/// What the fake service knows of an instance.
#[derive(Debug, Clone)]
pub(crate) enum Instance {
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
pub(crate) struct Seen {
    pub(crate) action: String,
    pub(crate) instance: String,
    /// The SigV4 credential scope's access key and region.
    pub(crate) access_key: String,
    pub(crate) region: String,
}

/// A server of RDS's Query protocol (form-encoded POST, XML answer) for
/// `DescribeDBInstances`; stopped when dropped.
pub(crate) struct FakeRds {
    /// The endpoint URL.
    pub(crate) url: String,
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
    pub(crate) async fn start(instances: HashMap<&'static str, Instance>) -> Self {
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

    /// The requests so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
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

/// The request the runner should send for `instance` in `region`.
pub(crate) fn seen(instance: &str, region: &str) -> Seen {
    Seen {
        action: "DescribeDBInstances".to_owned(),
        instance: instance.to_owned(),
        access_key: ACCESS_KEY.to_owned(),
        region: region.to_owned(),
    }
}
