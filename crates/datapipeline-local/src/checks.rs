//! Running the system-managed preconditions' checks: the S3 calls behind
//! `S3KeyExists` and `S3PrefixNotEmpty`, outside the state lock.
//!
//! The scheduler decides which attempts need a check (see
//! `scheduler::service_checks`); the driver here takes them, asks the store
//! and reports each outcome back under the lock. A check is one S3 request
//! (HeadObject for a key, ListObjectsV2 with `max-keys` 1 for a prefix).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Credentials as S3Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::config::S3Access;
use crate::scheduler::service_checks::{Check, CheckOutcome, ServiceCheck};
use crate::service::Core;
use crate::state::run::ErrorFields;

/// How long one S3 request may take before the check counts as an error
/// (and is retried like a failed attempt).
const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Asks the configured S3 store what system-managed preconditions want
/// to know.
#[derive(Debug, Clone)]
pub(crate) struct Checker {
    /// `None` when the service was started without an S3 store.
    s3: Option<aws_sdk_s3::Client>,
}

impl Checker {
    /// A checker for the store in `access`, if any.
    pub(crate) fn new(access: Option<&S3Access>) -> Self {
        let s3 = access.map(|access| {
            let credentials = access.credentials.as_ref().map_or_else(
                || S3Credentials::new("local", "local", None, None, "datapipeline-local"),
                |credentials| {
                    S3Credentials::new(
                        &credentials.access_key_id,
                        &credentials.secret_access_key,
                        None,
                        None,
                        "datapipeline-local",
                    )
                },
            );
            let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .operation_timeout(S3_REQUEST_TIMEOUT)
                .build();
            let config = aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(access.region.clone()))
                .endpoint_url(&access.endpoint_url)
                .force_path_style(true)
                .credentials_provider(credentials)
                .timeout_config(timeouts)
                .build();
            aws_sdk_s3::Client::from_conf(config)
        });
        Self { s3 }
    }

    /// The S3 client, when the service was given a store: the console
    /// reads attempt logs with it.
    pub(crate) fn client(&self) -> Option<&aws_sdk_s3::Client> {
        self.s3.as_ref()
    }

    /// Runs `check`.
    pub(crate) async fn run(&self, check: &Check) -> CheckOutcome {
        let uri = match check {
            Check::DynamoDb(type_name) => {
                return impossible(
                    "DynamoDBNotEmulated",
                    format!(
                        "{type_name} needs DynamoDB, which datapipeline-local does not emulate; use a ShellCommandPrecondition to check the table instead"
                    ),
                );
            }
            Check::S3Key(uri) | Check::S3Prefix(uri) => uri,
        };
        let Some(s3) = &self.s3 else {
            return impossible(
                "NoS3Store",
                "the service has no S3 store to check this precondition against: start datapipeline-local with --s3-endpoint URL (Config::s3), or run the pipeline with `taskrunner local`, which embeds one".to_owned(),
            );
        };
        let Some((bucket, key)) = split_s3_uri(uri) else {
            let field = match check {
                Check::S3Prefix(_) => "s3Prefix",
                _ => "s3Key",
            };
            return impossible(
                "InvalidS3Uri",
                format!("{field} '{uri}' is not an s3://bucket/key URI"),
            );
        };
        match check {
            Check::S3Key(_) => key_exists(s3, bucket, key, uri).await,
            _ => prefix_not_empty(s3, bucket, key, uri).await,
        }
    }
}

/// HeadObject: FINISHED if the key exists, FALSE if the store answers 404.
async fn key_exists(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, uri: &str) -> CheckOutcome {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => CheckOutcome::Holds,
        Err(error) if is_not_found(&error) => {
            CheckOutcome::DoesNotHold(format!("there is no object at {uri}"))
        }
        Err(error) => store_error(uri, &error),
    }
}

/// ListObjectsV2 with `max-keys` 1: FINISHED if anything is under the
/// prefix, FALSE if nothing is (or the bucket does not exist).
async fn prefix_not_empty(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    uri: &str,
) -> CheckOutcome {
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .max_keys(1)
        .send()
        .await;
    match listed {
        Ok(page) if !page.contents().is_empty() => CheckOutcome::Holds,
        Ok(_) => CheckOutcome::DoesNotHold(format!("there is no object under {uri}")),
        Err(error) if is_not_found(&error) => {
            CheckOutcome::DoesNotHold(format!("there is no object under {uri}"))
        }
        Err(error) => store_error(uri, &error),
    }
}

/// Whether the store answered 404 (no such key, no such bucket).
fn is_not_found<E>(error: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::ServiceError(service) => {
            matches!(
                service.err().code(),
                Some("NotFound" | "NoSuchKey" | "NoSuchBucket")
            ) || matches!(error.raw_response(), Some(raw) if raw.status().as_u16() == 404)
        }
        _ => false,
    }
}

/// A store that could not answer: a failed attempt, retried while
/// `maximumRetries` allows.
fn store_error<E, R>(uri: &str, error: &SdkError<E, R>) -> CheckOutcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    CheckOutcome::Error(ErrorFields {
        error_id: Some("S3Error".into()),
        error_message: Some(format!(
            "the S3 store could not be asked about {uri}: {}",
            aws_sdk_s3::error::DisplayErrorContext(error)
        )),
        error_stack_trace: None,
    })
}

fn impossible(error_id: &str, message: String) -> CheckOutcome {
    CheckOutcome::Impossible(ErrorFields {
        error_id: Some(error_id.into()),
        error_message: Some(message),
        error_stack_trace: None,
    })
}

/// `s3://bucket/key` → (`bucket`, `key`); the key may be empty (a prefix
/// of the whole bucket).
fn split_s3_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.trim().strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, key))
}

impl Core {
    /// Runs the checks the scheduler asks for, until shutdown: each in a
    /// task of its own, so a slow store holds up no other check. A check
    /// task holds the core only weakly and ends at shutdown, so a stopped
    /// service releases its state file at once; the outcome of a check cut
    /// short is dropped, and a service restarted on the same state file
    /// runs the check again.
    pub(crate) async fn drive_checks(self: Arc<Self>) {
        self.with_state(crate::state::State::recover_service_checks);
        loop {
            let checks: Vec<ServiceCheck> =
                self.with_state(crate::state::State::take_service_checks);
            for ServiceCheck { key, check } in checks {
                let checker = self.checker.clone();
                let shutdown = self.shutdown.clone();
                let core = Arc::downgrade(&self);
                tokio::spawn(async move {
                    let outcome = tokio::select! {
                        outcome = checker.run(&check) => outcome,
                        () = shutdown.cancelled() => return,
                    };
                    let Some(core) = core.upgrade() else {
                        return;
                    };
                    if !core.shutdown.is_cancelled() {
                        core.with_state(|state| state.service_check_ended(&key, outcome));
                    }
                });
            }
            tokio::select! {
                () = self.check_wake.notified() => {}
                () = self.shutdown.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_s3_uri;

    #[test]
    fn s3_uris_split_into_bucket_and_key() {
        assert_eq!(
            split_s3_uri("s3://bucket/a/b.csv"),
            Some(("bucket", "a/b.csv"))
        );
        assert_eq!(split_s3_uri("s3://bucket"), Some(("bucket", "")));
        assert_eq!(split_s3_uri("s3://bucket/"), Some(("bucket", "")));
        assert_eq!(split_s3_uri("s3:///key"), None);
        assert_eq!(split_s3_uri("/local/path"), None);
    }
}
