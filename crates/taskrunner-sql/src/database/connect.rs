//! [`Connection`]: one open connection to a MySQL or PostgreSQL server.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::ConnectOptions;

use super::config::{DatabaseConfig, Engine};
use super::error::DatabaseError;

/// How long a connection attempt may take unless `connectTimeout` (seconds)
/// says otherwise: long enough for a far server, short enough that a
/// firewalled host fails the task well inside a typical attempt timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An open connection, of either engine. Dropping it closes it; a
/// transaction still open then is rolled back by the server.
#[derive(Debug)]
pub enum Connection {
    /// A MySQL or MariaDB connection.
    MySql(MySqlConnection),
    /// A PostgreSQL connection.
    Postgres(PgConnection),
}

impl Connection {
    /// Connects as `config` says. Inside a
    /// [`ServerSessions::scope`](super::ServerSessions::scope) the
    /// connection's server-side id is recorded, so that a cancel can stop
    /// its statement on the server.
    ///
    /// TLS: `sslmode` (PostgreSQL: disable … verify-full), `sslMode`
    /// (MySQL: DISABLED … VERIFY_IDENTITY) or `useSSL`/`ssl` (`true` =
    /// required); by default TLS is used when the server offers it. Other
    /// properties are ignored (logged at debug level).
    ///
    /// # Errors
    ///
    /// [`DatabaseError::Connect`] naming the host, port, user and database
    /// and the reason; [`DatabaseError::Field`] for an unusable property.
    pub async fn open(config: &DatabaseConfig) -> Result<Self, DatabaseError> {
        let timeout = match config.property("connectTimeout") {
            Some(seconds) => Duration::from_secs(seconds.parse().map_err(|_| {
                connect_error(
                    config,
                    format!("connectTimeout `{seconds}` is not a number of seconds"),
                )
            })?),
            None => DEFAULT_CONNECT_TIMEOUT,
        };
        let attempt = async {
            match config.engine {
                Engine::MySql => mysql_options(config)?
                    .connect()
                    .await
                    .map(Self::MySql)
                    .map_err(|error| connect_error(config, reason(&error))),
                Engine::Postgres => postgres_options(config)?
                    .connect()
                    .await
                    .map(Self::Postgres)
                    .map_err(|error| connect_error(config, reason(&error))),
            }
        };
        let mut connection = tokio::time::timeout(timeout, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(connect_error(
                    config,
                    format!("no answer within {} s", timeout.as_secs()),
                ))
            })?;
        super::cancel::record(&mut connection, config).await;
        Ok(connection)
    }

    /// The engine of this connection.
    pub fn engine(&self) -> Engine {
        match self {
            Self::MySql(_) => Engine::MySql,
            Self::Postgres(_) => Engine::Postgres,
        }
    }
}

fn mysql_options(config: &DatabaseConfig) -> Result<MySqlConnectOptions, DatabaseError> {
    let mut options = MySqlConnectOptions::new()
        .host(&config.host)
        .port(config.port)
        .username(&config.user)
        .password(&config.password.0);
    if let Some(database) = &config.database {
        options = options.database(database);
    }
    let mode = match (config.property("sslMode"), ssl_flag(config)) {
        (Some(mode), _) => Some(MySqlSslMode::from_str(&mode.to_ascii_lowercase()).map_err(
            |_| connect_error(config, format!("sslMode `{mode}` is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY")),
        )?),
        (None, Some(true)) => Some(MySqlSslMode::Required),
        (None, Some(false)) => Some(MySqlSslMode::Disabled),
        (None, None) => None,
    };
    if let Some(mode) = mode {
        options = options.ssl_mode(mode);
    }
    log_ignored(config, &["sslMode", "useSSL", "ssl", "connectTimeout"]);
    Ok(options.disable_statement_logging())
}

fn postgres_options(config: &DatabaseConfig) -> Result<PgConnectOptions, DatabaseError> {
    let mut options = PgConnectOptions::new_without_pgpass()
        .host(&config.host)
        .port(config.port)
        .username(&config.user)
        .password(&config.password.0)
        .application_name("taskrunner");
    if let Some(database) = &config.database {
        options = options.database(database);
    }
    let mode = match (config.property("sslmode"), ssl_flag(config)) {
        (Some(mode), _) => Some(PgSslMode::from_str(mode).map_err(|_| {
            connect_error(config, format!("sslmode `{mode}` is not one of disable, allow, prefer, require, verify-ca, verify-full"))
        })?),
        (None, Some(true)) => Some(PgSslMode::Require),
        (None, Some(false)) => Some(PgSslMode::Disable),
        (None, None) => None,
    };
    if let Some(mode) = mode {
        options = options.ssl_mode(mode);
    }
    log_ignored(config, &["sslmode", "useSSL", "ssl", "connectTimeout"]);
    Ok(options.disable_statement_logging())
}

/// `useSSL` or `ssl` as a boolean, when set.
fn ssl_flag(config: &DatabaseConfig) -> Option<bool> {
    config
        .property("useSSL")
        .or_else(|| config.property("ssl"))
        .map(|value| value.eq_ignore_ascii_case("true"))
}

fn log_ignored(config: &DatabaseConfig, known: &[&str]) {
    for (key, _) in &config.properties {
        if !known.iter().any(|name| name.eq_ignore_ascii_case(key)) {
            tracing::debug!(property = %key, "JDBC property not used by the built-in driver");
        }
    }
}

/// The reason a connection failed, as the server or the network said it.
fn reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(error) => match error.code() {
            Some(code) => format!("{} ({code})", error.message()),
            None => error.message().to_owned(),
        },
        sqlx::Error::Io(error) => error.to_string(),
        other => other.to_string(),
    }
}

fn connect_error(config: &DatabaseConfig, reason: String) -> DatabaseError {
    DatabaseError::Connect {
        engine: config.engine.name(),
        host: config.host.clone(),
        port: config.port,
        user: config.user.clone(),
        database: config.database.clone().unwrap_or_default(),
        reason,
    }
}
