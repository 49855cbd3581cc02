//! A TCP proxy in front of the service that notes when a given operation's
//! first request passes: how a suite sees, from outside, the moment a
//! process it does not control (the `taskrunner` binary) first calls the
//! service.
//!
//! Every request of the Data Pipeline protocol names its operation in the
//! `X-Amz-Target` header (`DataPipeline.PollForTask`), so the proxy scans
//! the bytes a client sends for that name and forwards everything
//! unchanged, both ways. It costs a copy and a scan per chunk: tens of
//! microseconds, nothing next to a process start.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How many bytes of one chunk are kept to match a name split across two
/// reads.
const CARRY: usize = 64;

/// What the proxy has seen.
#[derive(Debug)]
struct Seen {
    /// The bytes to look for, e.g. `DataPipeline.PollForTask`.
    needle: Vec<u8>,
    /// When the first request carrying them passed, if one has.
    first: Mutex<Option<Instant>>,
    /// Woken when `first` is set.
    arrived: Notify,
}

/// A running proxy; it stops with the runtime it was started on.
#[derive(Debug, Clone)]
pub(crate) struct WatchingProxy {
    /// Where clients connect.
    address: SocketAddr,
    /// Shared with the connection tasks.
    seen: Arc<Seen>,
}

impl WatchingProxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream` (an endpoint URL
    /// such as `http://127.0.0.1:40123`) that watches for `operation`'s
    /// target, e.g. `PollForTask`.
    pub(crate) async fn start(upstream: &str, operation: &str) -> anyhow::Result<Self> {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("the service endpoint {upstream} is not http://IP:PORT"))?;
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot bind the proxy")?;
        let address = listener.local_addr().context("the proxy has no address")?;
        let seen = Arc::new(Seen {
            needle: format!("DataPipeline.{operation}").into_bytes(),
            first: Mutex::new(None),
            arrived: Notify::new(),
        });
        let accepting = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = accepting.clone();
                tokio::spawn(async move {
                    // A connection that fails ends; the client sees it.
                    let _ = forward(client, upstream, seen).await;
                });
            }
        });
        Ok(Self { address, seen })
    }

    /// The endpoint URL clients should use.
    pub(crate) fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// When the first watched request passed, if one has.
    pub(crate) fn first(&self) -> Option<Instant> {
        *self
            .seen
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the first watched request has passed and answers when.
    pub(crate) async fn first_arrival(&self) -> Instant {
        loop {
            let notified = self.seen.arrived.notified();
            if let Some(first) = self.first() {
                return first;
            }
            notified.await;
        }
    }

    /// Forgets the first arrival, so that the proxy can time another client.
    pub(crate) fn reset(&self) {
        *self
            .seen
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Forwards one connection both ways, scanning what the client sends.
async fn forward(client: TcpStream, upstream: SocketAddr, seen: Arc<Seen>) -> anyhow::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut window: Vec<u8> = Vec::with_capacity(CARRY + buffer.len());
    loop {
        let read = client_read.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        let at = Instant::now();
        window.extend_from_slice(&buffer[..read]);
        if contains(&window, &seen.needle) {
            let mut first = seen.first.lock().unwrap_or_else(PoisonError::into_inner);
            if first.is_none() {
                *first = Some(at);
                seen.arrived.notify_waiters();
            }
            window.clear();
        } else if window.len() > CARRY {
            window.drain(..window.len() - CARRY);
        }
        server_write.write_all(&buffer[..read]).await?;
    }
    let _ = server_write.shutdown().await;
    let _ = answers.await;
    Ok(())
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_are_found_anywhere() {
        assert!(contains(
            b"x-amz-target: DataPipeline.PollForTask\r\n",
            b"DataPipeline.PollForTask"
        ));
        assert!(!contains(
            b"DataPipeline.SetTaskStatus",
            b"DataPipeline.PollForTask"
        ));
        assert!(!contains(b"", b"x"));
    }
}
