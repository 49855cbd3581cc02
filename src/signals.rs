//! Ctrl-C and SIGTERM: the first asks for a graceful drain, the second
//! stops the process at once.

/// The exit code after a second signal cut the drain short.
pub(crate) const INTERRUPTED: u8 = 130;

/// Resolves on the first Ctrl-C or SIGTERM, and from then on watches for a
/// second one, which ends the process immediately.
pub(crate) async fn shutdown_requested() {
    one_signal().await;
    tracing::info!("shutting down: finishing tasks in flight (signal again to stop at once)");
    tokio::spawn(async {
        one_signal().await;
        eprintln!("taskrunner: second signal; stopping now without draining");
        std::process::exit(i32::from(INTERRUPTED));
    });
}

async fn one_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
