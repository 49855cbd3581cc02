//! Uploads: one file to an object (in one request or in parts), and a
//! directory tree to a prefix.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};
use taskrunner_shell::StorageError;
use tokio::fs;

use super::{S3Storage, CONCURRENT_TRANSFERS};
use crate::error::{io_error, request_failed, RequestError};
use crate::S3Uri;

/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;

/// Uploads the regular file `source` to `target`.
pub(super) async fn file(
    storage: &S3Storage,
    source: &Path,
    target: &S3Uri,
) -> Result<(), StorageError> {
    let metadata = fs::metadata(source)
        .await
        .map_err(|error| io_error(source, error))?;
    if !metadata.is_file() {
        return Err(io_error(
            source,
            std::io::Error::other("not a regular file"),
        ));
    }
    let size = metadata.len();
    if size >= storage.multipart_threshold {
        return in_parts(storage, source, target, size).await;
    }
    let uri = target.to_string();
    let body = ByteStream::read_from()
        .path(source)
        .length(Length::Exact(size))
        .build()
        .await
        .map_err(|error| io_error(source, std::io::Error::other(error)))?;
    storage
        .client
        .put_object()
        .bucket(target.bucket())
        .key(target.key())
        .content_length(content_length(size))
        .body(body)
        .send()
        .await
        .map_err(|error| request_failed(&uri, "PutObject", &error, false))?;
    Ok(())
}

/// A multipart upload of the `size` bytes of `source`, one part in flight
/// at a time, so memory stays at one part's buffer whatever the file size.
async fn in_parts(
    storage: &S3Storage,
    source: &Path,
    target: &S3Uri,
    size: u64,
) -> Result<(), StorageError> {
    let uri = target.to_string();
    let client = &storage.client;
    let created = client
        .create_multipart_upload()
        .bucket(target.bucket())
        .key(target.key())
        .send()
        .await
        .map_err(|error| request_failed(&uri, "CreateMultipartUpload", &error, false))?;
    let upload_id = created.upload_id().ok_or_else(|| {
        StorageError::backend(
            &uri,
            RequestError::new("CreateMultipartUpload", "the response has no UploadId"),
        )
    })?;
    let mut guard = AbortOnDrop {
        client: client.clone(),
        target: target.clone(),
        upload_id: Some(upload_id.to_owned()),
    };
    let part_size = storage.part_size.max(size.div_ceil(MAX_PARTS));
    let mut parts = Vec::new();
    let mut offset = 0;
    let mut number = 1;
    while offset < size {
        let length = part_size.min(size - offset);
        let body = ByteStream::read_from()
            .path(source)
            .offset(offset)
            .length(Length::Exact(length))
            .build()
            .await
            .map_err(|error| io_error(source, std::io::Error::other(error)))?;
        let part = client
            .upload_part()
            .bucket(target.bucket())
            .key(target.key())
            .upload_id(upload_id)
            .part_number(number)
            .content_length(content_length(length))
            .body(body)
            .send()
            .await
            .map_err(|error| request_failed(&uri, "UploadPart", &error, false))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        );
        offset += length;
        number += 1;
    }
    client
        .complete_multipart_upload()
        .bucket(target.bucket())
        .key(target.key())
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|error| request_failed(&uri, "CompleteMultipartUpload", &error, false))?;
    guard.upload_id = None;
    Ok(())
}

/// Aborts an unfinished multipart upload when dropped (after an error, or
/// when the task's future is dropped on cancellation), so its parts are not
/// stored and billed forever. Best effort: it needs a tokio runtime, and a
/// failed abort is only logged (a bucket lifecycle rule is the backstop).
#[derive(Debug)]
struct AbortOnDrop {
    client: aws_sdk_s3::Client,
    target: S3Uri,
    /// `None` once the upload completed.
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        let target = self.target.clone();
        runtime.spawn(async move {
            let aborted = client
                .abort_multipart_upload()
                .bucket(target.bucket())
                .key(target.key())
                .upload_id(upload_id)
                .send()
                .await;
            if let Err(error) = aborted {
                tracing::warn!(
                    uri = %target,
                    error = %aws_sdk_s3::error::DisplayErrorContext(error),
                    "could not abort an unfinished multipart upload",
                );
            }
        });
    }
}

/// Uploads every regular file below `source` to `prefix`, a few at a time.
pub(super) async fn directory(
    storage: &S3Storage,
    source: &Path,
    prefix: &S3Uri,
) -> Result<(), StorageError> {
    let files = regular_files(source).await?;
    futures::stream::iter(files)
        .map(|(path, relative)| async move { file(storage, &path, &prefix.join(&relative)).await })
        .buffer_unordered(CONCURRENT_TRANSFERS)
        .try_collect::<()>()
        .await
}

/// The regular files below `source`, with their `/`-separated paths
/// relative to it. Links and special files are skipped, as the local
/// copies skip them, so a command cannot make the runner upload a file it
/// merely links to; names that are not UTF-8 cannot be keys and are
/// skipped with a warning.
async fn regular_files(source: &Path) -> Result<Vec<(PathBuf, String)>, StorageError> {
    let metadata = fs::metadata(source)
        .await
        .map_err(|error| io_error(source, error))?;
    if !metadata.is_dir() {
        return Err(io_error(source, std::io::Error::other("not a directory")));
    }
    let mut files = Vec::new();
    // Depth-first with an explicit stack: no recursion, no boxed futures.
    let mut pending = vec![(source.to_owned(), String::new())];
    while let Some((directory, relative)) = pending.pop() {
        let mut entries = fs::read_dir(&directory)
            .await
            .map_err(|error| io_error(&directory, error))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|error| io_error(&directory, error))?
        {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                tracing::warn!(path = %path.display(), "not uploading a file whose name is not UTF-8");
                continue;
            };
            let file_type = entry
                .file_type()
                .await
                .map_err(|error| io_error(&path, error))?;
            let key = format!("{relative}{name}");
            if file_type.is_dir() {
                pending.push((path, format!("{key}/")));
            } else if file_type.is_file() {
                files.push((path, key));
            } else {
                tracing::debug!(path = %path.display(), "not uploading a link or special file");
            }
        }
    }
    Ok(files)
}

/// A size as the SDK's `i64` content length (files beyond `i64::MAX` bytes
/// do not exist).
fn content_length(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}
