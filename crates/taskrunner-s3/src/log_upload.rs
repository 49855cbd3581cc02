//! [`LogUploader`]: pushes the runner's hourly log files to S3, hourly and
//! once at exit, as the Java runner's `--logUri` does.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDate, Utc};
use taskrunner_api::error_chain;
use taskrunner_shell::{Storage, StorageError};

use crate::{S3Uri, UriError};

/// The name every hourly log file starts with: the binary writes
/// `Task Runner.log.YYYY-MM-DD-HH` (UTC) and later gzips it to `….gz`.
pub const LOG_FILE_PREFIX: &str = "Task Runner.log";
/// How often finished files are uploaded: hourly, as the Java runner.
pub const DEFAULT_UPLOAD_INTERVAL: Duration = Duration::from_secs(3600);

const HOUR: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Uploads the hourly log files of a directory to
/// `s3://bucket/prefix/<taskrunnerId>/<file name>`.
///
/// A file is *finished* once its hour (from its name, UTC) has passed;
/// [`upload_finished`](Self::upload_finished) uploads the finished files
/// not uploaded yet, [`upload_all`](Self::upload_all) (at exit) also the
/// current hour's. The uploader remembers what it uploaded, so each file
/// goes once; a gzipped `X.gz` whose `X` it already uploaded is not sent
/// again. A failed upload is logged and tried again next round: nothing
/// here fails the runner.
///
/// Only files covering the hours from the uploader's start (see
/// [`since`](Self::since)) are considered, so the files of earlier runs
/// sharing the directory are not sent again under this runner's id. Names
/// that are not `Task Runner.log.YYYY-MM-DD-HH[.gz]` are ignored.
#[derive(Debug)]
pub struct LogUploader {
    /// Where the objects go.
    storage: Arc<dyn Storage>,
    /// The `--output` directory.
    directory: PathBuf,
    /// `s3://bucket/prefix/<taskrunnerId>`: each file goes below it.
    destination: S3Uri,
    /// Files for hours that ended at or before this are ignored.
    since: DateTime<Utc>,
    /// The names of the files uploaded (or skipped as already uploaded
    /// under another name).
    uploaded: BTreeSet<String>,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadRound {
    /// The file names uploaded, in order.
    pub uploaded: Vec<String>,
    /// The file names whose upload failed (logged; tried again next round).
    pub failed: Vec<String>,
}

impl LogUploader {
    /// An uploader of the log files in `directory` to
    /// `log_uri/<taskrunner_id>/`, considering the files from the current
    /// hour on.
    ///
    /// # Errors
    ///
    /// When `log_uri` is not an `s3://bucket[/prefix]` URI.
    pub fn new(
        storage: Arc<dyn Storage>,
        directory: impl Into<PathBuf>,
        log_uri: &str,
        taskrunner_id: &str,
    ) -> Result<Self, UriError> {
        let destination = S3Uri::parse(log_uri)?.join(taskrunner_id);
        Ok(Self {
            storage,
            directory: directory.into(),
            destination,
            since: Utc::now(),
            uploaded: BTreeSet::new(),
        })
    }

    /// Considers only the files covering time from `start` on (default: the
    /// uploader's creation).
    #[must_use]
    pub fn since(mut self, start: SystemTime) -> Self {
        self.since = start.into();
        self
    }

    /// The prefix the files go to, `s3://bucket/prefix/<taskrunnerId>/`.
    pub fn destination(&self) -> String {
        format!(
            "s3://{}/{}",
            self.destination.bucket(),
            self.destination.dir_prefix()
        )
    }

    /// The names of the files uploaded so far.
    pub fn uploaded(&self) -> impl Iterator<Item = &str> {
        self.uploaded.iter().map(String::as_str)
    }

    /// Uploads the files whose hour had ended by `now` and that are not
    /// uploaded yet.
    pub async fn upload_finished(&mut self, now: SystemTime) -> UploadRound {
        let now = DateTime::<Utc>::from(now);
        self.round(|hour| hour + HOUR <= now).await
    }

    /// Uploads every file not uploaded yet, the current hour's included:
    /// what the runner does at exit, after its last line is written.
    pub async fn upload_all(&mut self) -> UploadRound {
        self.round(|_| true).await
    }

    /// Uploads finished files every `interval` (the first round one
    /// interval from now) until `shutdown` completes, then everything
    /// once more. Answers the uploader, e.g. to see what it uploaded.
    ///
    /// A round in progress when `shutdown` completes is finished first.
    /// Bound the final round with a timeout if the process must end
    /// promptly whatever S3 does.
    pub async fn run(mut self, interval: Duration, shutdown: impl Future<Output = ()>) -> Self {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticks.tick() => {
                    self.upload_finished(SystemTime::now()).await;
                }
            }
        }
        self.upload_all().await;
        self
    }

    /// Uploads the candidate files whose hour `ready` accepts.
    async fn round(&mut self, ready: impl Fn(DateTime<Utc>) -> bool) -> UploadRound {
        let mut round = UploadRound::default();
        let files = match self.candidates().await {
            Ok(files) => files,
            Err(error) => {
                tracing::warn!(directory = %self.directory.display(), %error, "cannot list the log directory to upload logs; trying again next round");
                return round;
            }
        };
        for (name, hour) in files {
            if !ready(hour) || self.uploaded.contains(&name) {
                continue;
            }
            if let Some(plain) = name.strip_suffix(".gz") {
                if self.uploaded.contains(plain) {
                    self.uploaded.insert(name);
                    continue;
                }
            }
            let target = self.destination.join(&name).to_string();
            let path = self.directory.join(&name);
            match self.storage.upload_file(&path, &target).await {
                Ok(()) => {
                    tracing::debug!(file = %name, uri = %target, "uploaded a log file");
                    self.uploaded.insert(name.clone());
                    round.uploaded.push(name);
                }
                // Compressed away between the listing and the upload: its
                // `.gz` comes next round.
                Err(StorageError::NotFound { .. }) if path_is_gone(&path) => {}
                Err(error) => {
                    tracing::warn!(file = %name, uri = %target, error = %error_chain(&error), "uploading a log file failed; trying again next round");
                    round.failed.push(name);
                }
            }
        }
        round
    }

    /// The hourly files in the directory covering time since `since`, with
    /// their hours, oldest first.
    async fn candidates(&self) -> std::io::Result<Vec<(String, DateTime<Utc>)>> {
        let mut files = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.directory).await?;
        while let Some(entry) = entries.next_entry().await? {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Some(hour) = file_hour(&name) else {
                continue;
            };
            if hour + HOUR > self.since && entry.file_type().await?.is_file() {
                files.push((name, hour));
            }
        }
        files.sort();
        Ok(files)
    }
}

/// The hour (UTC) a `Task Runner.log.YYYY-MM-DD-HH[.gz]` file covers.
fn file_hour(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(LOG_FILE_PREFIX)?.strip_prefix('.')?;
    let stamp = stamp.strip_suffix(".gz").unwrap_or(stamp);
    let (date, hour) = (stamp.get(..10)?, stamp.get(10..)?);
    let hour: u32 = hour
        .strip_prefix('-')
        .filter(|hour| hour.len() == 2)?
        .parse()
        .ok()?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(hour, 0, 0)?.and_utc())
}

fn path_is_gone(path: &Path) -> bool {
    !path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_come_from_the_file_names() {
        let hour = |text: &str| DateTime::parse_from_rfc3339(text).expect("time").to_utc();
        assert_eq!(
            file_hour("Task Runner.log.2026-01-02-13"),
            Some(hour("2026-01-02T13:00:00Z"))
        );
        assert_eq!(
            file_hour("Task Runner.log.2026-01-02-03.gz"),
            Some(hour("2026-01-02T03:00:00Z"))
        );
        for other in [
            "Task Runner.log",
            "Task Runner.log.",
            "Task Runner.log.2026-01-02",
            "Task Runner.log.2026-01-02-3",
            "Task Runner.log.2026-01-02-24",
            "Task Runner.log.2026-13-02-01",
            "Task Runner.log.2026-01-02-01.tmp",
            "notes.txt",
        ] {
            assert_eq!(file_hour(other), None, "{other}");
        }
    }
}
