//! [`RdsApi`]: an RDS instance's endpoint and engine, learnt through
//! `DescribeDBInstances` with the runner's AWS configuration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError;
use tokio::time::Instant;

/// How long a resolved endpoint is reused. A pipeline often runs many SQL
/// tasks on one instance in a row, and `DescribeDBInstances` is throttled
/// per account; an instance's address, port and engine only change when it
/// is replaced or renamed (a Multi-AZ failover keeps the DNS name). A
/// minute saves those calls; a stale answer at worst fails one attempt with
/// `DatabaseConnectFailed`, and the retry a minute later asks again.
/// Failures are never kept, so an instance still `creating` is asked again
/// by the next attempt.
pub const RDS_ENDPOINT_CACHE_TTL: Duration = Duration::from_secs(60);

/// How long one lookup (with the SDK's retries) may take: a black-holed
/// API endpoint must not hold a task, which is not cancellable until its
/// work starts, for longer than a connection attempt would.
pub const RDS_API_TIMEOUT: Duration = Duration::from_secs(30);

/// What `DescribeDBInstances` says about an instance the runner can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdsInstance {
    /// RDS's engine name (`postgres`, `mysql`, `aurora-mysql`, …).
    pub engine: String,
    /// `Endpoint.Address`.
    pub host: String,
    /// `Endpoint.Port`.
    pub port: u16,
    /// `DBName`, the database created with the instance, when there is one.
    pub database: Option<String>,
}

/// Why an instance's endpoint could not be learnt. Each kind has its own
/// errorId ([`error_id`](Self::error_id)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RdsLookupError {
    /// The account has no such instance in that region.
    #[error("no such DB instance ({code}: {message})")]
    NotFound {
        /// The service's error code (`DBInstanceNotFound`).
        code: String,
        /// The service's message.
        message: String,
    },
    /// The instance exists but has no endpoint yet.
    #[error("the DB instance has no endpoint yet (DBInstanceStatus `{status}`); retry once it is available")]
    NoEndpoint {
        /// `DBInstanceStatus` (`creating`, `restoring`, …).
        status: String,
    },
    /// The service refused the runner's credentials or the call.
    #[error("DescribeDBInstances was refused ({code}: {message}); the runner's credentials need rds:DescribeDBInstances")]
    AccessDenied {
        /// The service's error code (`AccessDenied`, …).
        code: String,
        /// The service's message.
        message: String,
    },
    /// Any other answer of the service.
    #[error("DescribeDBInstances failed ({code}: {message})")]
    Service {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The runner has no AWS credentials to sign the call with.
    #[error("the runner has no AWS credentials for the RDS API ({reason}); give it credentials or set TASKRUNNER_RDS_ENDPOINT_<rdsInstanceId>")]
    NoCredentials {
        /// The credential provider's reason.
        reason: String,
    },
    /// The call did not get an answer (network, timeout, no region).
    #[error("DescribeDBInstances could not be called: {reason}")]
    Call {
        /// The SDK's reason, with its causes.
        reason: String,
    },
}

impl RdsLookupError {
    /// The errorId for the task's status.
    pub fn error_id(&self) -> &'static str {
        use crate::error_id;
        match self {
            Self::NotFound { .. } => error_id::RDS_INSTANCE_NOT_FOUND,
            Self::NoEndpoint { .. } => error_id::RDS_INSTANCE_NOT_AVAILABLE,
            Self::AccessDenied { .. } => error_id::RDS_ACCESS_DENIED,
            Self::NoCredentials { .. } => error_id::RDS_NO_CREDENTIALS,
            Self::Service { .. } | Self::Call { .. } => error_id::RDS_API_FAILED,
        }
    }
}

/// An instance id and the region it was asked in.
type CacheKey = (String, String);

/// An RDS client with the runner's credentials, region and HTTP client,
/// and the endpoints it resolved lately. Clones share the cache.
#[derive(Debug, Clone)]
pub(crate) struct RdsApi {
    client: aws_sdk_rds::Client,
    region: Option<String>,
    has_credentials: bool,
    cache: Arc<Mutex<HashMap<CacheKey, (Instant, RdsInstance)>>>,
}

impl RdsApi {
    /// A client built from `config`, as the runner's other AWS clients are:
    /// its credentials, region, HTTP client (proxy) and endpoint settings,
    /// so the SDK's `AWS_ENDPOINT_URL_RDS` applies when the config was
    /// loaded from the environment.
    pub(crate) fn new(config: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_rds::Client::new(config),
            region: config.region().map(ToString::to_string),
            has_credentials: config.credentials_provider().is_some(),
            cache: Arc::default(),
        }
    }

    /// The region a lookup with the object's `region` (if any) goes to;
    /// `None` when neither it nor the runner names one.
    pub(crate) fn region_for(&self, region: Option<&str>) -> Option<String> {
        region.map(str::to_owned).or_else(|| self.region.clone())
    }

    /// Instance `instance` in `region` (the object's `region`, else the
    /// runner's), from the cache when resolved less than
    /// [`RDS_ENDPOINT_CACHE_TTL`] ago.
    pub(crate) async fn describe(
        &self,
        instance: &str,
        region: Option<&str>,
    ) -> Result<RdsInstance, RdsLookupError> {
        let key = (
            instance.to_owned(),
            self.region_for(region).unwrap_or_default(),
        );
        if let Some(found) = self.cached(&key) {
            return Ok(found);
        }
        if !self.has_credentials {
            return Err(RdsLookupError::NoCredentials {
                reason: "no credential provider is configured".to_owned(),
            });
        }
        let mut call = self
            .client
            .describe_db_instances()
            .db_instance_identifier(instance)
            .customize();
        if let Some(region) = region {
            call = call.config_override(
                aws_sdk_rds::config::Builder::default().region(Region::new(region.to_owned())),
            );
        }
        let output = tokio::time::timeout(RDS_API_TIMEOUT, call.send())
            .await
            .map_err(|_| RdsLookupError::Call {
                reason: format!("no answer within {} s", RDS_API_TIMEOUT.as_secs()),
            })?
            .map_err(classify)?;
        let found = output
            .db_instances()
            .iter()
            .find(|candidate| {
                candidate
                    .db_instance_identifier()
                    .is_some_and(|id| id.eq_ignore_ascii_case(instance))
            })
            .ok_or_else(|| RdsLookupError::NotFound {
                code: "DBInstanceNotFound".to_owned(),
                message: "the answer lists no such instance".to_owned(),
            })?;
        let endpoint = found.endpoint().and_then(|endpoint| {
            let host = endpoint.address().filter(|host| !host.is_empty())?;
            let port = u16::try_from(endpoint.port()?).ok()?;
            Some((host.to_owned(), port))
        });
        let Some((host, port)) = endpoint else {
            return Err(RdsLookupError::NoEndpoint {
                status: found.db_instance_status().unwrap_or("unknown").to_owned(),
            });
        };
        let resolved = RdsInstance {
            engine: found.engine().unwrap_or_default().to_owned(),
            host,
            port,
            database: found.db_name().map(str::to_owned),
        };
        tracing::info!(instance, host = %resolved.host, port, engine = %resolved.engine, "RDS instance resolved");
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (Instant::now(), resolved.clone()));
        Ok(resolved)
    }

    fn cached(&self, key: &CacheKey) -> Option<RdsInstance> {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cache.get(key) {
            Some((at, found)) if at.elapsed() < RDS_ENDPOINT_CACHE_TTL => Some(found.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }
}

/// Error codes by which the service refuses the caller rather than the
/// request.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "UnrecognizedClientException",
];

fn classify(error: SdkError<DescribeDBInstancesError>) -> RdsLookupError {
    if let SdkError::ServiceError(service) = &error {
        let error = service.err();
        let code = error.code().unwrap_or("Unknown").to_owned();
        let message = error.message().unwrap_or_default().to_owned();
        return if error.is_db_instance_not_found_fault() {
            RdsLookupError::NotFound { code, message }
        } else if ACCESS_DENIED_CODES.contains(&code.as_str()) {
            RdsLookupError::AccessDenied { code, message }
        } else {
            RdsLookupError::Service { code, message }
        };
    }
    let reason = with_causes(&error);
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = cause {
        if current.downcast_ref::<CredentialsError>().is_some() {
            return RdsLookupError::NoCredentials { reason };
        }
        cause = current.source();
    }
    RdsLookupError::Call { reason }
}

/// `error` and its sources, `: `-separated (the SDK's own message is often
/// just "dispatch failure").
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let next = current.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = current.source();
    }
    text
}
