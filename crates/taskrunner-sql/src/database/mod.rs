//! Databases: which server a task talks to ([`DatabaseConfig`]), and the
//! open connection ([`Connection`]), and stopping a canceled task's
//! statements on the server ([`ServerSessions`]).
//!
//! A `JdbcDatabase` names its server by a `jdbc:mysql://` or
//! `jdbc:postgresql://` connection string; an `RdsDatabase` by an RDS
//! instance id whose endpoint and engine come from [`RdsEndpoints`] (an
//! override, or the RDS API's `DescribeDBInstances`); and the older
//! style of data node carries `connectionString`, `username` and
//! `*password` itself. Only the MySQL (also MariaDB) and PostgreSQL drivers
//! are built in: anything else ends `FAILED` with
//! [`JdbcDriverNotBuiltIn`](crate::error_id::DRIVER_NOT_BUILT_IN).

mod cancel;
mod config;
mod connect;
mod error;
mod jdbc_url;
mod rds;
mod rds_api;

pub use cancel::{ServerSessions, CANCEL_TIMEOUT};
pub use config::{DatabaseConfig, Engine};
pub use connect::Connection;
pub use error::DatabaseError;
pub use rds::{RdsEndpoints, RDS_ENDPOINT_ENV_PREFIX};
pub use rds_api::{RdsInstance, RdsLookupError, RDS_API_TIMEOUT, RDS_ENDPOINT_CACHE_TTL};
