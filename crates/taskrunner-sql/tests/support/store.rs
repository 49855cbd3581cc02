//! A [`Storage`] over a local directory: `s3://bucket/key` is
//! `<root>/bucket/key`. It stands in for S3 in these tests; the binary's
//! end-to-end test (tests/sql_local.rs) uses the embedded S3 store.

use std::path::{Path, PathBuf};

use taskrunner_shell::{Storage, StorageError};

/// A directory standing in for S3.
#[derive(Debug)]
pub(crate) struct DirStorage {
    pub(crate) root: PathBuf,
}

impl DirStorage {
    /// The local path of `uri`.
    pub(crate) fn path(&self, uri: &str) -> PathBuf {
        self.root
            .join(uri.strip_prefix("s3://").expect("an s3:// uri"))
    }
}

#[async_trait::async_trait]
impl Storage for DirStorage {
    async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        tokio::fs::copy(self.path(uri), dest)
            .await
            .map(drop)
            .map_err(|error| StorageError::io(uri, error))
    }

    async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        let mut entries = tokio::fs::read_dir(self.path(uri))
            .await
            .map_err(|error| StorageError::io(uri, error))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|error| StorageError::io(uri, error))?
        {
            tokio::fs::copy(entry.path(), dest.join(entry.file_name()))
                .await
                .map_err(|error| StorageError::io(uri, error))?;
        }
        Ok(())
    }

    async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        let dest = self.path(uri);
        tokio::fs::create_dir_all(dest.parent().expect("parent"))
            .await
            .map_err(|error| StorageError::io(uri, error))?;
        tokio::fs::copy(source, dest)
            .await
            .map(drop)
            .map_err(|error| StorageError::io(uri, error))
    }

    async fn upload_dir(&self, _source: &Path, uri: &str) -> Result<(), StorageError> {
        Err(StorageError::backend(uri, "not used by these tests"))
    }
}
