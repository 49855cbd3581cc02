//! `--metrics-addr`: Prometheus text on `/metrics`, and `/healthz` and
//! `/readyz` for orchestrators.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

/// Whether the runner takes work: `/readyz` answers 503 while it drains.
#[derive(Debug, Clone, Default)]
pub(crate) struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub(crate) fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}

#[derive(Clone)]
struct Shared {
    handle: PrometheusHandle,
    readiness: Readiness,
}

/// Installs the Prometheus recorder and serves it on `address` until `stop`.
///
/// # Errors
/// When the recorder is already installed or the address cannot be bound.
pub(crate) async fn serve(
    address: SocketAddr,
    readiness: Readiness,
    stop: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|error| anyhow::anyhow!("cannot install the metrics recorder: {error}"))?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| anyhow::anyhow!("cannot serve metrics on {address}: {error}"))?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route(
            "/metrics",
            get(|State(shared): State<Shared>| async move { shared.handle.render() }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(|State(shared): State<Shared>| async move {
                if shared.readiness.0.load(Ordering::Relaxed) {
                    (StatusCode::OK, "ready\n")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                }
            }),
        )
        .with_state(Shared { handle, readiness });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "the metrics server stopped");
        }
    });
    Ok(bound)
}
