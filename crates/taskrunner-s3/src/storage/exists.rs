//! Whether something is at an `s3://` URI, without downloading it: what the
//! `Exists` precondition asks of an S3 data node (dp-object-exists.md).

use taskrunner_shell::StorageError;

use super::S3Storage;
use crate::error::{bad_uri, request_failed};
use crate::S3Uri;

impl S3Storage {
    /// Whether the object `s3://bucket/key` exists (`HeadObject`).
    ///
    /// # Errors
    /// A malformed URI, or S3 failing for another reason than "no such key"
    /// or "no such bucket" (access denied, network): the caller cannot tell
    /// whether the object exists, so it should fail rather than answer no.
    pub async fn object_exists(&self, uri: &str) -> Result<bool, StorageError> {
        let object = S3Uri::parse_object(uri).map_err(|error| bad_uri(uri, error))?;
        let answer = self
            .client
            .head_object()
            .bucket(object.bucket())
            .key(object.key())
            .send()
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(error) => match request_failed(uri, "HeadObject", &error, true) {
                StorageError::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Whether at least one object lies under the prefix `uri`
    /// (`s3://b/in` and `s3://b/in/` both mean `in/`), by listing one key.
    ///
    /// # Errors
    /// As [`object_exists`](Self::object_exists); a missing bucket is
    /// `Ok(false)`.
    pub async fn prefix_has_objects(&self, uri: &str) -> Result<bool, StorageError> {
        let prefix = S3Uri::parse(uri).map_err(|error| bad_uri(uri, error))?;
        let answer = self
            .client
            .list_objects_v2()
            .bucket(prefix.bucket())
            .prefix(prefix.dir_prefix())
            .max_keys(1)
            .send()
            .await;
        match answer {
            Ok(page) => Ok(!page.contents().is_empty()),
            Err(error) => match request_failed(uri, "ListObjectsV2", &error, true) {
                StorageError::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }
}
