//! Turning the SDK's errors into [`StorageError`]s that say what failed.

use std::error::Error as StdError;
use std::path::Path;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use taskrunner_shell::StorageError;

/// A failed S3 request, described for the people reading the task's
/// errorMessage: the operation, the service's error code, HTTP status and
/// message, or the transport's error chain. It carries no further source,
/// since the description already holds the whole chain.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {detail}")]
pub(crate) struct RequestError {
    operation: &'static str,
    detail: String,
}

impl RequestError {
    pub(crate) fn new(operation: &'static str, detail: impl Into<String>) -> Self {
        Self {
            operation,
            detail: detail.into(),
        }
    }
}

/// The error codes that mean "there is nothing there".
fn means_not_found(code: Option<&str>) -> bool {
    matches!(code, Some("NoSuchKey" | "NoSuchBucket" | "NotFound"))
}

/// Maps a failed request on `uri`: [`StorageError::NotFound`] when S3 says
/// the key or bucket does not exist and `not_found_applies`, else
/// [`StorageError::Backend`] with a [`RequestError`].
pub(crate) fn request_failed<E>(
    uri: &str,
    operation: &'static str,
    error: &SdkError<E>,
    not_found_applies: bool,
) -> StorageError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    if let Some(service) = error.as_service_error() {
        let code = service.code();
        if not_found_applies && (means_not_found(code) || (code.is_none() && status == Some(404))) {
            return StorageError::NotFound {
                uri: uri.to_owned(),
            };
        }
        let mut detail = code.unwrap_or("an error with no code").to_owned();
        if let Some(status) = status {
            detail.push_str(&format!(" (HTTP {status})"));
        }
        if let Some(message) = service.message().filter(|message| !message.is_empty()) {
            detail.push_str(": ");
            detail.push_str(message);
        }
        return StorageError::backend(uri, RequestError::new(operation, detail));
    }
    StorageError::backend(
        uri,
        RequestError::new(operation, DisplayErrorContext(error).to_string()),
    )
}

/// A local I/O error on `path`.
pub(crate) fn io_error(path: &Path, error: std::io::Error) -> StorageError {
    StorageError::io(path.display().to_string(), error)
}

/// A bad URI handed to the storage: a [`StorageError::Backend`] naming it.
pub(crate) fn bad_uri(uri: &str, error: crate::UriError) -> StorageError {
    StorageError::backend(uri, error)
}
