//! [`ShellError`]: why a shell task could not run its command, and how
//! that is reported.

use std::io;
use std::path::PathBuf;

use taskrunner_activity::Failure;
use taskrunner_api::error_chain;

use crate::error_id;
use crate::storage::StorageError;

/// A step around the command failed (not the command itself: its non-zero
/// exit is an [`Outcome::Failed`](taskrunner_activity::Outcome::Failed)).
///
/// Each variant becomes SetTaskStatus `FAILED` with the errorId from
/// [`error_id`](crate::error_id) and the error's chain as the errorMessage.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ShellError {
    /// The command fields are unusable; the message says which and why.
    #[error("{0}")]
    InvalidCommand(String),
    /// A field names an `s3://` URI and no storage is configured.
    #[error(
        "{field} is {uri}, but this runner has no storage configured for s3:// URIs; \
         configure one or use a local path"
    )]
    S3NotConfigured { field: String, uri: String },
    /// `scriptUri` could not be copied into the working directory.
    #[error("could not fetch scriptUri {uri}")]
    ScriptFetch {
        uri: String,
        #[source]
        source: StorageError,
    },
    /// Staging data in or out failed; `what` names the node and direction.
    #[error("could not stage {what}")]
    Staging {
        what: String,
        #[source]
        source: StorageError,
    },
    /// Writing or uploading `stdout`/`stderr` failed.
    #[error("could not write {field} to {uri}")]
    Output {
        field: &'static str,
        uri: String,
        #[source]
        source: StorageError,
    },
    /// The working directory could not be created.
    #[error("could not create the working directory {}", path.display())]
    WorkingDirectory {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The shell could not be started or waited for.
    #[error("could not run the shell {}", shell.display())]
    Spawn {
        shell: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ShellError {
    /// The errorId reported for this error.
    pub(crate) fn error_id(&self) -> &'static str {
        match self {
            Self::InvalidCommand(_) => error_id::INVALID_SHELL_COMMAND,
            Self::S3NotConfigured { .. } => error_id::S3_NOT_CONFIGURED,
            Self::ScriptFetch { .. } => error_id::SCRIPT_FETCH_FAILED,
            Self::Staging { .. } => error_id::STAGING_FAILED,
            Self::Output { .. } => error_id::OUTPUT_FAILED,
            Self::WorkingDirectory { .. } => error_id::WORKING_DIRECTORY_FAILED,
            Self::Spawn { .. } => error_id::SHELL_SPAWN_FAILED,
        }
    }
}

impl From<ShellError> for Failure {
    fn from(error: ShellError) -> Self {
        Failure::new(error.error_id(), error_chain(&error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_carry_the_id_and_the_chain() {
        let error = ShellError::ScriptFetch {
            uri: "/opt/x.sh".into(),
            source: StorageError::NotFound {
                uri: "/opt/x.sh".into(),
            },
        };
        let report = Failure::from(error).into_status_report();
        assert_eq!(report.error_id.as_deref(), Some("ScriptFetchFailed"));
        assert_eq!(
            report.error_message.as_deref(),
            Some("could not fetch scriptUri /opt/x.sh: /opt/x.sh does not exist")
        );
    }
}
