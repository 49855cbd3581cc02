//! [`SpareDirs`]: emptied working directories kept for the next attempt.
//!
//! Why: making a directory allocates an inode and a block and removing it
//! frees them, and on a busy ext4 the allocator's search for a free inode
//! (it skips recently deleted ones) made `mkdir` the largest single cost
//! of running `true` through the activity (docs/PERFORMANCE.md,
//! shell-throughput). Renaming an existing empty directory into place
//! allocates nothing.
//!
//! A working directory goes back to the pool only if it is still a plain,
//! empty directory with the mode a new one gets, so the next attempt finds
//! exactly what `mkdir` would have made; any other is removed as before.
//! Spares are hidden siblings of the working directories
//! (`.spare-<runner pid>-<n>`; working directory names never start with a
//! dot), so every rename stays inside one directory. The pool holds at most
//! [`MAX_SPARES`]; they are removed when the activity is dropped. A runner
//! that is killed leaves its spares behind: empty directories.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The most spares kept: more than a runner's usual task slots, few enough
/// that a killed runner leaves little behind.
pub(crate) const MAX_SPARES: usize = 64;

/// Empty working directories, ready to be renamed into place.
#[derive(Debug, Default)]
pub(crate) struct SpareDirs {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The spares, each a full path.
    spares: Vec<PathBuf>,
    /// Numbers the spares' names.
    next: u64,
    /// The permission bits of a directory this process creates (the umask
    /// applied), learned from the first one it creates.
    fresh_mode: Option<u32>,
}

impl SpareDirs {
    /// Makes the directory `path` (and its parents) if it does not exist:
    /// a spare from the same parent renamed into place, else a new one.
    /// Blocking.
    ///
    /// # Errors
    ///
    /// The I/O error from creating the directory.
    #[cfg(test)]
    pub(crate) fn provide(&self, path: &Path) -> io::Result<()> {
        if self.reuse(path) {
            return Ok(());
        }
        self.create(path)
    }

    /// Makes the directory `path` (and its parents) if it does not exist,
    /// without looking for a spare. Blocking.
    ///
    /// # Errors
    ///
    /// The I/O error from creating the directory.
    pub(crate) fn create(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)?;
        if self.lock().fresh_mode.is_none() {
            let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
            self.lock().fresh_mode.get_or_insert(mode);
        }
        Ok(())
    }

    /// Keeps `path` as a spare when it is an empty directory with the mode
    /// of a new one and the pool has room; returns whether it did. Anything
    /// else is the caller's to remove. A few system calls that read no
    /// directory beyond its first entry: on Linux an `open`, an `fstat`,
    /// one read of the directory and a `rename`.
    pub(crate) fn keep(&self, path: &Path) -> bool {
        let (Some(parent), Some(fresh_mode)) = (path.parent(), self.lock().fresh_mode) else {
            return false;
        };
        if self.lock().spares.len() >= MAX_SPARES || !is_pristine(path, fresh_mode) {
            return false;
        }
        let spare = {
            let mut state = self.lock();
            state.next += 1;
            parent.join(format!(".spare-{}-{}", std::process::id(), state.next))
        };
        if std::fs::rename(path, &spare).is_err() {
            return false;
        }
        self.lock().spares.push(spare);
        true
    }

    /// How many spares the pool holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().spares.len()
    }

    /// Renames a spare that lives next to `path` to `path`; whether one
    /// was. One `rename` when the pool has a spare, nothing else when not.
    pub(crate) fn reuse(&self, path: &Path) -> bool {
        let Some(parent) = path.parent() else {
            return false;
        };
        let spare = {
            let mut state = self.lock();
            let Some(index) = state
                .spares
                .iter()
                .position(|spare| spare.parent() == Some(parent))
            else {
                return false;
            };
            state.spares.swap_remove(index)
        };
        match std::fs::rename(&spare, path) {
            Ok(()) => true,
            // `path` exists and is not empty (a kept directory of an earlier
            // attempt): that is what the caller gets, and the spare stays.
            Err(error) if spare.exists() => {
                tracing::debug!(path = %path.display(), %error, "kept the existing working directory");
                self.lock().spares.push(spare);
                false
            }
            Err(_) => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent at every step: a panic elsewhere
        // cannot leave it half-changed.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for SpareDirs {
    fn drop(&mut self) {
        for spare in &self.lock().spares {
            if let Err(error) = std::fs::remove_dir_all(spare) {
                tracing::debug!(spare = %spare.display(), %error, "could not remove a spare working directory");
            }
        }
    }
}

/// Whether `path` is a directory (not a link to one) with `mode` and
/// nothing in it (an unreadable directory counts as not pristine).
///
/// On Linux, the directory is opened once, without following a link, and
/// both checks read that open directory: its mode with `fstat`, its
/// entries with one `getdents64` into a buffer on the stack.
/// `std::fs::read_dir` would ask glibc's `opendir`, which allocates 32 KiB
/// for every directory it reads, an allocation glibc serves only after
/// merging its small freed chunks (docs/PERFORMANCE.md, shell-throughput).
#[cfg(target_os = "linux")]
fn is_pristine(path: &Path, mode: u32) -> bool {
    use rustix::fs::{Mode, OFlags, RawDir};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(dir) = rustix::fs::open(path, flags, Mode::empty()) else {
        return false;
    };
    if !rustix::fs::fstat(&dir).is_ok_and(|stat| stat.st_mode & 0o7777 == mode) {
        return false;
    }
    // Room for `.`, `..` and one entry of the longest name: an entry that
    // does not fit is an error, read as "not empty".
    let mut buffer = [std::mem::MaybeUninit::uninit(); 512];
    let mut entries = RawDir::new(&dir, &mut buffer);
    while let Some(entry) = entries.next() {
        match entry {
            Ok(entry) if matches!(entry.file_name().to_bytes(), b"." | b"..") => {}
            _ => return false,
        }
    }
    true
}

/// Whether `path` is a directory (not a link to one) with `mode` and
/// nothing in it.
#[cfg(not(target_os = "linux"))]
fn is_pristine(path: &Path, mode: u32) -> bool {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return false;
    };
    metadata.is_dir()
        && metadata.permissions().mode() & 0o7777 == mode
        && std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_pool(root: &Path) -> (SpareDirs, PathBuf) {
        let pool = SpareDirs::default();
        let first = root.join("first");
        pool.provide(&first).expect("creates");
        assert!(first.is_dir());
        (pool, first)
    }

    #[test]
    fn an_empty_directory_is_reused_under_the_next_name() {
        let temp = tempfile::tempdir().expect("tempdir");
        let (pool, first) = fresh_pool(temp.path());
        assert!(pool.keep(&first));
        assert!(!first.exists());
        assert_eq!(pool.len(), 1);

        let second = temp.path().join("second");
        pool.provide(&second).expect("renames");
        assert!(second.is_dir());
        assert_eq!(pool.len(), 0);
        assert_eq!(std::fs::read_dir(temp.path()).expect("lists").count(), 1);
    }

    #[test]
    fn directories_with_content_or_another_mode_are_not_kept() {
        let temp = tempfile::tempdir().expect("tempdir");
        let (pool, first) = fresh_pool(temp.path());
        std::fs::write(first.join("left"), "x").expect("writes");
        assert!(!pool.keep(&first));
        std::fs::remove_file(first.join("left")).expect("removes");

        std::fs::create_dir(first.join("sub")).expect("mkdir");
        assert!(!pool.keep(&first));
        std::fs::remove_dir(first.join("sub")).expect("rmdir");

        std::fs::set_permissions(&first, std::fs::Permissions::from_mode(0o500)).expect("chmod");
        assert!(!pool.keep(&first));
        std::fs::set_permissions(&first, std::fs::Permissions::from_mode(0o700)).expect("chmod");

        let link = temp.path().join("link");
        std::os::unix::fs::symlink(&first, &link).expect("symlink");
        assert!(!pool.keep(&link));
        assert!(!pool.keep(&temp.path().join("missing")));
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn an_existing_directory_keeps_its_content_and_the_spare_stays() {
        let temp = tempfile::tempdir().expect("tempdir");
        let (pool, first) = fresh_pool(temp.path());
        assert!(pool.keep(&first));
        let kept = temp.path().join("kept");
        std::fs::create_dir(&kept).expect("mkdir");
        std::fs::write(kept.join("file"), "x").expect("writes");
        pool.provide(&kept).expect("exists already");
        assert!(kept.join("file").exists());
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn spares_serve_only_their_own_parent() {
        let (one, two) = (
            tempfile::tempdir().expect("tempdir"),
            tempfile::tempdir().expect("tempdir"),
        );
        let (pool, first) = fresh_pool(one.path());
        assert!(pool.keep(&first));
        pool.provide(&two.path().join("elsewhere"))
            .expect("creates");
        assert_eq!(pool.len(), 1, "the spare in the other root is untouched");
    }

    #[test]
    fn the_pool_is_bounded_and_emptied_when_dropped() {
        let temp = tempfile::tempdir().expect("tempdir");
        let (pool, first) = fresh_pool(temp.path());
        std::fs::remove_dir(&first).expect("rmdir");
        for index in 0..=MAX_SPARES {
            let dir = temp.path().join(format!("dir{index}"));
            std::fs::create_dir(&dir).expect("mkdir");
            assert_eq!(pool.keep(&dir), index < MAX_SPARES);
        }
        assert_eq!(pool.len(), MAX_SPARES);
        drop(pool);
        let left: Vec<_> = std::fs::read_dir(temp.path())
            .expect("lists")
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from(format!("dir{MAX_SPARES}"))]
        );
    }
}
