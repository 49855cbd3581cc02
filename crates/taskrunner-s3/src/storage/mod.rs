//! [`S3Storage`]: the shell activities' [`Storage`] over Amazon S3 (or any
//! S3-compatible store the client points at).

mod download;
mod exists;
mod upload;

use std::path::Path;

use async_trait::async_trait;
use taskrunner_shell::{Storage, StorageError};

use crate::S3Uri;

/// Objects transferred at once by [`Storage::fetch_dir`] and
/// [`Storage::upload_dir`]: enough to hide request latency for many small
/// files, few enough not to exhaust file descriptors or S3's per-prefix
/// rates.
const CONCURRENT_TRANSFERS: usize = 8;

/// Files at least this large are uploaded in parts.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 64 * 1024 * 1024;
/// The size of each part of a multipart upload (S3's minimum is 5 MiB for
/// every part but the last). Grown when a file would need more than S3's
/// 10,000 parts.
pub const DEFAULT_PART_SIZE: u64 = 16 * 1024 * 1024;

/// [`Storage`] for `s3://` URIs through an `aws_sdk_s3::Client`.
///
/// Every transfer streams between the local file and S3: downloads are
/// written chunk by chunk as they arrive, uploads read the file as they
/// send (one part at a time for files of at least
/// [`DEFAULT_MULTIPART_THRESHOLD`]), so no object is ever held in memory.
///
/// - [`fetch_file`](Storage::fetch_file): `GetObject`; `NoSuchKey` (or
///   `NoSuchBucket`) is [`StorageError::NotFound`].
/// - [`fetch_dir`](Storage::fetch_dir): `ListObjectsV2` page by page under
///   the prefix (`s3://b/in` and `s3://b/in/` both list `in/`), each object
///   downloaded to the rest of its key below `dest`. Keys with `.`, `..` or
///   empty segments are skipped with a warning, so nothing is written
///   outside `dest`; `dir/` markers become empty directories. No object at
///   all under the prefix is [`StorageError::NotFound`].
/// - [`upload_file`](Storage::upload_file): `PutObject`, or a multipart
///   upload that is aborted if it fails or its future is dropped.
/// - [`upload_dir`](Storage::upload_dir): every regular file below
///   `source` (links and special files skipped) to the prefix plus its
///   relative path.
///
/// Other failures are [`StorageError::Backend`] naming the URI, the S3
/// operation and the service's error code and message; a malformed URI is a
/// `Backend` error whose source is a [`UriError`](crate::UriError).
///
/// The client decides the region, credentials, endpoint and addressing
/// style: give it `force_path_style(true)` for most S3-compatible stores.
#[derive(Debug, Clone)]
pub struct S3Storage {
    /// The SDK client; cheap to clone (it is reference-counted inside).
    client: aws_sdk_s3::Client,
    /// Files at least this large are uploaded in parts.
    multipart_threshold: u64,
    /// The size of each part.
    part_size: u64,
}

impl S3Storage {
    /// A storage using `client`, with the default multipart settings.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self {
            client,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
        }
    }

    /// Uploads files of at least `threshold` bytes in parts of `part_size`
    /// bytes. S3 refuses parts below 5 MiB (except the last); smaller sizes
    /// are for S3-compatible stores and tests.
    ///
    /// # Panics
    ///
    /// When `part_size` is 0.
    #[must_use]
    pub fn with_multipart(mut self, threshold: u64, part_size: u64) -> Self {
        assert!(part_size > 0, "the multipart part size must be positive");
        self.multipart_threshold = threshold;
        self.part_size = part_size;
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }
}

#[async_trait]
impl Storage for S3Storage {
    async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        let object = S3Uri::parse_object(uri).map_err(|error| crate::error::bad_uri(uri, error))?;
        download::object(&self.client, &object, uri, dest).await
    }

    async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        let prefix = S3Uri::parse(uri).map_err(|error| crate::error::bad_uri(uri, error))?;
        download::prefix(&self.client, &prefix, uri, dest).await
    }

    async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        let object = S3Uri::parse_object(uri).map_err(|error| crate::error::bad_uri(uri, error))?;
        upload::file(self, source, &object).await
    }

    async fn upload_dir(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        let prefix = S3Uri::parse(uri).map_err(|error| crate::error::bad_uri(uri, error))?;
        upload::directory(self, source, &prefix).await
    }
}
