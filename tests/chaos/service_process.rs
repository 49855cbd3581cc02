//! The service of a chaos run as a process of its own, so that the harness
//! can SIGKILL it: this test binary run again with only the test
//! `chaos_service_process` (in `tests/chaos.rs`), which, given
//! [`STATE_VARIABLE`], serves `datapipeline-local` on that state file until
//! it is killed. Nothing of it runs shutdown code: what the next process
//! finds is what the file committed.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The state file the service process serves.
pub(crate) const STATE_VARIABLE: &str = "CHAOS_SERVICE_STATE";
/// The port it listens on (0: any).
pub(crate) const PORT_VARIABLE: &str = "CHAOS_SERVICE_PORT";
/// The seed of its faults.
pub(crate) const SEED_VARIABLE: &str = "CHAOS_SERVICE_SEED";
/// What it prints, followed by its address, once it listens.
pub(crate) const LISTENING: &str = "chaos service listening on ";

/// A live service process.
pub(crate) struct ServiceProcess {
    child: Child,
    /// Kept open so that the process never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
    /// Where it listens.
    pub(crate) address: SocketAddr,
}

impl ServiceProcess {
    /// Starts the service on `state` and `port` (0 for any), its faults
    /// seeded with `seed`, and waits until it listens. Retries while the
    /// port or the file is still held by a process just killed.
    pub(crate) async fn start(state: &Path, port: u16, seed: u64) -> Self {
        let mut last = String::new();
        for _ in 0..100 {
            match Self::try_start(state, port, seed).await {
                Ok(started) => return started,
                Err(reason) => last = reason,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the service process does not start on port {port}: {last}");
    }

    async fn try_start(state: &Path, port: u16, seed: u64) -> Result<Self, String> {
        let test_binary = std::env::current_exe().map_err(|error| error.to_string())?;
        let mut child = Command::new(test_binary)
            .args(["--exact", "chaos_service_process", "--nocapture"])
            .env(STATE_VARIABLE, state)
            .env(PORT_VARIABLE, port.to_string())
            .env(SEED_VARIABLE, seed.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot spawn: {error}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let listening = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(address) = line.strip_prefix(LISTENING) {
                    return Some(address.to_owned());
                }
            }
            None
        })
        .await;
        let Ok(Some(address)) = listening else {
            let _ = child.kill().await;
            return Err("it exited or went silent before listening".into());
        };
        let address = address
            .parse()
            .map_err(|error| format!("it printed an address that is none: {address}: {error}"))?;
        Ok(Self {
            child,
            _stdout: lines,
            address,
        })
    }

    /// SIGKILL, and waits for the process to be gone.
    pub(crate) async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}
