//! A MariaDB server in a temp directory on a free 127.0.0.1 port.
//!
//! The test user and database are created by an `--init-file` as the server
//! starts; as root the server runs with `--user=root`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use sqlx::Connection;

use super::process::{find_program, free_port, run_setup, running_as_root, ServerProcess};
use super::{TestDatabase, DATABASE, PASSWORD, SCHEMA, USER};

/// A running MariaDB server with user [`USER`] (password [`PASSWORD`])
/// allowed everything on database [`DATABASE`]. Stopped by pid on drop.
#[derive(Debug)]
pub struct MariaDbServer {
    /// Declared before `dir`: the server stops before its directory goes.
    _process: ServerProcess,
    _dir: tempfile::TempDir,
    port: u16,
}

impl MariaDbServer {
    /// Starts a server and waits until it accepts the test user.
    pub async fn start() -> Self {
        let server = find_program(
            &[
                PathBuf::from("/usr/sbin/mariadbd"),
                PathBuf::from("/usr/bin/mariadbd"),
            ],
            "MariaDB (mariadbd)",
            "mariadb-server",
        );
        let install = find_program(
            &[
                PathBuf::from("/usr/bin/mariadb-install-db"),
                PathBuf::from("/usr/sbin/mariadb-install-db"),
            ],
            "mariadb-install-db",
            "mariadb-server",
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let as_root = running_as_root();
        // A temp directory of its own: servers bootstrapping at the same
        // time in a shared /tmp collide on temporary table names.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("create tmpdir");
        let mut setup = Command::new(install);
        setup
            .env("TMPDIR", &tmp)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=socket", "--skip-test-db"]);
        if as_root {
            setup.arg("--user=root");
        }
        run_setup(setup);
        let init = dir.path().join("init.sql");
        std::fs::write(
            &init,
            format!(
                "CREATE DATABASE {DATABASE};\n\
                 CREATE DATABASE {SCHEMA};\n\
                 CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}';\n\
                 CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}';\n\
                 GRANT ALL ON {DATABASE}.* TO '{USER}'@'%';\n\
                 GRANT ALL ON {DATABASE}.* TO '{USER}'@'localhost';\n\
                 GRANT ALL ON {SCHEMA}.* TO '{USER}'@'%';\n\
                 GRANT ALL ON {SCHEMA}.* TO '{USER}'@'localhost';\n"
            ),
        )
        .expect("write init file");
        let port = free_port();
        let mut command = Command::new(server);
        command
            .env("TMPDIR", &tmp)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!("--init-file={}", init.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--innodb-flush-log-at-trx-commit=0",
                "--skip-log-bin",
            ]);
        if as_root {
            command.arg("--user=root");
        }
        let mut process = ServerProcess::spawn(command, &dir.path().join("server.log"));
        let url = url(port);
        let mut ready = false;
        for _ in 0..300 {
            process.check_alive();
            if sqlx::MySqlConnection::connect(&url).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "mariadb did not accept connections in 30 s");
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
    pub async fn connect(&self) -> sqlx::MySqlConnection {
        sqlx::MySqlConnection::connect(&url(self.port))
            .await
            .expect("connect to the test mariadb")
    }
}

impl TestDatabase for MariaDbServer {
    fn connection_string(&self) -> String {
        format!("jdbc:mysql://127.0.0.1:{}/{DATABASE}", self.port)
    }
}

fn url(port: u16) -> String {
    format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}")
}
