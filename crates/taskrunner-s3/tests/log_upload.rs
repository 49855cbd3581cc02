//! `LogUploader` against a real S3 server (s3s-fs on 127.0.0.1).

use crate::support;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use support::S3Server;
use taskrunner_s3::{LogUploader, S3Storage, DEFAULT_UPLOAD_INTERVAL};
use taskrunner_shell::{Storage, StorageError};

/// `2026-01-02T<hour>:<minute>:00Z`.
fn at(hour: u64, minute: u64) -> SystemTime {
    // 2026-01-02T00:00:00Z.
    let midnight = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_312_000);
    midnight + Duration::from_secs(hour * 3600 + minute * 60)
}

fn write(directory: &Path, name: &str, text: &str) {
    std::fs::write(directory.join(name), text).expect("write a log file");
}

const LOG_URI: &str = "s3://test-bucket/runner-logs/";

#[tokio::test]
async fn finished_hours_go_once_and_the_current_hour_at_exit() {
    let server = S3Server::start().await;
    let output = tempfile::tempdir().expect("output dir");
    let directory = output.path();
    write(
        directory,
        "Task Runner.log.2026-01-02-09",
        "before this runner\n",
    );
    write(directory, "Task Runner.log.2026-01-02-10", "ten\n");
    write(directory, "Task Runner.log.2026-01-02-11", "eleven\n");
    write(
        directory,
        "Task Runner.log.2026-01-02-12",
        "twelve, still being written\n",
    );
    write(directory, "notes.txt", "not a log file\n");
    std::fs::create_dir(directory.join("Task Runner.log.2026-01-02-13")).expect("a directory");

    let mut uploader = LogUploader::new(server.storage(), directory, LOG_URI, "runner-1")
        .expect("a good log uri")
        .since(at(10, 30));
    assert_eq!(
        uploader.destination(),
        "s3://test-bucket/runner-logs/runner-1/"
    );

    let round = uploader.upload_finished(at(11, 10)).await;
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-10"]);
    assert!(round.failed.is_empty());
    assert_eq!(
        server
            .get_text("runner-logs/runner-1/Task Runner.log.2026-01-02-10")
            .await
            .as_deref(),
        Some("ten\n")
    );

    let round = uploader.upload_finished(at(12, 10)).await;
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-11"]);

    // The compressor gzips 11 after the upload: it is not sent again.
    std::fs::rename(
        directory.join("Task Runner.log.2026-01-02-11"),
        directory.join("Task Runner.log.2026-01-02-11.gz"),
    )
    .expect("rename");
    // An hour this runner never uploaded, already gzipped: it goes as it is.
    write(
        directory,
        "Task Runner.log.2026-01-02-10.gz",
        "ignored: 10 went\n",
    );
    let round = uploader.upload_finished(at(12, 20)).await;
    assert!(round.uploaded.is_empty(), "{round:?}");

    // At exit, the current hour too.
    let round = uploader.upload_all().await;
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-12"]);
    assert_eq!(
        server.keys("").await,
        [
            "runner-logs/runner-1/Task Runner.log.2026-01-02-10",
            "runner-logs/runner-1/Task Runner.log.2026-01-02-11",
            "runner-logs/runner-1/Task Runner.log.2026-01-02-12",
        ]
    );
    let round = uploader.upload_all().await;
    assert!(round.uploaded.is_empty(), "nothing twice: {round:?}");
}

#[tokio::test]
async fn gzipped_hours_not_uploaded_before_go_compressed() {
    let server = S3Server::start().await;
    let output = tempfile::tempdir().expect("output dir");
    write(
        output.path(),
        "Task Runner.log.2026-01-02-10.gz",
        "gzipped bytes",
    );
    let mut uploader = LogUploader::new(server.storage(), output.path(), "s3://test-bucket", "r")
        .expect("a good log uri")
        .since(at(10, 0));
    let round = uploader.upload_finished(at(20, 0)).await;
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-10.gz"]);
    assert_eq!(
        server
            .get_text("r/Task Runner.log.2026-01-02-10.gz")
            .await
            .as_deref(),
        Some("gzipped bytes")
    );
}

/// S3 that refuses the first `failures` uploads, then works.
#[derive(Debug)]
struct Flaky {
    inner: S3Storage,
    failures: AtomicUsize,
}

#[async_trait]
impl Storage for Flaky {
    async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        self.inner.fetch_file(uri, dest).await
    }

    async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        self.inner.fetch_dir(uri, dest).await
    }

    async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        let refused = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if refused {
            return Err(StorageError::backend(uri, "SlowDown (HTTP 503)"));
        }
        self.inner.upload_file(source, uri).await
    }

    async fn upload_dir(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        self.inner.upload_dir(source, uri).await
    }
}

#[tokio::test]
async fn failed_uploads_are_retried_next_round() {
    let server = S3Server::start().await;
    let output = tempfile::tempdir().expect("output dir");
    write(output.path(), "Task Runner.log.2026-01-02-10", "ten\n");
    write(output.path(), "Task Runner.log.2026-01-02-11", "eleven\n");
    let storage = Arc::new(Flaky {
        inner: S3Storage::new(server.client.clone()),
        failures: AtomicUsize::new(1),
    });
    let mut uploader = LogUploader::new(storage, output.path(), LOG_URI, "runner-2")
        .expect("a good log uri")
        .since(at(10, 0));

    let round = uploader.upload_finished(at(12, 0)).await;
    assert_eq!(round.failed, ["Task Runner.log.2026-01-02-10"]);
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-11"]);
    let round = uploader.upload_finished(at(12, 0)).await;
    assert_eq!(round.uploaded, ["Task Runner.log.2026-01-02-10"]);
    assert!(round.failed.is_empty());
    assert_eq!(
        server
            .get_text("runner-logs/runner-2/Task Runner.log.2026-01-02-10")
            .await
            .as_deref(),
        Some("ten\n")
    );
}

#[tokio::test]
async fn a_missing_directory_or_unreachable_s3_never_fails_the_round() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let output = tempfile::tempdir().expect("output dir");
    write(output.path(), "Task Runner.log.2026-01-02-10", "ten\n");
    let storage = Arc::new(S3Storage::new(support::client(&closed)));
    let mut uploader = LogUploader::new(storage.clone(), output.path(), LOG_URI, "r")
        .expect("a good log uri")
        .since(at(10, 0));
    let round = uploader.upload_finished(at(12, 0)).await;
    assert_eq!(round.failed, ["Task Runner.log.2026-01-02-10"]);

    let mut nowhere = LogUploader::new(storage, output.path().join("absent"), LOG_URI, "r")
        .expect("a good log uri");
    assert_eq!(nowhere.upload_all().await, Default::default());
}

#[tokio::test]
async fn run_uploads_once_more_at_shutdown() {
    let server = S3Server::start().await;
    let output = tempfile::tempdir().expect("output dir");
    let current = format!(
        "Task Runner.log.{}",
        chrono::Utc::now().format("%Y-%m-%d-%H")
    );
    write(output.path(), &current, "the last lines\n");
    let uploader = LogUploader::new(server.storage(), output.path(), LOG_URI, "runner-3")
        .expect("a good log uri");
    let uploader = uploader
        .run(DEFAULT_UPLOAD_INTERVAL, std::future::ready(()))
        .await;
    assert_eq!(uploader.uploaded().collect::<Vec<_>>(), [current.as_str()]);
    assert_eq!(
        server
            .get_text(&format!("runner-logs/runner-3/{current}"))
            .await
            .as_deref(),
        Some("the last lines\n")
    );
}

#[test]
fn log_uris_must_be_s3() {
    let storage: Arc<dyn Storage> = Arc::new(S3Storage::new(support::client("http://127.0.0.1:9")));
    let error = LogUploader::new(storage, "/tmp", "/var/log/elsewhere", "r").expect_err("not s3");
    assert!(error.to_string().contains("not an s3:// URI"), "{error}");
}
