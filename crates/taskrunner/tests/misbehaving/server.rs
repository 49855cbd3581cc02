//! The impostor's TCP side: a minimal HTTP/1.1 reader, one request per
//! connection, and answers written as the script says.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Answer;

/// A request the impostor received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived.
    pub at: Instant,
    /// The operation, from `X-Amz-Target`.
    pub operation: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

#[derive(Debug, Default)]
struct Shared {
    /// PollForTask answers still to give, in order; when it is empty, polls
    /// are answered by `idle`.
    script: VecDeque<Answer>,
    /// The answer to polls once the script is done.
    idle: Option<Answer>,
    requests: Vec<Recorded>,
}

/// A running impostor.
#[derive(Debug)]
pub struct Impostor {
    address: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    server: JoinHandle<()>,
}

impl Impostor {
    /// Starts an impostor that answers polls with `script`, then with
    /// `idle` (an empty poll after 100 ms unless set otherwise).
    pub async fn start(script: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("an address");
        let shared = Arc::new(Mutex::new(Shared {
            script: script.into(),
            idle: Some(Answer::Empty(Duration::from_millis(100))),
            requests: Vec::new(),
        }));
        let server = tokio::spawn(serve(listener, shared.clone()));
        Self {
            address,
            shared,
            server,
        }
    }

    /// The endpoint URL to point the SDK at.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Answers every poll after the script with `answer`.
    pub fn set_idle(&self, answer: Answer) {
        self.shared.lock().idle = Some(answer);
    }

    /// Appends answers to the script.
    pub fn push(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.lock().script.extend(answers);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The requests for `operation` so far.
    pub fn requests_for(&self, operation: &str) -> Vec<Recorded> {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|request| request.operation == operation)
            .cloned()
            .collect()
    }

    /// How many script answers are still to give.
    pub fn script_left(&self) -> usize {
        self.shared.lock().script.len()
    }
}

impl Drop for Impostor {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            // Connection errors are the client giving up, which some
            // answers provoke on purpose.
            let _ = connection(stream, shared).await;
        });
    }
}

/// Serves requests on one connection until the client closes it or an
/// answer ends it.
async fn connection(mut stream: TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    loop {
        let Some((operation, body)) = read_request(&mut stream, &mut buffer).await? else {
            return Ok(());
        };
        let answer = {
            let mut shared = shared.lock();
            shared.requests.push(Recorded {
                at: Instant::now(),
                operation: operation.clone(),
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            match operation.as_str() {
                "PollForTask" => shared
                    .script
                    .pop_front()
                    .or_else(|| shared.idle.clone())
                    .unwrap_or(Answer::Empty(Duration::from_millis(100))),
                "ReportTaskProgress" => Answer::json(&json!({"canceled": false})),
                "ReportTaskRunnerHeartbeat" => Answer::json(&json!({"terminate": false})),
                _ => Answer::Body(Vec::new()),
            }
        };
        if !write_answer(&mut stream, answer).await? {
            return Ok(());
        }
    }
}

/// Reads one request: its operation and body; `None` at end of stream.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut chunk = [0_u8; 8192];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let operation = header("x-amz-target")
        .and_then(|target| target.strip_prefix("DataPipeline.").map(str::to_owned))
        .unwrap_or_default();
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = buffer[header_end..header_end + length].to_vec();
    buffer.drain(..header_end + length);
    Ok(Some((operation, body)))
}

fn head(status: u16, content_type: &str, length: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\nx-amzn-requestid: impostor\r\n\r\n"
    )
    .into_bytes()
}

const JSON: &str = "application/x-amz-json-1.1";

/// Writes `answer`; whether the connection may serve another request.
async fn write_answer(stream: &mut TcpStream, answer: Answer) -> std::io::Result<bool> {
    match answer {
        Answer::Body(body) => {
            stream.write_all(&head(200, JSON, body.len())).await?;
            stream.write_all(&body).await?;
            Ok(true)
        }
        Answer::Raw {
            status,
            content_type,
            body,
        } => {
            stream
                .write_all(&head(status, content_type, body.len()))
                .await?;
            stream.write_all(&body).await?;
            Ok(true)
        }
        Answer::ShortBody(body) => {
            stream.write_all(&head(200, JSON, body.len())).await?;
            stream.write_all(&body[..body.len() / 2]).await?;
            stream.shutdown().await?;
            Ok(false)
        }
        Answer::SlowLoris { body, interval } => {
            stream.write_all(&head(200, JSON, body.len())).await?;
            for byte in body {
                tokio::time::sleep(interval).await;
                stream.write_all(&[byte]).await?;
            }
            Ok(true)
        }
        Answer::Reset(body) => {
            stream.write_all(&head(200, JSON, body.len())).await?;
            stream.write_all(&body[..body.len() / 2]).await?;
            stream.flush().await?;
            // A zero linger turns the close into a reset. (It is deprecated
            // because a non-zero linger blocks the thread on drop; a zero
            // one does not.)
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            Ok(false)
        }
        Answer::Empty(delay) => {
            tokio::time::sleep(delay).await;
            stream.write_all(&head(200, JSON, 2)).await?;
            stream.write_all(b"{}").await?;
            Ok(true)
        }
    }
}
