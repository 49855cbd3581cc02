//! [`DevNull`]: `/dev/null`, opened once for every command's stdin (and
//! stdout when nobody reads it).
//!
//! Why: `Stdio::null()` opens `/dev/null` anew for each stream of each
//! command, a path lookup and a new open file each time; a duplicate of a
//! descriptor kept open is one `fcntl` (docs/PERFORMANCE.md,
//! shell-throughput).

use std::fs::{File, OpenOptions};
use std::process::Stdio;

/// `/dev/null`, open for reading and writing.
#[derive(Debug)]
pub(crate) struct DevNull {
    /// `None` if it could not be opened; each stream then opens its own.
    file: Option<File>,
}

impl DevNull {
    /// Opens `/dev/null`; on failure, [`DevNull::stdio`] falls back to
    /// `Stdio::null()`, which reports the error when the command starts.
    pub(crate) fn open() -> Self {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .inspect_err(|error| tracing::debug!(%error, "could not open /dev/null to keep"))
            .ok();
        Self { file }
    }

    /// A stream connected to `/dev/null`, for a child's stdin or stdout.
    pub(crate) fn stdio(&self) -> Stdio {
        self.file
            .as_ref()
            .and_then(|file| file.try_clone().ok())
            .map_or_else(Stdio::null, Stdio::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stream_is_a_new_descriptor_of_the_same_file() {
        let dev_null = DevNull::open();
        assert!(dev_null.file.is_some());
        let output = std::process::Command::new("/bin/sh")
            .args(["-c", "read line; echo $?"])
            .stdin(dev_null.stdio())
            .stdout(Stdio::piped())
            .output()
            .expect("runs");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n");
        let status = std::process::Command::new("/bin/sh")
            .args(["-c", "echo discarded"])
            .stdout(dev_null.stdio())
            .status()
            .expect("runs");
        assert!(status.success());
    }
}
