//! Why a state file could not be opened, read or written.

use std::path::PathBuf;

/// Why `--state` failed. Each variant names the file; a service refuses to
/// start rather than guess at a state file it cannot read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file could not be opened or created: a directory, a missing
    /// parent directory, no permission. Give a path to a file that can be
    /// created or written.
    #[error("cannot open state file {path}: {reason}")]
    Open {
        /// The state file.
        path: PathBuf,
        /// SQLite's or the operating system's reason.
        reason: String,
    },
    /// Another process (another `datapipeline-local`) holds the file. Stop
    /// it, or give each service its own file.
    #[error("state file {path} is in use by another process: {reason}")]
    InUse {
        /// The state file.
        path: PathBuf,
        /// SQLite's reason.
        reason: String,
    },
    /// The file is not a state file: not SQLite at all (garbage, a
    /// truncated file), or a SQLite database of something else. Move it
    /// away or give another path; the service never overwrites it.
    #[error("{path} is not a datapipeline-local state file ({reason}): move it away or pass another path")]
    NotAStateFile {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The file was written by a newer `datapipeline-local` whose format
    /// this one cannot read. Run the newer version, or give another path.
    #[error(
        "state file {path} has format version {found}, newer than the {supported} this \
         datapipeline-local reads: run a newer datapipeline-local or pass another path"
    )]
    FutureVersion {
        /// The state file.
        path: PathBuf,
        /// The version the file has.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// The file is a state file whose content is damaged. Restore it from a
    /// copy, or move it away to start empty.
    #[error("state file {path} is corrupt: {reason}")]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What was found damaged.
        reason: String,
    },
    /// A change could not be written (disk full, file removed). The change
    /// stays in memory and is written with the next one that succeeds.
    #[error("cannot write state file {path}: {reason}")]
    Write {
        /// The state file.
        path: PathBuf,
        /// SQLite's reason.
        reason: String,
    },
}

impl StateError {
    /// The state file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Open { path, .. }
            | Self::InUse { path, .. }
            | Self::NotAStateFile { path, .. }
            | Self::FutureVersion { path, .. }
            | Self::Corrupt { path, .. }
            | Self::Write { path, .. } => path,
        }
    }
}

/// Classifies a SQLite error met while opening or reading `path`.
pub(super) fn reading(path: &std::path::Path, error: &rusqlite::Error) -> StateError {
    let path = path.to_path_buf();
    let reason = error.to_string();
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StateError::NotAStateFile { path, reason },
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => StateError::Corrupt { path, reason },
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StateError::InUse { path, reason }
        }
        _ => StateError::Open { path, reason },
    }
}
