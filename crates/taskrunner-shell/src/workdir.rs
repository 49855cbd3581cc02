//! [`WorkingDir`]: the layout of an attempt's working directory.
//!
//! ```text
//! <scratch dir>/                 the command's cwd (TaskContext::scratch_dir)
//!   staging/input1/ …            ${INPUT1_STAGING_DIR}, … (stage = true)
//!   staging/output1/ …           ${OUTPUT1_STAGING_DIR}, …
//!   .taskrunner/script/NAME      the fetched scriptUri
//!   .taskrunner/stdout, stderr   output spooled for an s3:// upload
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use taskrunner_activity::TaskContext;

use crate::error::ShellError;
use crate::spare_dirs::SpareDirs;

/// The runner's own files, kept apart from what the command writes.
const RUNNER_DIR: &str = ".taskrunner";

/// An attempt's working directory.
#[derive(Debug, Clone)]
pub(crate) struct WorkingDir {
    root: PathBuf,
}

impl WorkingDir {
    /// Makes the task's scratch directory, from `spares` when it has one.
    ///
    /// A spare is renamed into place right here, on the async thread: one
    /// `rename` of an entry in the kernel's directory cache, cheaper than
    /// the hand-off to the blocking pool and back, which cost a wake-up
    /// across threads each way. Only a new directory (the first attempts,
    /// a new parent) is made on the blocking pool.
    pub(crate) async fn create(
        ctx: &TaskContext,
        spares: &Arc<SpareDirs>,
    ) -> Result<Self, ShellError> {
        let root = ctx.scratch_dir();
        if !spares.reuse(&root) {
            let (path, spares) = (root.clone(), Arc::clone(spares));
            tokio::task::spawn_blocking(move || spares.create(&path))
                .await
                .map_err(io::Error::other)
                .and_then(|created| created)
                .map_err(|source| ShellError::WorkingDirectory {
                    path: root.clone(),
                    source,
                })?;
        }
        Ok(Self { root })
    }

    /// The directory itself: the command's cwd.
    pub(crate) fn path(&self) -> &Path {
        &self.root
    }

    /// Where a fetched script is put: `.taskrunner/script/<name>`, with the
    /// name cut down to `[A-Za-z0-9._-]` so no URI can steer it elsewhere.
    pub(crate) fn script(&self, name: Option<&str>) -> PathBuf {
        let name: String = name
            .unwrap_or_default()
            .chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        let name = if name.is_empty() || name.starts_with('.') {
            format!("script{name}")
        } else {
            name
        };
        self.root.join(RUNNER_DIR).join("script").join(name)
    }

    /// `staging/<kind><index>`, e.g. `staging/input1`.
    pub(crate) fn staging(&self, kind: &str, index: usize) -> PathBuf {
        self.root.join("staging").join(format!("{kind}{index}"))
    }

    /// Where output bound for an upload is spooled: `.taskrunner/<stream>`.
    pub(crate) fn spool(&self, stream: &str) -> PathBuf {
        self.root.join(RUNNER_DIR).join(stream)
    }

    /// Hands the directory to `spares` if it is empty and untouched, or
    /// removes it and everything in it — also when the command made parts
    /// of it read-only (`chmod -R a-w .`): on a first failure, every
    /// directory below is made writable again and the removal is retried.
    /// Symbolic links are removed, never followed.
    ///
    /// The check and the rename of an empty directory run here, on the
    /// async thread (a few system calls on cached directory entries, as in
    /// [`WorkingDir::create`]); only a real removal, whose cost grows with
    /// what the command left, goes to the blocking pool.
    pub(crate) async fn remove(&self, spares: &Arc<SpareDirs>) -> io::Result<()> {
        if spares.keep(&self.root) {
            return Ok(());
        }
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || remove_all(&root))
            .await
            .map_err(io::Error::other)?
    }
}

/// Removes `root` and everything in it, making read-only directories
/// writable if the first attempt fails.
fn remove_all(root: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(root) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            tracing::debug!(dir = %root.display(), %error, "making the working directory writable to remove it");
        }
        Ok(()) => return Ok(()),
    }
    make_writable(root);
    match std::fs::remove_dir_all(root) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Gives the owner full access to `root` and every directory below it, as
/// far as it can (entries it cannot reach are left for the retry to report).
fn make_writable(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        // symlink_metadata: a link is not a directory to descend into.
        let Ok(metadata) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if !metadata.is_dir() {
            continue;
        }
        let mode = metadata.permissions().mode() | 0o700;
        let _ignored = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            pending.extend(entries.flatten().map(|entry| entry.path()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_stay_inside() {
        let dir = WorkingDir {
            root: PathBuf::from("/w"),
        };
        assert_eq!(
            dir.script(Some("run.sh")),
            Path::new("/w/.taskrunner/script/run.sh")
        );
        assert_eq!(
            dir.script(Some("..")),
            Path::new("/w/.taskrunner/script/script..")
        );
        assert_eq!(
            dir.script(Some("a/b")),
            Path::new("/w/.taskrunner/script/a_b")
        );
        assert_eq!(dir.script(None), Path::new("/w/.taskrunner/script/script"));
        assert_eq!(dir.staging("output", 2), Path::new("/w/staging/output2"));
    }

    #[tokio::test]
    async fn read_only_directories_are_removed_too() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path().join("work");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/file"), "x").expect("write");
        for dir in [root.join("a/b"), root.join("a"), root.clone()] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).expect("chmod");
        }
        WorkingDir { root: root.clone() }
            .remove(&Arc::default())
            .await
            .expect("removes");
        assert!(!root.exists());
    }
}
