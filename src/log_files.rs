//! Old hourly log files under `--output` are compressed, as the Java runner
//! gzips its hourly files after 8 hours.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Files older than this are compressed.
pub(crate) const COMPRESS_AFTER: Duration = Duration::from_secs(8 * 3600);
/// How often the directory is looked at.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);
/// The prefix of the hourly files `logging` writes.
pub(crate) const LOG_PREFIX: &str = "taskrunner.log";

/// Compresses old log files in `directory` now and every ten minutes, until
/// the process ends.
pub(crate) fn spawn_compressor(directory: PathBuf) {
    tokio::spawn(async move {
        loop {
            let directory = directory.clone();
            let swept = tokio::task::spawn_blocking(move || {
                compress_old(&directory, SystemTime::now(), COMPRESS_AFTER)
            })
            .await;
            if let Ok(Err(error)) = swept {
                tracing::warn!(%error, "compressing old log files failed");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });
}

/// Gzips every hourly log file in `directory` last written more than `age`
/// before `now`, replacing it with `NAME.gz`. Answers the files compressed.
///
/// # Errors
/// When the directory cannot be read; a file that cannot be compressed is
/// left as it is and logged.
pub(crate) fn compress_old(
    directory: &Path,
    now: SystemTime,
    age: Duration,
) -> std::io::Result<Vec<PathBuf>> {
    let mut compressed = Vec::new();
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if !name.starts_with(LOG_PREFIX) || name.ends_with(".gz") || !path.is_file() {
            continue;
        }
        let modified = std::fs::metadata(&path)?.modified()?;
        if now.duration_since(modified).unwrap_or_default() < age {
            continue;
        }
        match gzip(&path) {
            Ok(target) => compressed.push(target),
            Err(error) => {
                tracing::warn!(file = %path.display(), %error, "cannot compress a log file");
            }
        }
    }
    Ok(compressed)
}

fn gzip(path: &Path) -> std::io::Result<PathBuf> {
    let mut target = path.as_os_str().to_owned();
    target.push(".gz");
    let target = PathBuf::from(target);
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut encoder = GzEncoder::new(
        BufWriter::new(std::fs::File::create(&target)?),
        Compression::default(),
    );
    std::io::copy(&mut reader, &mut encoder)?;
    encoder
        .finish()?
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()?;
    std::fs::remove_file(path)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_hourly_files_are_compressed() {
        let directory = tempfile::tempdir().unwrap();
        let old = directory.path().join("taskrunner.log.2026-01-01-00");
        let other = directory.path().join("notes.txt");
        std::fs::write(&old, "line\n".repeat(100)).unwrap();
        std::fs::write(&other, "keep").unwrap();
        let now = SystemTime::now();
        assert!(
            compress_old(directory.path(), now, COMPRESS_AFTER)
                .unwrap()
                .is_empty(),
            "fresh files stay"
        );
        let later = now + COMPRESS_AFTER + Duration::from_secs(1);
        let compressed = compress_old(directory.path(), later, COMPRESS_AFTER).unwrap();
        assert_eq!(
            compressed,
            vec![directory.path().join("taskrunner.log.2026-01-01-00.gz")]
        );
        assert!(!old.exists() && other.exists());
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&compressed[0]).unwrap()),
            &mut text,
        )
        .unwrap();
        assert_eq!(text, "line\n".repeat(100));
    }
}
