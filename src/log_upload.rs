//! `--logUri`: the hourly log files of `--output` pushed to S3, hourly and
//! once at exit, as the Java runner does.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use taskrunner_s3::{LogUploader, S3Uri, DEFAULT_UPLOAD_INTERVAL};
use taskrunner_shell::Storage;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::logging::LogGuard;

/// How long the upload at exit may take before the runner exits anyway.
const FINAL_UPLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the log URI was given, to name it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `--logUri`.
    Flag,
    /// The credentials file's `log-uri`.
    CredentialsFile,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Self::Flag => "--logUri",
            Self::CredentialsFile => "the credentials file's log-uri",
        }
    }
}

/// Checks the log URI before anything starts.
///
/// # Errors
/// When it is not `s3://bucket[/prefix]`.
pub(crate) fn check(log_uri: &str, source: Source) -> anyhow::Result<()> {
    S3Uri::parse(log_uri)
        .map(drop)
        .map_err(|error| anyhow::anyhow!("{}: {error}", source.name()))
}

/// The uploader running in the background.
#[derive(Debug)]
pub(crate) struct LogUploads {
    stop: CancellationToken,
    task: JoinHandle<LogUploader>,
}

/// Starts uploading the log files of `output` to `log_uri`, or warns that
/// there is nothing to upload without `--output`.
///
/// # Errors
/// When `log_uri` is not an `s3://` URI (see [`check`]).
pub(crate) fn start(
    log_uri: &str,
    source: Source,
    output: Option<&Path>,
    storage: Arc<dyn Storage>,
    taskrunner_id: &str,
) -> anyhow::Result<Option<LogUploads>> {
    check(log_uri, source)?;
    let Some(output) = output else {
        tracing::warn!(
            "{} is set but --output is not: there are no log files to upload (logs go only to standard error); add --output DIR",
            source.name()
        );
        return Ok(None);
    };
    let uploader = LogUploader::new(storage, output, log_uri, taskrunner_id)
        .map_err(|error| anyhow::anyhow!("{}: {error}", source.name()))?;
    tracing::info!(
        destination = %uploader.destination(),
        "uploading the log files hourly and at exit"
    );
    let stop = CancellationToken::new();
    let task = tokio::spawn(uploader.run(DEFAULT_UPLOAD_INTERVAL, stop.clone().cancelled_owned()));
    Ok(Some(LogUploads { stop, task }))
}

impl LogUploads {
    /// Flushes and closes the log file (dropping `guard`, so its last lines
    /// are on disk), then uploads what is left, for at most a minute.
    /// Later lines go to standard error only.
    pub(crate) async fn finish(self, guard: Option<LogGuard>) {
        drop(guard);
        self.stop.cancel();
        match tokio::time::timeout(FINAL_UPLOAD_TIMEOUT, self.task).await {
            Ok(Ok(uploader)) => tracing::info!(
                files = uploader.uploaded().count(),
                destination = %uploader.destination(),
                "log files uploaded"
            ),
            Ok(Err(error)) => tracing::warn!(%error, "the log upload task failed"),
            Err(_) => tracing::warn!(
                "the last log upload did not finish within {}s; the newest log files stay local",
                FINAL_UPLOAD_TIMEOUT.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uploader_looks_for_the_files_logging_writes() {
        assert_eq!(crate::log_files::LOG_PREFIX, taskrunner_s3::LOG_FILE_PREFIX);
    }

    #[test]
    fn bad_log_uris_name_their_source() {
        let error = check("/var/log/x", Source::CredentialsFile)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the credentials file's log-uri: "),
            "{error}"
        );
        assert!(error.contains("s3://"), "{error}");
        assert!(check("s3://bucket/logs", Source::Flag).is_ok());
        assert!(check("s3:///logs", Source::Flag)
            .unwrap_err()
            .to_string()
            .starts_with("--logUri: "));
    }
}
