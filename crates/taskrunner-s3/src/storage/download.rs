//! Downloads: one object to a file, and every object under a prefix to a
//! directory.

use std::path::{Path, PathBuf};

use aws_sdk_s3::error::DisplayErrorContext;
use futures::{StreamExt, TryStreamExt};
use taskrunner_shell::StorageError;
use tokio::fs;
use tokio::io::AsyncWriteExt;

use super::CONCURRENT_TRANSFERS;
use crate::error::{io_error, request_failed, RequestError};
use crate::S3Uri;

/// Streams the object `object` (written as `uri`) into the file `dest`,
/// creating its parent directories. A failure part-way leaves a partial
/// file, as the [`Storage`](taskrunner_shell::Storage) contract allows.
pub(super) async fn object(
    client: &aws_sdk_s3::Client,
    object: &S3Uri,
    uri: &str,
    dest: &Path,
) -> Result<(), StorageError> {
    let response = client
        .get_object()
        .bucket(object.bucket())
        .key(object.key())
        .send()
        .await
        .map_err(|error| request_failed(uri, "GetObject", &error, true))?;
    if let Some(parent) = dest
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent)
            .await
            .map_err(|error| io_error(parent, error))?;
    }
    let mut file = fs::File::create(dest)
        .await
        .map_err(|error| io_error(dest, error))?;
    let mut body = response.body;
    while let Some(chunk) = body.try_next().await.map_err(|error| {
        StorageError::backend(
            uri,
            RequestError::new(
                "GetObject",
                format!("reading the body: {}", DisplayErrorContext(error)),
            ),
        )
    })? {
        file.write_all(&chunk)
            .await
            .map_err(|error| io_error(dest, error))?;
    }
    // A tokio file writes in the background: flush to see the last error.
    file.flush().await.map_err(|error| io_error(dest, error))?;
    Ok(())
}

/// Downloads every object under `prefix` (written as `uri`) into `dest`,
/// listing page by page and downloading each page's objects a few at a
/// time.
pub(super) async fn prefix(
    client: &aws_sdk_s3::Client,
    prefix: &S3Uri,
    uri: &str,
    dest: &Path,
) -> Result<(), StorageError> {
    let key_prefix = prefix.dir_prefix();
    fs::create_dir_all(dest)
        .await
        .map_err(|error| io_error(dest, error))?;
    let mut pages = client
        .list_objects_v2()
        .bucket(prefix.bucket())
        .prefix(&key_prefix)
        .into_paginator()
        .send();
    let mut listed_any = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| request_failed(uri, "ListObjectsV2", &error, true))?;
        let mut downloads = Vec::new();
        for key in page.contents().iter().filter_map(|object| object.key()) {
            listed_any = true;
            let Some(relative) = key.strip_prefix(key_prefix.as_str()) else {
                continue;
            };
            match local_path(relative) {
                Some(Entry::File(path)) => downloads.push((key.to_owned(), dest.join(path))),
                Some(Entry::Directory(path)) => {
                    let directory = dest.join(path);
                    fs::create_dir_all(&directory)
                        .await
                        .map_err(|error| io_error(&directory, error))?;
                }
                None => {
                    tracing::warn!(%uri, %key, "skipping an object whose key cannot be a local path (., .. or empty segments)");
                }
            }
        }
        futures::stream::iter(downloads)
            .map(|(key, target)| async move {
                let source = prefix.with_key(key);
                object(client, &source, &source.to_string(), &target).await
            })
            .buffer_unordered(CONCURRENT_TRANSFERS)
            .try_collect::<()>()
            .await?;
    }
    if listed_any {
        Ok(())
    } else {
        Err(StorageError::NotFound {
            uri: uri.to_owned(),
        })
    }
}

/// What the rest of a key is locally.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// An object: a file at this relative path.
    File(PathBuf),
    /// A `dir/` marker (or the prefix's own marker, the empty path).
    Directory(PathBuf),
}

/// The relative local path of the key remainder `relative`, or `None` when
/// a segment is `.`, `..`, empty or holds a NUL, which could name something
/// outside the destination or nothing at all.
fn local_path(relative: &str) -> Option<Entry> {
    let (body, is_directory) = match relative.strip_suffix('/') {
        Some(body) => (body, true),
        None => (relative, false),
    };
    if body.is_empty() {
        // The prefix's own `dir/` marker.
        return Some(Entry::Directory(PathBuf::new()));
    }
    let mut path = PathBuf::new();
    for segment in body.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\0') {
            return None;
        }
        path.push(segment);
    }
    Some(if is_directory {
        Entry::Directory(path)
    } else {
        Entry::File(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_inside_the_destination_only() {
        assert_eq!(local_path("a/b.txt"), Some(Entry::File("a/b.txt".into())));
        assert_eq!(local_path("a/b/"), Some(Entry::Directory("a/b".into())));
        assert_eq!(local_path(""), Some(Entry::Directory(PathBuf::new())));
        for bad in ["../x", "a/../../x", "a//b", "./x", "/abs", "a/\0"] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
