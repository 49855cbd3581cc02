//! Ctrl-C and SIGTERM: the first asks for a graceful drain, the second
//! stops the process at once.

use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

/// The exit code after a second signal cut the drain short.
pub(crate) const INTERRUPTED: u8 = 130;

/// Trips on the second signal.
fn interrupt() -> &'static CancellationToken {
    static INTERRUPT: OnceLock<CancellationToken> = OnceLock::new();
    INTERRUPT.get_or_init(CancellationToken::new)
}

/// Resolves on the first Ctrl-C or SIGTERM, and from then on watches for a
/// second one, which trips [`interrupted`].
pub(crate) async fn shutdown_requested() {
    one_signal().await;
    tracing::info!("shutting down: finishing tasks in flight (signal again to stop at once)");
    tokio::spawn(async {
        one_signal().await;
        eprintln!("taskrunner: second signal; stopping now without draining");
        interrupt().cancel();
    });
}

/// Resolves on the second signal. `main` then stops waiting for the drain
/// and shuts the runtime down, which drops the tasks still running: their
/// shell activities kill their commands' process groups, so that nothing
/// cut short runs on beside the runner the service hands the task to next
/// (`std::process::exit` would leave the commands running).
pub(crate) async fn interrupted() {
    interrupt().cancelled().await;
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
