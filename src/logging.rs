//! Logs: text or JSON on standard error, and hourly files under `--output`
//! as the Java runner writes them.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::flags::LogFormat;
use crate::secrets::MaskingWriter;

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
            let appender =
                tracing_appender::rolling::hourly(directory, crate::log_files::LOG_PREFIX);
            let (writer, guard) = tracing_appender::non_blocking(appender);
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
