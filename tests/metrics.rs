//! `--metrics-addr`: Prometheus text on /metrics once work has run, /healthz,
//! and /readyz that answers 200 while the runner takes work and 503 while it
//! drains.

use crate::support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use support::*;

/// A port nothing listens on now (bound to :0, then released).
fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// GET `path` over HTTP/1.1; answers the status code and the body.
fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))
        .unwrap_or_else(|error| panic!("connect to {address}: {error}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP status line: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_health_and_readiness_are_served() {
    let service = service().await;
    let address = free_address();
    let scratch = tempfile::tempdir().unwrap();
    let started = scratch.path().join("started");
    let release = scratch.path().join("release");
    let quick = submit(
        &service.client,
        "quick",
        vec![on_demand_default("metrics"), shell("Quick", "true", vec![])],
    )
    .await;
    let mut runner = Taskrunner::against(
        &service,
        "metrics",
        &["--metrics-addr", &address.to_string()],
    );
    runner
        .wait_for_stdout(
            &format!("metrics http://{address}/metrics"),
            Duration::from_secs(10),
        )
        .await;

    let status = wait_for_status(
        &service.client,
        &quick,
        "Quick",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let (code, metrics) = get(address, "/metrics");
    assert_eq!(code, 200);
    for metric in [
        "taskrunner_polls_total",
        "taskrunner_acks_total",
        "taskrunner_outcomes_total",
    ] {
        assert!(
            metrics.contains(metric),
            "/metrics has {metric}:\n{metrics}"
        );
    }
    assert!(
        metrics.contains(r#"worker_group="metrics""#),
        "polls are labelled by worker group:\n{metrics}"
    );
    assert_eq!(get(address, "/healthz").0, 200);
    assert_eq!(get(address, "/readyz").0, 200, "ready while running");

    // A task that runs until released keeps the drain going.
    let _slow = submit(
        &service.client,
        "slow",
        vec![
            on_demand_default("metrics"),
            shell(
                "Slow",
                &format!(
                    "touch {}; while [ ! -e {} ]; do sleep 0.05; done",
                    display(&started),
                    display(&release)
                ),
                vec![],
            ),
        ],
    )
    .await;
    wait_until("the slow task starts", Duration::from_secs(20), || {
        started.exists()
    })
    .await;
    runner.signal("TERM");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while get(address, "/readyz").0 != 503 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz answers 503 while draining\n{}",
            runner.output()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(get(address, "/healthz").0, 200, "healthy while draining");
    std::fs::write(&release, "").unwrap();
    let status = runner.wait(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", runner.output());
}
