//! [`Storage`]: where `s3://` scripts, staged data and command output go.
//!
//! Local paths and `file://` URIs are handled by this crate itself
//! ([`local`]); anything `s3://` goes through the [`Storage`] configured in
//! [`ShellConfig::storage`](crate::ShellConfig::storage). With none
//! configured, a task naming an `s3://` URI fails with errorId
//! [`S3NotConfigured`](crate::error_id::S3_NOT_CONFIGURED) before anything
//! runs.

pub(crate) mod local;
mod location;

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::Path;

use async_trait::async_trait;

pub(crate) use location::{FieldUri, Location};

/// Remote object storage for `s3://` URIs (the runner binary supplies an
/// Amazon S3 implementation; tests supply a fake).
///
/// # Contract
///
/// - Every `uri` starts with `s3://`; local paths and `file://` URIs never
///   reach a `Storage`.
/// - A "directory" URI is a key prefix: `s3://bucket/logs/` (with or without
///   the trailing `/`) holds every object whose key starts with `logs/`. Its
///   objects map to files below a local directory by the rest of their key.
/// - Destination files are created or overwritten; parent directories below
///   the given destination must be created by the implementation.
/// - Keys must never write outside `dest`: an implementation must skip (or
///   fail on) keys with `..` or absolute components.
///
/// # Cancellation
///
/// The activity drops a call's future when the task is cancelled; an
/// implementation must tolerate that (a partial local file is fine, the
/// working directory is discarded; a multipart upload should be aborted by
/// a drop guard or a lifecycle rule).
///
/// # Errors
///
/// A [`StorageError`] naming the URI; [`StorageError::NotFound`] when the
/// object or prefix does not exist. The activity reports it `FAILED` with the
/// errorId of the step (e.g.
/// [`ScriptFetchFailed`](crate::error_id::SCRIPT_FETCH_FAILED)) and the
/// error's chain as the message, so keep messages free of secrets.
#[async_trait]
pub trait Storage: fmt::Debug + Send + Sync + 'static {
    /// Downloads the object at `uri` into the file `dest`.
    async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StorageError>;

    /// Downloads every object under the prefix `uri` into the existing
    /// directory `dest`, keeping the key paths below the prefix.
    async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<(), StorageError>;

    /// Uploads the file `source` to the object `uri`.
    async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StorageError>;

    /// Uploads every regular file below the directory `source` to the prefix
    /// `uri`, keeping their paths relative to `source` as the rest of the key.
    async fn upload_dir(&self, source: &Path, uri: &str) -> Result<(), StorageError>;
}

/// A transfer to or from a [`Storage`] (or a local path) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// Nothing exists at the URI or path. Check the pipeline field that names it.
    #[error("{uri} does not exist")]
    NotFound {
        /// The URI or local path.
        uri: String,
    },
    /// Local file I/O failed (permissions, disk full, …).
    #[error("i/o error on {uri}")]
    Io {
        /// The URI or local path being read or written.
        uri: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The storage service failed (access denied, network, throttling, …).
    #[error("storage error on {uri}")]
    Backend {
        /// The URI being transferred.
        uri: String,
        /// The service's error.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },
}

impl StorageError {
    /// An I/O error on `uri`, or [`NotFound`](Self::NotFound) when the error
    /// says the file does not exist.
    pub fn io(uri: impl Into<String>, source: io::Error) -> Self {
        let uri = uri.into();
        if source.kind() == io::ErrorKind::NotFound {
            Self::NotFound { uri }
        } else {
            Self::Io { uri, source }
        }
    }

    /// A storage service error on `uri`.
    pub fn backend(
        uri: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self::Backend {
            uri: uri.into(),
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_not_found_becomes_not_found() {
        let error = StorageError::io("/x", io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(error.to_string(), "/x does not exist");
        let error = StorageError::io("/x", io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(matches!(error, StorageError::Io { .. }));
        let error = StorageError::backend("s3://b/k", "access denied");
        assert_eq!(
            error.source().map(ToString::to_string).as_deref(),
            Some("access denied")
        );
    }
}
