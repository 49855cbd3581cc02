//! [`DatabaseConfig`]: the server, login and options a task connects with,
//! read once from the pipeline objects.

use std::fmt;

use super::error::DatabaseError;
use super::jdbc_url::{self, JdbcUrl, JdbcUrlError};
use super::rds::{RdsEndpoint, RdsEndpoints};
use crate::error::FieldError;
use crate::object::{Object, Objects};

/// The database engines with a built-in driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// MySQL or MariaDB.
    MySql,
    /// PostgreSQL.
    Postgres,
}

impl Engine {
    /// The engine's usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Self::MySql => 3306,
            Self::Postgres => 5432,
        }
    }

    /// The engine's name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::MySql => "MySQL",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The driver for an RDS engine name (`DescribeDBInstances`' `Engine`);
/// `None` for the engines without a built-in driver (Oracle, SQL Server,
/// Db2, …).
fn rds_engine(name: &str) -> Option<Engine> {
    match name {
        // `aurora` is the first Aurora MySQL's engine name.
        "mysql" | "mariadb" | "aurora" | "aurora-mysql" => Some(Engine::MySql),
        "postgres" | "aurora-postgresql" => Some(Engine::Postgres),
        _ => None,
    }
}

/// A password: shown as `***` by `Debug`, so that no log of a config holds it.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Password(pub(crate) String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where and as whom a task connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The engine (and so the driver).
    pub engine: Engine,
    /// The server's host.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// The database name, when one is given (`databaseName` wins over the
    /// connection string's path).
    pub database: Option<String>,
    /// The user.
    pub user: String,
    pub(crate) password: Password,
    /// `jdbcProperties` and the connection string's `?a=b` pairs, in order.
    pub properties: Vec<(String, String)>,
}

impl DatabaseConfig {
    /// The database a data node uses: its `database` reference, or (the older
    /// style of the Guide's MySQL tutorials) its own `connectionString`,
    /// `username` and `*password`.
    ///
    /// # Errors
    ///
    /// As [`from_object`](Self::from_object).
    pub fn for_node(
        node: &Object,
        objects: &Objects,
        rds: &RdsEndpoints,
    ) -> Result<Self, DatabaseError> {
        if node.field("database").is_some() {
            let database = objects.referenced(node, "database")?;
            return Self::from_object(database, rds);
        }
        if node.field("connectionString").is_some() {
            return Self::jdbc(node);
        }
        Err(FieldError::Missing {
            object: node.id.clone(),
            field: "database".to_owned(),
        }
        .into())
    }

    /// The database a `JdbcDatabase` or `RdsDatabase` object describes.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::Field`] for a missing or malformed field,
    /// [`DatabaseError::DriverNotBuiltIn`] for another driver, and
    /// [`DatabaseError::RdsEndpointUnknown`] for an RDS instance whose
    /// endpoint `rds` does not give, [`DatabaseError::RdsLookup`] for one the
    /// RDS API could not give (run this inside
    /// [`RdsEndpoints::resolving`] for the API to be asked).
    pub fn from_object(object: &Object, rds: &RdsEndpoints) -> Result<Self, DatabaseError> {
        match object.object_type() {
            "JdbcDatabase" => Self::jdbc(object),
            "RdsDatabase" => Self::rds(object, rds),
            other => Err(DatabaseError::DriverNotBuiltIn {
                object: object.id.clone(),
                what: format!("database type `{other}`"),
            }),
        }
    }

    fn jdbc(object: &Object) -> Result<Self, DatabaseError> {
        let connection_string = object.required("connectionString")?;
        Self::from_connection_string(object, connection_string, "connectionString")
    }

    fn rds(object: &Object, rds: &RdsEndpoints) -> Result<Self, DatabaseError> {
        let instance = object.required("rdsInstanceId")?;
        let found = match rds.lookup(instance, object.field("region")) {
            RdsEndpoint::Override(connection_string) => {
                return Self::from_connection_string(object, connection_string, "rdsInstanceId")
            }
            RdsEndpoint::Unknown => {
                return Err(DatabaseError::RdsEndpointUnknown {
                    object: object.id.clone(),
                    instance: instance.to_owned(),
                })
            }
            RdsEndpoint::Api { region, answer } => {
                answer
                    .as_ref()
                    .map_err(|failure| DatabaseError::RdsLookup {
                        object: object.id.clone(),
                        instance: instance.to_owned(),
                        region,
                        failure: Box::new(failure.clone()),
                    })?
            }
        };
        let engine = rds_engine(&found.engine).ok_or_else(|| DatabaseError::DriverNotBuiltIn {
            object: object.id.clone(),
            what: format!("RDS instance `{instance}`'s engine `{}`", found.engine),
        })?;
        Self::from_server(
            object,
            JdbcUrl {
                engine,
                host: found.host.clone(),
                port: found.port,
                database: found.database.clone(),
                properties: Vec::new(),
            },
        )
    }

    fn from_connection_string(
        object: &Object,
        connection_string: &str,
        field: &str,
    ) -> Result<Self, DatabaseError> {
        let url = jdbc_url::parse(connection_string).map_err(|error| match error {
            JdbcUrlError::UnknownDriver(driver) => DatabaseError::DriverNotBuiltIn {
                object: object.id.clone(),
                what: format!("the JDBC driver `{driver}`"),
            },
            JdbcUrlError::Malformed(reason) => {
                FieldError::invalid(&object.id, field, reason).into()
            }
        })?;
        Self::from_server(object, url)
    }

    /// The config for the server `url` names, with the object's login,
    /// `databaseName` and `jdbcProperties`.
    fn from_server(object: &Object, url: JdbcUrl) -> Result<Self, DatabaseError> {
        if let Some(jar) = object.field("jdbcDriverJarUri") {
            return Err(DatabaseError::DriverNotBuiltIn {
                object: object.id.clone(),
                what: format!("the driver jar {jar} (jdbcDriverJarUri)"),
            });
        }
        let mut properties = url.properties;
        for pair in object.values("jdbcProperties") {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                FieldError::invalid(
                    &object.id,
                    "jdbcProperties",
                    format!("`{pair}` is not of the form name=value"),
                )
            })?;
            properties.push((key.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Self {
            engine: url.engine,
            host: url.host,
            port: url.port,
            database: object
                .field("databaseName")
                .map(str::to_owned)
                .or(url.database),
            user: object.required("username")?.to_owned(),
            password: Password(object.field("*password").unwrap_or_default().to_owned()),
            properties,
        })
    }

    /// The value of property `key` (case-insensitive; the last one wins).
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jdbc(connection_string: &str) -> Object {
        Object::new("Db")
            .with("type", "JdbcDatabase")
            .with("connectionString", connection_string)
            .with("username", "app")
            .with("*password", "secret-pw")
    }

    #[test]
    fn reads_a_jdbc_database_and_hides_the_password() {
        let config = DatabaseConfig::from_object(
            &jdbc("jdbc:postgresql://h:6543/x").with("jdbcProperties", "sslmode=require"),
            &RdsEndpoints::new(),
        )
        .expect("config");
        assert_eq!(config.engine, Engine::Postgres);
        assert_eq!(config.database.as_deref(), Some("x"));
        assert_eq!(config.property("SSLMODE"), Some("require"));
        assert!(!format!("{config:?}").contains("secret-pw"));
    }

    #[test]
    fn other_drivers_and_jars_are_not_built_in() {
        let rds = RdsEndpoints::new();
        let error = DatabaseConfig::from_object(&jdbc("jdbc:oracle:thin:@h:1521:o"), &rds)
            .expect_err("oracle");
        assert_eq!(error.error_id(), "JdbcDriverNotBuiltIn");
        assert!(error.to_string().contains("jdbc:postgresql://"), "{error}");
        let jar = jdbc("jdbc:mysql://h/x").with("jdbcDriverJarUri", "s3://b/driver.jar");
        let error = DatabaseConfig::from_object(&jar, &rds).expect_err("jar");
        assert_eq!(error.error_id(), "JdbcDriverNotBuiltIn");
    }

    #[test]
    fn rds_engines_map_to_the_built_in_drivers() {
        for (name, engine) in [
            ("mysql", Some(Engine::MySql)),
            ("mariadb", Some(Engine::MySql)),
            ("aurora", Some(Engine::MySql)),
            ("aurora-mysql", Some(Engine::MySql)),
            ("postgres", Some(Engine::Postgres)),
            ("aurora-postgresql", Some(Engine::Postgres)),
            ("oracle-ee", None),
            ("sqlserver-se", None),
            ("db2-se", None),
        ] {
            assert_eq!(rds_engine(name), engine, "{name}");
        }
    }

    #[test]
    fn rds_needs_an_endpoint() {
        let object = Object::new("Rds")
            .with("type", "RdsDatabase")
            .with("rdsInstanceId", "db1")
            .with("username", "app")
            .with("databaseName", "sales");
        let error = DatabaseConfig::from_object(&object, &RdsEndpoints::new()).expect_err("rds");
        assert_eq!(error.error_id(), "RdsEndpointNotResolvable");
        let rds = RdsEndpoints::new().with("db1", "jdbc:mysql://10.0.0.5:3306");
        let config = DatabaseConfig::from_object(&object, &rds).expect("config");
        assert_eq!(
            (config.port, config.database.as_deref()),
            (3306, Some("sales"))
        );
    }
}
