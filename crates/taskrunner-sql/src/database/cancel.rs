//! Stopping a canceled task's statements on the server.
//!
//! Closing a connection does not stop what it runs: PostgreSQL (unless
//! `client_connection_check_interval` is set) and MySQL/MariaDB notice a
//! closed client socket only when they next write to it, so a
//! `pg_sleep(600)`, a long `UPDATE` or a COPY that is waiting for data goes
//! on running and holding its locks. A canceled task therefore asks the
//! server, from a fresh connection, to stop the statement:
//! `pg_cancel_backend(pid)` on PostgreSQL, `KILL QUERY id` on MySQL and
//! MariaDB. The open transaction is then rolled back as usual when the
//! task's connection closes.
//!
//! [`ServerSessions::scope`] wraps a task's work; every [`Connection`]
//! opened inside it records its server-side id there (through a task-local,
//! so the script and copy paths that open connections need no extra
//! argument), and [`ServerSessions::cancel_all`] stops them. Outside a scope
//! a connection records nothing and costs no extra round trip.
//!
//! [`Connection`]: super::Connection

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::Executor;

use super::config::DatabaseConfig;
use super::connect::Connection;

/// How long stopping one statement may take, the fresh connection
/// included: a server that does not answer this fast is left alone (the
/// task's connection still closes, and the runner's cancel grace bounds the
/// wait anyway).
pub const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// MySQL's error number for `KILL` of an id that is not connected.
const ER_NO_SUCH_THREAD: u16 = 1094;

tokio::task_local! {
    /// The sessions of the task whose work is running, when in a scope.
    static SESSIONS: ServerSessions;
}

/// Which server-side session a connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SessionId {
    /// A PostgreSQL backend: its pid, and its start time as text so that a
    /// pid reused by a later backend is not canceled by mistake.
    Postgres {
        /// `pg_backend_pid()`.
        pid: i32,
        /// `backend_start` of that pid in `pg_stat_activity`.
        started: String,
    },
    /// A MySQL or MariaDB connection's `CONNECTION_ID()` (never reused
    /// while the server runs).
    MySql(u64),
}

/// One open connection as the server knows it.
#[derive(Debug, Clone)]
struct ServerSession {
    /// Where and as whom to connect to cancel it.
    database: DatabaseConfig,
    /// Its server-side id.
    id: SessionId,
}

/// The server-side sessions a task has opened, so that a canceled task can
/// stop their statements. Cheap to clone; clones share the list.
#[derive(Debug, Clone, Default)]
pub struct ServerSessions {
    /// Sessions in the order they were opened; a connection already closed
    /// stays listed (canceling it does nothing).
    opened: Arc<Mutex<Vec<ServerSession>>>,
}

impl ServerSessions {
    /// Runs `work`, recording the connections it opens.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        SESSIONS.scope(self.clone(), work).await
    }

    /// Asks each recorded session's server to stop the statement it runs,
    /// each within [`CANCEL_TIMEOUT`]. Failures are logged, not returned:
    /// the task is being canceled either way, and closing its connection
    /// still ends the session once the server notices.
    pub async fn cancel_all(&self) {
        let sessions = std::mem::take(&mut *self.lock());
        futures::future::join_all(sessions.iter().map(ServerSession::cancel)).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ServerSession>> {
        // A poisoned list is still a list of ids.
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Records `connection`'s server-side id when a [`ServerSessions::scope`]
/// is active. A failure to read the id is logged: the task runs on, only
/// uncancellable on the server.
pub(super) async fn record(connection: &mut Connection, database: &DatabaseConfig) {
    let Ok(sessions) = SESSIONS.try_with(ServerSessions::clone) else {
        return;
    };
    match session_id(connection).await {
        Ok(id) => sessions.lock().push(ServerSession {
            database: database.clone(),
            id,
        }),
        Err(error) => tracing::warn!(
            host = %database.host,
            port = database.port,
            %error,
            "cannot read the session id: a cancel will not stop the statement on the server"
        ),
    }
}

async fn session_id(connection: &mut Connection) -> Result<SessionId, sqlx::Error> {
    match connection {
        Connection::Postgres(connection) => {
            let (pid, started): (i32, String) = sqlx::query_as(
                "SELECT pid, backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            )
            .fetch_one(&mut *connection)
            .await?;
            Ok(SessionId::Postgres { pid, started })
        }
        Connection::MySql(connection) => {
            let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                .fetch_one(&mut *connection)
                .await?;
            Ok(SessionId::MySql(id))
        }
    }
}

impl ServerSession {
    /// Stops the session's running statement, if any; logs the outcome.
    async fn cancel(&self) {
        let attempt = async {
            let mut admin = Connection::open(&self.database)
                .await
                .map_err(|error| error.to_string())?;
            stop_statement(&mut admin, &self.id)
                .await
                .map_err(|error| error.to_string())
        };
        let session = format!("{:?}", self.id);
        match tokio::time::timeout(CANCEL_TIMEOUT, attempt).await {
            Ok(Ok(())) => tracing::info!(%session, "asked the server to stop the statement"),
            Ok(Err(error)) => {
                tracing::warn!(%session, %error, "cannot stop the statement on the server");
            }
            Err(_) => tracing::warn!(
                %session,
                "the server did not confirm the statement's stop within {} s",
                CANCEL_TIMEOUT.as_secs()
            ),
        }
    }
}

async fn stop_statement(admin: &mut Connection, id: &SessionId) -> Result<(), sqlx::Error> {
    match (admin, id) {
        (Connection::Postgres(admin), SessionId::Postgres { pid, started }) => {
            // No row when the backend has ended (or its pid was reused).
            sqlx::query(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
                 WHERE pid = $1 AND backend_start::text = $2",
            )
            .bind(pid)
            .bind(started)
            .fetch_all(&mut *admin)
            .await
            .map(drop)
        }
        (Connection::MySql(admin), SessionId::MySql(id)) => {
            match admin.execute(format!("KILL QUERY {id}").as_str()).await {
                Ok(_) => Ok(()),
                // ER_NO_SUCH_THREAD: the connection has ended already.
                Err(sqlx::Error::Database(error))
                    if error
                        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                        .is_some_and(|error| error.number() == ER_NO_SUCH_THREAD) =>
                {
                    tracing::debug!(%error, "the session had ended");
                    Ok(())
                }
                Err(error) => Err(error),
            }
        }
        _ => Err(sqlx::Error::Protocol(
            "the engine of the session and of its database differ".to_owned(),
        )),
    }
}
