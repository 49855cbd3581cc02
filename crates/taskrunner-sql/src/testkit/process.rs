//! Starting and stopping a server process, by pid.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (free when asked; the server binds it next).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// True when the tests run as root (servers refuse or need extra flags then).
pub fn running_as_root() -> bool {
    // `id -u` rather than a libc call: the crate forbids unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The first existing path among `candidates`, or a panic naming the Debian
/// packages that provide it: a missing server fails the test, never skips it.
pub fn find_program(candidates: &[PathBuf], what: &str, package: &str) -> PathBuf {
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{what} not found (looked at {candidates:?}): install Debian's {package} \
                 (apt-get install {package}; tests/run.sh does this as root)"
            )
        })
}

/// A server process stopped by its pid when dropped: SIGTERM, then SIGKILL
/// if it has not exited within a few seconds.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    /// Spawns `command`, its output going to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> Self {
        let out = std::fs::File::create(log).expect("create server log");
        let err = out.try_clone().expect("clone server log");
        let child = command
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {command:?}: {error}"));
        Self {
            child,
            log: log.to_owned(),
        }
    }

    /// Panics with the server's log if it has exited.
    pub fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("the server exited ({status}) while starting; its log:\n{log}");
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a setup command to completion, panicking with its output on failure.
pub fn run_setup(mut command: Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
