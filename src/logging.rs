//! Logs: text or JSON on standard error, and hourly files under `--output`
//! as the Java runner writes them.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::flags::LogFormat;
use crate::secrets::MaskingWriter;

/// Lines the log file's writer thread may lag behind by. The channel
/// allocates and touches every slot up front: the crate's default of
/// 128,000 lines was 3.9 MiB of an idle runner's resident memory
/// (docs/PERFORMANCE.md, footprint). When it is full, logging waits for the
/// writer instead of dropping lines, as writing to stderr does.
const FILE_BUFFERED_LINES: usize = 4_096;

/// Keeps the file writer flushing until the process ends.
#[derive(Debug)]
pub(crate) struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// Installs the global subscriber. `RUST_LOG` filters; without it,
/// `default_level` applies.
///
/// # Errors
/// When the output directory cannot be created.
pub(crate) fn install(
    format: LogFormat,
    output: Option<&Path>,
    default_level: &str,
) -> anyhow::Result<LogGuard> {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // Colours only on a terminal that wants them (see crate::terminal);
    // every writer masks the encrypted values of the definition (see
    // crate::secrets).
    let ansi = crate::terminal::escape_codes_allowed(std::io::stderr().is_terminal());
    let stderr = || MaskingWriter(std::io::stderr());
    let stderr = match format {
        LogFormat::Text => fmt::layer()
            .with_writer(stderr)
            .with_ansi(ansi)
            .with_target(false)
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .with_writer(stderr)
            .with_ansi(false)
            .with_filter(filter())
            .boxed(),
    };
    let (file, guard) = match output {
        None => (None, None),
        Some(directory) => {
            std::fs::create_dir_all(directory).map_err(|error| {
                anyhow::anyhow!(
                    "cannot create the log directory {}: {error}",
                    directory.display()
                )
            })?;
            let (writer, guard) = hourly_file_writer(directory);
            let writer = move || MaskingWriter(writer.clone());
            let layer = fmt::layer()
                .json()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter())
                .boxed();
            (Some(layer), Some(guard))
        }
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init()
        .ok();
    Ok(LogGuard { _file: guard })
}

/// The writer of the hourly log files under `directory`, on a thread of its
/// own; the guard flushes it when dropped.
fn hourly_file_writer(directory: &Path) -> (NonBlocking, WorkerGuard) {
    let appender = tracing_appender::rolling::hourly(directory, crate::log_files::LOG_PREFIX);
    NonBlockingBuilder::default()
        .buffered_lines_limit(FILE_BUFFERED_LINES)
        .lossy(false)
        .finish(appender)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_burst_larger_than_the_file_buffer_loses_no_line() {
        let directory = tempfile::tempdir().expect("a log directory");
        let lines = FILE_BUFFERED_LINES * 3;
        let (mut writer, guard) = hourly_file_writer(directory.path());
        for line in 0..lines {
            writer
                .write_all(format!("line {line}\n").as_bytes())
                .expect("a line is written");
        }
        drop(guard);
        let mut written = String::new();
        for file in std::fs::read_dir(directory.path()).expect("the log directory") {
            let path = file.expect("a log file").path();
            written.push_str(&std::fs::read_to_string(path).expect("the log file"));
        }
        let written: Vec<&str> = written.lines().collect();
        assert_eq!(written.len(), lines, "every line reaches the file");
        assert_eq!(
            written.last(),
            Some(&format!("line {}", lines - 1).as_str())
        );
    }
}
