//! Amazon S3 for the `taskrunner` binary.
//!
//! - [`S3Storage`] implements `taskrunner-shell`'s
//!   [`Storage`](taskrunner_shell::Storage): with it in
//!   [`ShellConfig::storage`](taskrunner_shell::ShellConfig::storage),
//!   ShellCommandActivity and ShellCommandPrecondition read `s3://`
//!   `scriptUri`s, write `s3://` `stdout`/`stderr`, and stage `S3DataNode`
//!   inputs and outputs. Transfers stream between files and S3; nothing is
//!   held in memory whole.
//! - [`LogUploader`] pushes the runner's hourly log files (the binary's
//!   `--output` directory) to `s3://bucket/prefix/<taskrunnerId>/`, hourly
//!   and once at exit: the Java runner's `--logUri`.
//! - [`S3Uri`] parses `s3://bucket/key`.
//!
//! The caller builds the `aws_sdk_s3::Client`, and so chooses the region,
//! credentials and endpoint (`force_path_style(true)` for most
//! S3-compatible stores).
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use taskrunner_s3::{LogUploader, S3Storage, DEFAULT_UPLOAD_INTERVAL};
//! use taskrunner_shell::{ShellCommandActivity, ShellConfig};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let aws = aws_config::load_from_env().await;
//! let storage = Arc::new(S3Storage::new(aws_sdk_s3::Client::new(&aws)));
//! let activity = ShellCommandActivity::new(ShellConfig {
//!     storage: Some(storage.clone()),
//!     ..ShellConfig::default()
//! });
//!
//! let uploader = LogUploader::new(storage, "/var/log/taskrunner", "s3://my-logs/runners", "runner-1")?;
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let uploads = tokio::spawn(uploader.run(DEFAULT_UPLOAD_INTERVAL, shutdown.clone().cancelled_owned()));
//! // … run tasks with `activity` …
//! shutdown.cancel();
//! uploads.await?;
//! # Ok(())
//! # }
//! ```

/// The SDK this crate is built on, so that callers build their
/// `aws_sdk_s3::Client` with the same version.
pub use aws_sdk_s3;

mod error;
mod log_upload;
mod storage;
mod uri;

pub use log_upload::{LogUploader, UploadRound, DEFAULT_UPLOAD_INTERVAL, LOG_FILE_PREFIX};
pub use storage::{S3Storage, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE};
pub use uri::{S3Uri, UriError};
