//! Copies between local paths: what `file://` URIs and plain paths use.
//!
//! Only regular files and directories are copied. Symbolic links and special
//! files are skipped, so a command cannot make the runner copy out a file
//! it merely links to, and a link cycle cannot make a copy run forever.

use std::path::{Path, PathBuf};

use tokio::fs;

use super::StorageError;

/// Copies the file `source` to `dest`, creating `dest`'s parent directories
/// and replacing `dest` if it exists.
pub(crate) async fn copy_file(source: &Path, dest: &Path) -> Result<(), StorageError> {
    let metadata = fs::metadata(source)
        .await
        .map_err(|error| StorageError::io(display(source), error))?;
    if !metadata.is_file() {
        return Err(StorageError::io(
            display(source),
            std::io::Error::other("not a regular file"),
        ));
    }
    create_parent(dest).await?;
    fs::copy(source, dest)
        .await
        .map_err(|error| StorageError::io(display(dest), error))?;
    Ok(())
}

/// Copies everything below the directory `source` into `dest` (created if
/// needed), merging with what `dest` holds.
pub(crate) async fn copy_dir_contents(source: &Path, dest: &Path) -> Result<(), StorageError> {
    let metadata = fs::metadata(source)
        .await
        .map_err(|error| StorageError::io(display(source), error))?;
    if !metadata.is_dir() {
        return Err(StorageError::io(
            display(source),
            std::io::Error::other("not a directory"),
        ));
    }
    fs::create_dir_all(dest)
        .await
        .map_err(|error| StorageError::io(display(dest), error))?;
    // Copying a directory into itself would never end: refuse.
    let (source_real, dest_real) = (canonical(source).await?, canonical(dest).await?);
    if dest_real.starts_with(&source_real) {
        return Err(StorageError::io(
            display(dest),
            std::io::Error::other(format!("is inside the source {}", source.display())),
        ));
    }
    // Depth-first with an explicit stack: no recursion, no boxed futures.
    let mut pending: Vec<(PathBuf, PathBuf)> = vec![(source.to_owned(), dest.to_owned())];
    while let Some((from, to)) = pending.pop() {
        fs::create_dir_all(&to)
            .await
            .map_err(|error| StorageError::io(display(&to), error))?;
        let mut entries = fs::read_dir(&from)
            .await
            .map_err(|error| StorageError::io(display(&from), error))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|error| StorageError::io(display(&from), error))?
        {
            let file_type = entry
                .file_type()
                .await
                .map_err(|error| StorageError::io(display(&entry.path()), error))?;
            let target = to.join(entry.file_name());
            if file_type.is_dir() {
                pending.push((entry.path(), target));
            } else if file_type.is_file() {
                fs::copy(entry.path(), &target)
                    .await
                    .map_err(|error| StorageError::io(display(&target), error))?;
            } else {
                tracing::debug!(path = %entry.path().display(), "not copying a link or special file");
            }
        }
    }
    Ok(())
}

async fn canonical(path: &Path) -> Result<PathBuf, StorageError> {
    fs::canonicalize(path)
        .await
        .map_err(|error| StorageError::io(display(path), error))
}

/// Creates the parent directories of `path`.
pub(crate) async fn create_parent(path: &Path) -> Result<(), StorageError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => fs::create_dir_all(parent)
            .await
            .map_err(|error| StorageError::io(display(parent), error)),
        _ => Ok(()),
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[tokio::test]
    async fn copies_trees_without_links() {
        let temp = tempfile::tempdir().expect("tempdir");
        let source = temp.path().join("src");
        std::fs::create_dir_all(source.join("a/b")).expect("mkdir");
        std::fs::write(source.join("top.txt"), "top").expect("write");
        std::fs::write(source.join("a/b/deep.txt"), "deep").expect("write");
        std::os::unix::fs::symlink("/etc/hostname", source.join("link")).expect("symlink");

        let dest = temp.path().join("dest");
        copy_dir_contents(&source, &dest).await.expect("copies");
        assert_eq!(
            std::fs::read_to_string(dest.join("top.txt")).expect("read"),
            "top"
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("a/b/deep.txt")).expect("read"),
            "deep"
        );
        assert!(!dest.join("link").exists());

        let file = temp.path().join("x/y/copy.txt");
        copy_file(&source.join("top.txt"), &file)
            .await
            .expect("copies");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "top");
    }

    #[tokio::test]
    async fn missing_sources_are_not_found() {
        let temp = tempfile::tempdir().expect("tempdir");
        let missing = temp.path().join("missing");
        let error = copy_file(&missing, &temp.path().join("d"))
            .await
            .expect_err("missing");
        assert!(matches!(error, StorageError::NotFound { .. }), "{error}");
        let error = copy_dir_contents(&missing, &temp.path().join("d"))
            .await
            .expect_err("missing");
        assert!(matches!(error, StorageError::NotFound { .. }), "{error}");
        let error = copy_dir_contents(temp.path(), &temp.path().join("d"))
            .await
            .expect_err("into itself");
        assert!(
            error
                .source()
                .is_some_and(|e| e.to_string().contains("inside")),
            "{error}"
        );
    }
}
