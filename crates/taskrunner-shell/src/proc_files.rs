//! [`read_whole`]: reading a small kernel file (`/proc/…`) in as few
//! system calls as it takes.

use std::io::{self, Read};
use std::path::Path;

/// The file at `path`, read whole into a buffer of `capacity` bytes at
/// first (doubled whenever a read fills it).
///
/// Plain `read`s in a loop, not `std::fs::read` or `File::read_to_end`,
/// which first ask the file's size and position: a `statx` and an `lseek`
/// that tell nothing on `/proc`, whose files report a size of 0. The
/// escapee sweep's first look reads such files after every command, and
/// these two calls were a third of its system calls.
///
/// # Errors
///
/// The error from opening or reading the file.
pub(crate) fn read_whole(path: impl AsRef<Path>, capacity: usize) -> io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut bytes = vec![0; capacity.max(1)];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            bytes.resize(2 * bytes.len(), 0);
        }
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_a_small_first_buffer() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("file");
        let content: Vec<u8> = (0..=255).cycle().take(10_000).collect();
        std::fs::write(&path, &content).expect("writes");
        for capacity in [0, 1, 4096, 10_000, 20_000] {
            assert_eq!(read_whole(&path, capacity).expect("reads"), content);
        }
        let stat = read_whole("/proc/self/stat", 16).expect("reads /proc");
        assert!(stat.starts_with(format!("{} (", std::process::id()).as_bytes()));
        assert!(read_whole(temp.path().join("missing"), 16).is_err());
    }
}
