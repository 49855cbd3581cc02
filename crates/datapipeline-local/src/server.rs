//! The HTTP side: binding, serving connections, and shutting down.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::ServiceError;
use crate::persist::StateError;
use crate::protocol::request::failure;
use crate::service::{Core, Reply};
use crate::state::{Audit, Ledger, LedgerCounts, RunnerRecord};

/// The largest request body accepted: expressions may be 20 MiB.
const MAX_BODY: usize = 24 * 1024 * 1024;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound: pick another port or stop what holds it.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The state file (`Config::state`, `--state`) cannot be used: see
    /// [`StateError`] for each reason and what to do.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A running service. Dropping the handle leaves the service running until
/// the runtime ends; call [`ServiceHandle::shutdown`] to stop it.
#[derive(Debug)]
pub struct ServiceHandle {
    address: SocketAddr,
    core: Arc<Core>,
    server: JoinHandle<()>,
    timers: JoinHandle<()>,
    /// The driver of the service's own precondition checks.
    checks: JoinHandle<()>,
}

/// Starts the service on `address` (port 0 picks a free port). With
/// `config.state`, the state file is opened (created if missing) and its
/// state loaded first.
///
/// # Errors
/// [`StartError::State`] when the state file cannot be used,
/// [`StartError::Bind`] when the address cannot be bound.
pub async fn start_on(address: SocketAddr, config: Config) -> Result<ServiceHandle, StartError> {
    let core = Arc::new(Core::open(&config)?);
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| StartError::Bind { address, source })?;
    let address = listener
        .local_addr()
        .map_err(|source| StartError::Bind { address, source })?;
    let timers = tokio::spawn(core.clone().drive_timers());
    let checks = tokio::spawn(core.clone().drive_checks());
    let server = tokio::spawn(serve(listener, core.clone()));
    tracing::info!(%address, "datapipeline-local listening");
    Ok(ServiceHandle {
        address,
        core,
        server,
        timers,
        checks,
    })
}

/// Starts the service on `127.0.0.1` and a free port: what tests want.
///
/// # Errors
/// As [`start_on`].
pub async fn start(config: Config) -> Result<ServiceHandle, StartError> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

async fn serve(listener: TcpListener, core: Arc<Core>) {
    let graceful = GracefulShutdown::new();
    let shutdown: CancellationToken = core.shutdown.clone();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait and retry
                    // rather than end the service.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let core = core.clone();
        let service = service_fn(move |request| {
            let core = core.clone();
            async move { handle(&core, request).await }
        });
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are clients going away or injected drops.
            let _ = connection.await;
        });
    }
    // Give open connections a moment to finish their current request.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), graceful.shutdown()).await;
}

/// The error hyper gets for an injected dropped connection: it closes the
/// connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct DroppedConnection;

async fn handle(
    core: &Core,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            let error =
                ServiceError::Serialization(format!("the request body could not be read: {error}"));
            let response = failure(&error, "-");
            return Ok(response.map(Full::new));
        }
    };
    if crate::console::owns(parts.uri.path()) {
        let response = crate::console::serve(core, &parts.method, &parts.uri).await;
        return Ok(response.map(Full::new));
    }
    if parts.uri.path() != "/" {
        let error = ServiceError::UnknownOperation(format!(
            "path {} is not served: post to /",
            parts.uri.path()
        ));
        let mut response = failure(&error, "-").map(Full::new);
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    match core.handle(&parts.method, &parts.headers, &body).await {
        Reply::Respond(response) => Ok(response.map(Full::new)),
        Reply::Drop => Err(DroppedConnection),
    }
}

impl ServiceHandle {
    /// The address the service listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give an SDK or the AWS CLI (`--endpoint-url`).
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The URL of the web console, served on the same port (open it in a
    /// browser).
    pub fn console_url(&self) -> String {
        format!("http://{}{}/", self.address, crate::console::PREFIX)
    }

    /// The service's own counts of polls, leases and statuses.
    pub fn audit(&self) -> Audit {
        self.core.with_state(|state| state.audit)
    }

    /// A snapshot of the lease ledger: every lease granted, who held it,
    /// and how it ended. With a state file ([`Config::state`]) it goes on
    /// across restarts, SIGKILLs included.
    pub fn ledger(&self) -> Ledger {
        self.core.with_state(|state| state.ledger.clone())
    }

    /// The lease ledger's totals, without copying the ledger.
    pub fn ledger_counts(&self) -> LedgerCounts {
        self.core.with_state(|state| state.ledger.counts())
    }

    /// The runners that sent heartbeats.
    pub fn runners(&self) -> Vec<RunnerRecord> {
        self.core
            .with_state(|state| state.runners.records.values().cloned().collect())
    }

    /// Makes every later heartbeat of runner `taskrunner_id` answer
    /// `terminate: true`.
    pub fn terminate_runner(&self, taskrunner_id: &str) {
        self.core
            .with_state(|state| state.runners.terminate.insert(taskrunner_id.to_owned()));
    }

    /// Stops accepting connections, answers open long polls with `{}`, and
    /// waits for the service's tasks to end.
    pub async fn shutdown(self) {
        self.core.shutdown.cancel();
        let _ = self.server.await;
        let _ = self.timers.await;
        let _ = self.checks.await;
    }
}
