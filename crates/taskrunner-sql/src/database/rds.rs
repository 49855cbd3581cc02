//! [`RdsEndpoints`]: where an `RdsDatabase`'s instance answers.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_config::SdkConfig;

use super::rds_api::{RdsApi, RdsInstance, RdsLookupError};

/// The prefix of the environment variables that give an RDS instance's
/// endpoint: `TASKRUNNER_RDS_ENDPOINT_<rdsInstanceId>=jdbc:postgresql://host:port`
/// (or `jdbc:mysql://host:port`).
pub const RDS_ENDPOINT_ENV_PREFIX: &str = "TASKRUNNER_RDS_ENDPOINT_";

/// Where `RdsDatabase` instances answer.
///
/// Two sources, the first winning:
/// - overrides by instance id, as JDBC connection strings
///   (`jdbc:mysql://host:port` or `jdbc:postgresql://host:port`, which also
///   say the engine): [`with`](Self::with), [`from_env`](Self::from_env);
///   for tests, `taskrunner local` and hosts that may not call the RDS API;
/// - the RDS API ([`with_api`](Self::with_api)): `DescribeDBInstances` with
///   the runner's AWS configuration, asked when a task needs the instance
///   ([`resolving`](Self::resolving)).
///
/// Without either, an `RdsDatabase` ends its task `FAILED` with
/// `RdsEndpointNotResolvable`.
#[derive(Debug, Default)]
pub struct RdsEndpoints {
    overrides: HashMap<String, String>,
    api: Option<RdsApi>,
    /// What the API answered for this task, by (instance, object's region).
    answers: HashMap<RdsLookup, Result<RdsInstance, RdsLookupError>>,
    /// Instances a parse asked for that `answers` lacks.
    unanswered: Mutex<Vec<RdsLookup>>,
}

/// An instance as an `RdsDatabase` names it: `rdsInstanceId` and its own
/// `region`, if any.
type RdsLookup = (String, Option<String>);

/// What [`RdsEndpoints::lookup`] knows of an instance.
#[derive(Debug)]
pub(crate) enum RdsEndpoint<'a> {
    /// A JDBC connection string given by the operator.
    Override(&'a str),
    /// The RDS API's answer, and the region it was asked in.
    Api {
        /// The region asked (the object's, else the runner's).
        region: String,
        /// The instance, or why it could not be learnt.
        answer: &'a Result<RdsInstance, RdsLookupError>,
    },
    /// Not known (yet): no override, and no API or not asked yet.
    Unknown,
}

impl Clone for RdsEndpoints {
    fn clone(&self) -> Self {
        Self {
            overrides: self.overrides.clone(),
            api: self.api.clone(),
            answers: self.answers.clone(),
            unanswered: Mutex::default(),
        }
    }
}

impl RdsEndpoints {
    /// No endpoints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the endpoint of instance `id` as a JDBC connection string; it
    /// wins over the RDS API.
    #[must_use]
    pub fn with(mut self, id: impl Into<String>, connection_string: impl Into<String>) -> Self {
        self.overrides.insert(id.into(), connection_string.into());
        self
    }

    /// Resolves the other instances through the RDS API, with `config`'s
    /// credentials, region (unless the `RdsDatabase` names its own
    /// `region`), HTTP client and endpoint settings.
    #[must_use]
    pub fn with_api(mut self, config: &SdkConfig) -> Self {
        self.api = Some(RdsApi::new(config));
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

    /// The override connection string of instance `id`.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.overrides.get(id).map(String::as_str)
    }

    /// Runs `parse` (reading a task's objects into a config, e.g.
    /// [`SqlScript::from_objects`](crate::SqlScript::from_objects)) with
    /// the instances it names resolved: a first run notes the `RdsDatabase`
    /// instances it needed, they are asked of the RDS API, and `parse` runs
    /// again with the answers (a failed lookup then surfaces as `parse`'s
    /// error, naming the object). Only the instances a task uses are asked
    /// for; without the API, `parse` runs once.
    pub async fn resolving<T>(&self, parse: impl Fn(&Self) -> T) -> T {
        let mut task = self.clone();
        loop {
            let result = parse(&task);
            let Some(api) = &self.api else {
                return result;
            };
            let asked = std::mem::take(
                &mut *task
                    .unanswered
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            let asked: Vec<RdsLookup> = asked
                .into_iter()
                .filter(|lookup| !task.answers.contains_key(lookup))
                .collect();
            if asked.is_empty() {
                return result;
            }
            for (instance, region) in asked {
                let answer = api.describe(&instance, region.as_deref()).await;
                task.answers.insert((instance, region), answer);
            }
        }
    }

    /// What is known of `instance` asked in `region` (the object's own);
    /// an unknown one is noted for [`resolving`](Self::resolving).
    pub(crate) fn lookup(&self, instance: &str, region: Option<&str>) -> RdsEndpoint<'_> {
        if let Some(connection_string) = self.get(instance) {
            return RdsEndpoint::Override(connection_string);
        }
        let key = (instance.to_owned(), region.map(str::to_owned));
        match (&self.api, self.answers.get(&key)) {
            (Some(api), Some(answer)) => RdsEndpoint::Api {
                region: api
                    .region_for(region)
                    .unwrap_or_else(|| "(none configured)".to_owned()),
                answer,
            },
            (Some(_), None) => {
                let mut unanswered = self
                    .unanswered
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                // Once per instance: a parse outside `resolving` must not
                // grow the list with every call.
                if !unanswered.contains(&key) {
                    unanswered.push(key);
                }
                RdsEndpoint::Unknown
            }
            (None, _) => RdsEndpoint::Unknown,
        }
    }
}
