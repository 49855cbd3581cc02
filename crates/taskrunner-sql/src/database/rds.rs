//! [`RdsEndpoints`]: where an `RdsDatabase`'s instance answers.

use std::collections::HashMap;

/// The prefix of the environment variables that give an RDS instance's
/// endpoint: `TASKRUNNER_RDS_ENDPOINT_<rdsInstanceId>=jdbc:postgresql://host:port`
/// (or `jdbc:mysql://host:port`).
pub const RDS_ENDPOINT_ENV_PREFIX: &str = "TASKRUNNER_RDS_ENDPOINT_";

/// Endpoints of RDS instances, by instance id, as JDBC connection strings
/// (`jdbc:mysql://host:port` or `jdbc:postgresql://host:port`; the engine
/// cannot be learnt without the RDS API, so the string says it).
///
/// This runner does not call the RDS API: an `RdsDatabase` is usable only
/// when its endpoint is given here, explicitly (tests, embedding) or by
/// [`from_env`](Self::from_env).
#[derive(Debug, Clone, Default)]
pub struct RdsEndpoints {
    endpoints: HashMap<String, String>,
}

impl RdsEndpoints {
    /// No endpoints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the endpoint of instance `id`.
    #[must_use]
    pub fn with(mut self, id: impl Into<String>, connection_string: impl Into<String>) -> Self {
        self.endpoints.insert(id.into(), connection_string.into());
        self
    }

    /// The endpoints named by this process's
    /// `TASKRUNNER_RDS_ENDPOINT_<id>` variables.
    pub fn from_env() -> Self {
        std::env::vars()
            .filter_map(|(name, value)| {
                let id = name.strip_prefix(RDS_ENDPOINT_ENV_PREFIX)?.to_owned();
                Some((id, value))
            })
            .fold(Self::new(), |endpoints, (id, value)| {
                endpoints.with(id, value)
            })
    }

    /// The connection string of instance `id`.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.endpoints.get(id).map(String::as_str)
    }
}
