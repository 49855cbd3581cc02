//! A PostgreSQL server in a temp directory on a free 127.0.0.1 port.
//!
//! PostgreSQL refuses to run as root, so as root the data directory is
//! given to `nobody` and initdb and postgres run as that user (`setpriv`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use sqlx::Connection;

use super::process::{find_program, free_port, run_setup, running_as_root, ServerProcess};
use super::{TestDatabase, DATABASE, PASSWORD, USER};

/// A running PostgreSQL server with user [`USER`] (password [`PASSWORD`])
/// owning database [`DATABASE`]. Stopped by pid on drop.
#[derive(Debug)]
pub struct PostgresServer {
    /// Declared before `dir`: the server stops before its directory goes.
    _process: ServerProcess,
    _dir: tempfile::TempDir,
    port: u16,
}

impl PostgresServer {
    /// Starts a server and waits until it accepts the test user.
    pub async fn start() -> Self {
        let bin = postgres_bin_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("write pwfile");
        let as_root = running_as_root();
        if as_root {
            run_setup(with_args(
                "chown",
                &["-R", "nobody:nogroup", &dir.path().to_string_lossy()],
            ));
        }
        let as_server_user = |program: PathBuf| {
            if as_root {
                let mut command = Command::new("setpriv");
                command
                    .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                    .arg(program);
                command
            } else {
                Command::new(program)
            }
        };
        let mut initdb = as_server_user(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=scram-sha-256", "--pwfile"])
            .arg(&pwfile)
            .args(["-E", "UTF8", "--no-sync", "--locale=C"]);
        run_setup(initdb);
        let port = free_port();
        let mut postgres = as_server_user(bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
        let mut process = ServerProcess::spawn(postgres, &dir.path().join("server.log"));
        let admin = format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres");
        let mut connection = None;
        for _ in 0..300 {
            process.check_alive();
            if let Ok(ready) = sqlx::PgConnection::connect(&admin).await {
                connection = Some(ready);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut connection = connection.expect("postgres did not accept connections in 30 s");
        sqlx::raw_sql(&format!("CREATE DATABASE {DATABASE}"))
            .execute(&mut connection)
            .await
            .expect("create the test database");
        Self {
            _process: process,
            _dir: dir,
            port,
        }
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection to the test database, for setting up and checking.
    pub async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}",
            self.port
        ))
        .await
        .expect("connect to the test postgres")
    }
}

impl TestDatabase for PostgresServer {
    fn connection_string(&self) -> String {
        format!("jdbc:postgresql://127.0.0.1:{}/{DATABASE}", self.port)
    }
}

/// The newest installed `/usr/lib/postgresql/<version>/bin`.
fn postgres_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    let candidates: Vec<PathBuf> = versions
        .into_iter()
        .rev()
        .map(|(_, bin)| bin.join("postgres"))
        .collect();
    let postgres = find_program(
        &candidates,
        "PostgreSQL (/usr/lib/postgresql/*/bin/postgres)",
        "postgresql",
    );
    postgres.parent().expect("bin dir").to_owned()
}

fn with_args(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}
