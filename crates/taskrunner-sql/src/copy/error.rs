//! [`CopyError`]: a `CopyActivity` failed.

use crate::create_table::CreateTableError;
use crate::database::DatabaseError;
use crate::error::FieldError;
use crate::error_id;
use crate::records::RecordError;
use crate::store::StoreError;

/// A `CopyActivity` failed. Whatever it wrote to a database was rolled
/// back; a partial output file is never uploaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// A field is missing or unusable.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The database could not be named or reached.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// An input or output object could not be transferred.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A malformed record; the message names the file and line.
    #[error("bad record: {0}")]
    Record(#[from] RecordError),
    /// The database refused the data or the query; nothing was committed.
    #[error("{0}; nothing was committed")]
    Sql(String),
    /// A local scratch file could not be written or read.
    #[error("scratch file {path}: {source}")]
    Scratch {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input's `manifestFilePath` is not a usable manifest, or an
    /// object it marks mandatory does not exist; the message says which.
    #[error("manifest {manifest}: {reason}")]
    Manifest {
        /// The manifest's URI.
        manifest: String,
        /// What is wrong.
        reason: String,
    },
    /// The output node's `createTableSql` (or the check before it) failed;
    /// nothing was loaded.
    #[error(transparent)]
    CreateTable(#[from] CreateTableError),
    /// This input/output combination is not supported; the message says why.
    #[error("{0}")]
    NotSupported(String),
}

impl CopyError {
    /// The errorId for the task's status.
    pub fn error_id(&self) -> &'static str {
        match self {
            Self::Field(error) => error.error_id(),
            Self::Database(error) => error.error_id(),
            Self::Store(StoreError::S3NotConfigured { .. }) => error_id::S3_NOT_CONFIGURED,
            Self::Store(_) => error_id::TRANSFER_FAILED,
            Self::Record(RecordError::Bad { .. }) => error_id::BAD_RECORD,
            Self::Record(RecordError::Io { .. }) | Self::Scratch { .. } => {
                error_id::TRANSFER_FAILED
            }
            Self::Sql(_) => error_id::COPY_DATABASE_FAILED,
            Self::Manifest { .. } => error_id::MANIFEST_FAILED,
            Self::CreateTable(error) => error.error_id(),
            Self::NotSupported(_) => error_id::COPY_NOT_SUPPORTED,
        }
    }

    pub(crate) fn scratch(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Scratch {
            path: path.display().to_string(),
            source,
        }
    }
}
