//! Where a command's stdout and stderr go, read as they are written so that
//! no output is ever held in memory beyond a fixed-size stderr [`Tail`],
//! and no file grows beyond [`ShellConfig::max_output_bytes`](crate::ShellConfig::max_output_bytes)
//! per attempt.
//!
//! - `stdout` / `stderr` a local path or `file://` URI: appended to (parent
//!   directories created), as the Java Task Runner does across attempts.
//! - an `s3://` URI: spooled to the working directory, uploaded through the
//!   [`Storage`] once the command has ended.
//! - not set: stdout is read and discarded; stderr is only kept as its tail.
//!
//! Past the cap, the file gets a marker line and nothing more, but the pipe
//! is still read to its end (and discarded): a command blocked on a full
//! pipe would never finish, and killing it would change its outcome for a
//! limit of ours. Its run time stays bounded by `attemptTimeout`.

use std::io;
use std::path::PathBuf;

use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::error::ShellError;
use crate::storage::{local, FieldUri, Location, Storage, StorageError};
use crate::tail::Tail;
use crate::workdir::WorkingDir;

/// Bytes read from a pipe at a time, at first: most commands write little.
/// Under 1 KiB, so that glibc serves it from its per-thread cache; a larger
/// request merges its freed small chunks first, every command.
const FIRST_CHUNK: usize = 1000;

/// Bytes read from a pipe at a time once a read has filled the first chunk.
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

    /// Whether the stream goes nowhere: the command may write it straight
    /// to `/dev/null`, with no pipe to drain.
    pub(crate) fn discarded(&self) -> bool {
        matches!(self.destination, Destination::Discard)
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
    /// Whether the file reached its limit and later output was discarded.
    pub(crate) truncated: bool,
}

/// The line written to a file after its first `limit` bytes.
pub(crate) fn truncation_marker(limit: u64) -> String {
    format!("\n[taskrunner: output truncated after {limit} bytes (the limit per attempt); the rest was discarded]\n")
}

/// Reads `reader` to its end, writing the first `limit` bytes to `file`
/// (if any, then a [`truncation_marker`]) and keeping the last bytes in
/// `tail` (if any).
///
/// It keeps reading after a write error and past the limit — a command
/// blocked on a full pipe would otherwise never end — and reports both in
/// [`Captured`].
pub(crate) async fn capture(
    mut reader: impl AsyncRead + Unpin,
    mut file: Option<File>,
    tail: Option<Tail>,
    limit: u64,
) -> Captured {
    let mut captured = Captured {
        tail,
        ..Captured::default()
    };
    let mut buffer = vec![0; FIRST_CHUNK];
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
        if read == buffer.len() && buffer.len() < CHUNK {
            // A chatty command: read it in larger steps from now on.
            buffer.resize(CHUNK, 0);
        }
        let chunk = &buffer[..read];
        captured.bytes += read as u64;
        if let Some(tail) = &mut captured.tail {
            tail.push(chunk);
        }
        if captured.truncated {
            continue;
        }
        if let Some(open) = &mut file {
            let room = limit.saturating_sub(captured.bytes - read as u64);
            let keep = usize::try_from(room).map_or(read, |room| room.min(read));
            let mut written = open.write_all(&chunk[..keep]).await;
            if keep < read {
                captured.truncated = true;
                if written.is_ok() {
                    written = open.write_all(truncation_marker(limit).as_bytes()).await;
                }
            }
            if let Err(error) = written {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capture_counts_and_keeps_a_tail() {
        let input: &[u8] = &[b'z'; 200_000];
        let captured = capture(input, None, Some(Tail::new(10)), u64::MAX).await;
        assert_eq!(captured.bytes, 200_000);
        assert_eq!(
            captured.tail.map(|tail| tail.text()),
            Some(format!("…{}", "z".repeat(10)))
        );
        assert!(captured.write_error.is_none() && captured.read_error.is_none());
    }

    #[tokio::test]
    async fn capture_keeps_the_first_bytes_up_to_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (size, limit, truncated) in [(100, 10, true), (10, 10, false), (100, 0, true)] {
            let path = dir.path().join(format!("out-{size}-{limit}"));
            let file = File::create(&path).await.expect("creates");
            let input = vec![b'y'; size];
            let captured = capture(input.as_slice(), Some(file), None, limit).await;
            assert_eq!(captured.bytes, size as u64);
            assert_eq!(captured.truncated, truncated);
            let mut expected = "y".repeat(limit.min(size as u64) as usize);
            if truncated {
                expected.push_str(&truncation_marker(limit));
            }
            assert_eq!(std::fs::read_to_string(&path).expect("reads"), expected);
        }
    }
}
