//! Ctrl-C and SIGTERM: the first asks for a graceful drain, the second
//! stops the process at once.
//!
//! [`listen`] installs the handlers as the runtime starts, before anything
//! else: a signal that arrives while the runner is still starting up is
//! kept (and starts the drain as soon as there is something to drain)
//! rather than killing the process with the default action.

use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

/// The exit code after a second signal cut the drain short.
pub(crate) const INTERRUPTED: u8 = 130;

/// Trips on the first signal.
fn shutdown() -> &'static CancellationToken {
    static SHUTDOWN: OnceLock<CancellationToken> = OnceLock::new();
    SHUTDOWN.get_or_init(CancellationToken::new)
}

/// Trips on the second signal.
fn interrupt() -> &'static CancellationToken {
    static INTERRUPT: OnceLock<CancellationToken> = OnceLock::new();
    INTERRUPT.get_or_init(CancellationToken::new)
}

/// Installs the Ctrl-C and SIGTERM handlers and watches them for the rest
/// of the process. Call once, first thing inside the runtime.
pub(crate) fn listen() {
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let interrupt_signal =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    tokio::spawn(async move {
        let mut signals = Signals {
            terminate,
            interrupt: interrupt_signal,
        };
        signals.next().await;
        tracing::info!("shutting down: finishing tasks in flight (signal again to stop at once)");
        shutdown().cancel();
        signals.next().await;
        eprintln!("taskrunner: second signal; stopping now without draining");
        interrupt().cancel();
    });
}

/// Resolves once the first Ctrl-C or SIGTERM has arrived (at once when it
/// already has).
pub(crate) async fn shutdown_requested() {
    shutdown().cancelled().await;
}

/// Resolves on the second signal. `main` then stops waiting for the drain
/// and shuts the runtime down, which drops the tasks still running: their
/// shell activities kill their commands' process groups, so that nothing
/// cut short runs on beside the runner the service hands the task to next
/// (`std::process::exit` would leave the commands running).
pub(crate) async fn interrupted() {
    interrupt().cancelled().await;
}

/// The two signal streams; either one counts.
struct Signals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// The next Ctrl-C or SIGTERM (never, when neither could be installed).
    async fn next(&mut self) {
        let terminate = async {
            match self.terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        let interrupt = async {
            match self.interrupt.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = terminate => {}
            () = interrupt => {}
        }
    }
}
