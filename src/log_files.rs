//! Housekeeping of `--output`: old hourly log files are compressed, as the
//! Java runner gzips its hourly files after 8 hours
//! (dp-how-task-runner-user-managed.md), and old attempt directories are
//! removed, so that a long-lived runner does not fill its disk (the Guide
//! does not say what the Java runner does; this is our rule).

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Files older than this are compressed.
pub(crate) const COMPRESS_AFTER: Duration = Duration::from_secs(8 * 3600);
/// Attempt directories whose files were all last written longer ago than
/// this are removed.
pub(crate) const PRUNE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);
/// The files an attempt directory holds (see taskrunner-shell's attempt
/// logs): a directory holding anything else is never removed.
const ATTEMPT_FILES: [&str; 2] = ["StdOutput", "StdError"];
/// How deep attempt directories lie: pipeline/component/instance/attempt.
const ATTEMPT_DEPTH: usize = 4;
/// How often the directory is looked at.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);
/// The prefix of the hourly files `logging` writes.
pub(crate) const LOG_PREFIX: &str = "Task Runner.log";

/// Compresses old log files and prunes old attempt directories in
/// `directory` now and every ten minutes, until
/// the process ends.
pub(crate) fn spawn_compressor(directory: PathBuf) {
    tokio::spawn(async move {
        loop {
            let compressing = directory.clone();
            let swept = tokio::task::spawn_blocking(move || {
                compress_old(&compressing, SystemTime::now(), COMPRESS_AFTER)
            })
            .await;
            if let Ok(Err(error)) = swept {
                tracing::warn!(%error, "compressing old log files failed");
            }
            let root = directory.clone();
            let pruned = tokio::task::spawn_blocking(move || {
                prune_attempts(&root, SystemTime::now(), PRUNE_AFTER)
            })
            .await;
            if let Ok(removed) = pruned {
                if !removed.is_empty() {
                    tracing::info!(
                        count = removed.len(),
                        "removed attempt log directories older than {} days",
                        PRUNE_AFTER.as_secs() / 86_400
                    );
                }
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

/// Removes every attempt directory below `root`
/// (`PIPELINE/COMPONENT/INSTANCE/ATTEMPT/`) that holds nothing but attempt
/// log files, all last written more than `age` before `now`; then the
/// parents it leaves empty. Answers the attempt directories removed.
/// Nothing else is touched; what cannot be read or removed is skipped.
pub(crate) fn prune_attempts(root: &Path, now: SystemTime, age: Duration) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    prune_below(root, 1, now, age, &mut removed);
    removed
}

fn prune_below(
    directory: &Path,
    depth: usize,
    now: SystemTime,
    age: Duration,
    removed: &mut Vec<PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Not following links: a link out of the tree is never pruned into.
        if !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            continue;
        }
        if depth < ATTEMPT_DEPTH {
            let before = removed.len();
            prune_below(&path, depth + 1, now, age, removed);
            if removed.len() > before {
                // remove_dir refuses a non-empty directory: only what the
                // pruning emptied goes.
                let _ = std::fs::remove_dir(&path);
            }
        } else if stale_attempt(&path, now, age) && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
}

/// Whether `directory` holds only attempt log files, each older than `age`.
fn stale_attempt(directory: &Path, now: SystemTime, age: Duration) -> bool {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return false;
    };
    entries.into_iter().all(|entry| {
        let Ok(entry) = entry else { return false };
        let name = entry.file_name();
        let known = ATTEMPT_FILES.iter().any(|file| name == *file);
        let modified = entry.metadata().and_then(|metadata| metadata.modified());
        known
            && modified
                .is_ok_and(|modified| now.duration_since(modified).unwrap_or_default() >= age)
    })
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
    fn only_old_attempt_directories_are_pruned() {
        let root = tempfile::tempdir().unwrap();
        let attempt = |pipeline: &str, number: u32| {
            root.path()
                .join(pipeline)
                .join("Work")
                .join("@Work_2026-01-01T00:00:00")
                .join(format!("@Work_2026-01-01T00:00:00_Attempt={number}"))
        };
        let (old, other_file, hourly) = (
            attempt("df-1", 1),
            attempt("df-2", 1),
            root.path().join("Task Runner.log.2026-01-01-00"),
        );
        for directory in [&old, &other_file] {
            std::fs::create_dir_all(directory).unwrap();
            std::fs::write(directory.join("StdOutput"), "out").unwrap();
            std::fs::write(directory.join("StdError"), "err").unwrap();
        }
        std::fs::write(other_file.join("notes.txt"), "mine").unwrap();
        std::fs::write(&hourly, "log").unwrap();
        let now = SystemTime::now();
        assert!(
            prune_attempts(root.path(), now, PRUNE_AFTER).is_empty(),
            "fresh attempts stay"
        );
        let later = now + PRUNE_AFTER + Duration::from_secs(1);
        assert_eq!(
            prune_attempts(root.path(), later, PRUNE_AFTER),
            vec![old.clone()]
        );
        assert!(!root.path().join("df-1").exists(), "emptied parents go too");
        assert!(
            other_file.join("StdOutput").exists(),
            "a directory with other files stays"
        );
        assert!(hourly.exists());
    }

    #[test]
    fn only_old_hourly_files_are_compressed() {
        let directory = tempfile::tempdir().unwrap();
        let old = directory.path().join("Task Runner.log.2026-01-01-00");
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
            vec![directory.path().join("Task Runner.log.2026-01-01-00.gz")]
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
