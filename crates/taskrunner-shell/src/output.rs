//! Where a command's stdout and stderr go, read as they are written so that
//! no output is ever held in memory beyond a fixed-size stderr [`Tail`].
//!
//! - `stdout` / `stderr` a local path or `file://` URI: appended to (parent
//!   directories created), as the Java Task Runner does across attempts.
//! - an `s3://` URI: spooled to the working directory, uploaded through the
//!   [`Storage`] once the command has ended.
//! - not set: stdout is read and discarded; stderr is only kept as its tail.

use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;

use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::error::ShellError;
use crate::storage::{local, FieldUri, Location, Storage, StorageError};
use crate::workdir::WorkingDir;

/// Bytes read from a pipe at a time.
const CHUNK: usize = 64 * 1024;

/// Where one output stream of the command goes.
#[derive(Debug)]
pub(crate) struct Output {
    /// `stdout` or `stderr`: the field, and the stream.
    field: &'static str,
    destination: Destination,
    /// Whether failing to write or upload it leaves the task's outcome
    /// alone: true for attempt logs, which the runner keeps on its own
    /// initiative; false for the `stdout` / `stderr` the pipeline asked for.
    best_effort: bool,
}

#[derive(Debug)]
enum Destination {
    Discard,
    Local(PathBuf),
    Upload { uri: FieldUri, spool: PathBuf },
}

impl Output {
    /// The destination for `field` given its value `uri`.
    pub(crate) fn new(field: &'static str, uri: Option<&FieldUri>, workdir: &WorkingDir) -> Self {
        let destination = match uri {
            None => Destination::Discard,
            Some(FieldUri {
                location: Location::Local(path),
                ..
            }) => Destination::Local(path.clone()),
            Some(uri) => Destination::Upload {
                uri: uri.clone(),
                spool: workdir.spool(field),
            },
        };
        Self {
            field,
            destination,
            best_effort: false,
        }
    }

    /// An attempt log for `field`: like [`Output::new`], but a failure to
    /// write or upload it is logged, not reported as the task's failure.
    pub(crate) fn attempt_log(
        field: &'static str,
        uri: Option<&FieldUri>,
        workdir: &WorkingDir,
    ) -> Self {
        Self {
            best_effort: true,
            ..Self::new(field, uri, workdir)
        }
    }

    /// Turns a failure into a warning when the output is best effort.
    fn tolerate<T>(&self, result: Result<T, ShellError>, fallback: T) -> Result<T, ShellError> {
        match result {
            Err(error) if self.best_effort => {
                tracing::warn!(field = self.field, target = %self.target(), error = %error, "attempt log not kept");
                Ok(fallback)
            }
            other => other,
        }
    }

    /// Opens the file the stream is written to (`None` to discard it).
    pub(crate) async fn open(&self) -> Result<Option<File>, ShellError> {
        let (path, append) = match &self.destination {
            Destination::Discard => return Ok(None),
            Destination::Local(path) => (path, true),
            Destination::Upload { spool, .. } => (spool, false),
        };
        let open = async {
            local::create_parent(path).await?;
            OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)
                .await
                .map_err(|error| StorageError::io(path.display().to_string(), error))
        };
        let opened = open.await.map(Some).map_err(|source| self.error(source));
        self.tolerate(opened, None)
    }

    /// After the command: reports the write error from [`capture`], if any,
    /// then uploads the spooled output if the destination is remote.
    pub(crate) async fn finish(
        &self,
        write_error: Option<io::Error>,
        storage: Option<&dyn Storage>,
    ) -> Result<(), ShellError> {
        let finished = async {
            if let Some(error) = write_error {
                return Err(self.error(StorageError::io(self.target(), error)));
            }
            if let Destination::Upload { uri, spool } = &self.destination {
                uri.endpoint(storage)?
                    .upload_file(spool)
                    .await
                    .map_err(|source| self.error(source))?;
            }
            Ok(())
        };
        let finished = finished.await;
        self.tolerate(finished, ())
    }

    fn target(&self) -> String {
        match &self.destination {
            Destination::Discard => "nowhere".to_owned(),
            Destination::Local(path) => path.display().to_string(),
            Destination::Upload { uri, .. } => uri.uri.clone(),
        }
    }

    fn error(&self, source: StorageError) -> ShellError {
        ShellError::Output {
            field: self.field,
            uri: self.target(),
            source,
        }
    }
}

/// What [`capture`] read from one stream.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    /// Bytes read from the pipe.
    pub(crate) bytes: u64,
    /// The last bytes, when a tail was asked for.
    pub(crate) tail: Option<Tail>,
    /// The first error writing to the file; later output was discarded.
    pub(crate) write_error: Option<io::Error>,
    /// The first error reading the pipe, which ends the capture.
    pub(crate) read_error: Option<io::Error>,
}

/// Reads `reader` to its end, writing each chunk to `file` (if any) and
/// keeping the last bytes in `tail` (if any).
///
/// It keeps reading after a write error — a command blocked on a full pipe
/// would otherwise never end — and reports the error in [`Captured`].
pub(crate) async fn capture(
    mut reader: impl AsyncRead + Unpin,
    mut file: Option<File>,
    tail: Option<Tail>,
) -> Captured {
    let mut captured = Captured {
        tail,
        ..Captured::default()
    };
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                captured.read_error = Some(error);
                break;
            }
        };
        let chunk = &buffer[..read];
        captured.bytes += read as u64;
        if let Some(tail) = &mut captured.tail {
            tail.push(chunk);
        }
        if let Some(open) = &mut file {
            if let Err(error) = open.write_all(chunk).await {
                captured.write_error = Some(error);
                file = None;
            }
        }
    }
    if let Some(mut open) = file {
        // tokio's File writes in the background: flush to see every error.
        if let Err(error) = open.flush().await {
            captured.write_error.get_or_insert(error);
        }
    }
    captured
}

/// The last bytes of a stream, at most `capacity` of them.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// Whether earlier bytes were dropped.
    truncated: bool,
}

impl Tail {
    /// An empty tail keeping at most `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(capacity.min(CHUNK)),
            capacity,
            truncated: false,
        }
    }

    /// Appends `chunk`, dropping the oldest bytes beyond the capacity.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        let keep = &chunk[chunk.len().saturating_sub(self.capacity)..];
        let overflow = (self.bytes.len() + keep.len()).saturating_sub(self.capacity);
        self.truncated |= overflow > 0 || keep.len() < chunk.len();
        self.bytes.drain(..overflow);
        self.bytes.extend(keep);
    }

    /// The tail as text: lossy UTF-8 without a character cut in half at the
    /// start, trailing whitespace trimmed, `…` in front when truncated.
    pub(crate) fn text(&self) -> String {
        let bytes: Vec<u8> = self.bytes.iter().copied().collect();
        // A cut can land inside a multi-byte character: skip its
        // continuation bytes (at most three) rather than show U+FFFD.
        let start = if self.truncated {
            bytes
                .iter()
                .take(3)
                .take_while(|&&byte| byte & 0b1100_0000 == 0b1000_0000)
                .count()
        } else {
            0
        };
        let text = String::from_utf8_lossy(&bytes[start..]);
        let text = text.trim_end();
        if self.truncated && !text.is_empty() {
            format!("…{text}")
        } else {
            text.to_owned()
        }
    }
}

/// The last `max` characters of `text`.
pub(crate) fn last_chars(text: &str, max: usize) -> &str {
    let Some(nth) = max.checked_sub(1) else {
        return "";
    };
    match text.char_indices().rev().nth(nth) {
        Some((index, _)) => &text[index..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut tail = Tail::new(8);
        tail.push(b"hello ");
        assert_eq!(tail.text(), "hello");
        tail.push(b"world\n");
        assert_eq!(tail.text(), "…o world");
        tail.push(&[b'x'; 100]);
        assert_eq!(tail.text(), format!("…{}", "x".repeat(8)));
    }

    #[test]
    fn tail_never_starts_mid_character() {
        let mut tail = Tail::new(4);
        tail.push("aé€".as_bytes()); // 1 + 2 + 3 bytes: the cut lands in é
        assert_eq!(tail.text(), "…€");
    }

    #[test]
    fn last_chars_counts_characters() {
        assert_eq!(last_chars("abcdé", 2), "dé");
        assert_eq!(last_chars("ab", 5), "ab");
        assert_eq!(last_chars("ab", 0), "");
    }

    #[tokio::test]
    async fn capture_counts_and_keeps_a_tail() {
        let input: &[u8] = &[b'z'; 200_000];
        let captured = capture(input, None, Some(Tail::new(10))).await;
        assert_eq!(captured.bytes, 200_000);
        assert_eq!(
            captured.tail.map(|tail| tail.text()),
            Some(format!("…{}", "z".repeat(10)))
        );
        assert!(captured.write_error.is_none() && captured.read_error.is_none());
    }
}
