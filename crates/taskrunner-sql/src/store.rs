//! [`Store`]: reading and writing the objects a task names, `s3://` through
//! the shell activities' [`Storage`], local paths and `file://` directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use taskrunner_shell::{Storage, StorageError};

/// Where scripts and data files come from and go to. Cloning is cheap.
#[derive(Debug, Clone, Default)]
pub struct Store {
    s3: Option<Arc<dyn Storage>>,
}

/// A transfer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An `s3://` URI was named but no S3 access is configured.
    #[error("{uri}: s3:// is not configured for this runner")]
    S3NotConfigured {
        /// The URI.
        uri: String,
    },
    /// The storage or the file system failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Store {
    /// A store with `s3` for `s3://` URIs (none: they fail with
    /// [`StoreError::S3NotConfigured`]).
    pub fn new(s3: Option<Arc<dyn Storage>>) -> Self {
        Self { s3 }
    }

    /// Downloads the object (or file) `uri` to the file `dest`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] naming the URI.
    pub async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StoreError> {
        match self.remote(uri)? {
            Some(s3) => Ok(s3.fetch_file(uri, dest).await?),
            None => {
                let source = local_path(uri);
                tokio::fs::copy(&source, dest)
                    .await
                    .map_err(|error| StorageError::io(uri, error))?;
                Ok(())
            }
        }
    }

    /// Downloads every object under the prefix (or directory) `uri` into
    /// `dest`, returning the files in key order.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] naming the URI.
    pub async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<Vec<PathBuf>, StoreError> {
        match self.remote(uri)? {
            Some(s3) => s3.fetch_dir(uri, dest).await?,
            None => copy_dir(&local_path(uri), dest)
                .await
                .map_err(|error| StorageError::io(uri, error))?,
        }
        let mut files = Vec::new();
        list_files(dest, &mut files).map_err(|error| StorageError::io(uri, error))?;
        files.sort();
        Ok(files)
    }

    /// Uploads the file `source` to `uri`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] naming the URI.
    pub async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StoreError> {
        match self.remote(uri)? {
            Some(s3) => Ok(s3.upload_file(source, uri).await?),
            None => {
                let dest = local_path(uri);
                if let Some(parent) = dest.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|error| StorageError::io(uri, error))?;
                }
                tokio::fs::copy(source, &dest)
                    .await
                    .map_err(|error| StorageError::io(uri, error))?;
                Ok(())
            }
        }
    }

    fn remote(&self, uri: &str) -> Result<Option<&Arc<dyn Storage>>, StoreError> {
        if !uri.starts_with("s3://") {
            return Ok(None);
        }
        self.s3
            .as_ref()
            .map(Some)
            .ok_or_else(|| StoreError::S3NotConfigured {
                uri: uri.to_owned(),
            })
    }
}

/// `file:///x` → `/x`; a plain path stays itself.
fn local_path(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

async fn copy_dir(source: &Path, dest: &Path) -> std::io::Result<()> {
    let mut entries = tokio::fs::read_dir(source).await?;
    while let Some(entry) = entries.next_entry().await? {
        let target = dest.join(entry.file_name());
        if entry.file_type().await?.is_dir() {
            tokio::fs::create_dir_all(&target).await?;
            Box::pin(copy_dir(&entry.path(), &target)).await?;
        } else {
            tokio::fs::copy(entry.path(), target).await?;
        }
    }
    Ok(())
}

fn list_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            list_files(&entry.path(), files)?;
        } else {
            files.push(entry.path());
        }
    }
    Ok(())
}
