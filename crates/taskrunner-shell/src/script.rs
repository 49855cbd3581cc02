//! The shell's argument list: `command` inline, or `scriptUri` fetched into
//! the working directory.

use std::ffi::OsString;
use std::io;
use std::path::Path;

use crate::command::{CommandSpec, Program};
use crate::error::ShellError;
use crate::storage::{Location, Storage, StorageError};
use crate::workdir::WorkingDir;

/// `$0` of an inline command, as the Java Task Runner's `sh -c` gives it.
const INLINE_ARGV0: &str = "sh";

/// The largest script the runner copies into a working directory. Far
/// beyond any real script; it keeps a `scriptUri` naming a disk image or a
/// data file from filling the scratch disk.
pub(crate) const MAX_SCRIPT_BYTES: u64 = 16 * 1024 * 1024;

/// The arguments after the shell's own name.
///
/// - `command` → `-c COMMAND sh ARG1 ARG2 …`: the arguments are positional
///   parameters `$1 …`, never parsed by the shell, so they arrive verbatim.
/// - `scriptUri` → `SCRIPT ARG1 ARG2 …`, after copying the script to
///   [`WorkingDir::script`] (it need not be executable).
///
/// # Errors
///
/// [`ShellError::ScriptFetch`] when the script cannot be copied;
/// [`ShellError::S3NotConfigured`] for an `s3://` script without a storage.
pub(crate) async fn shell_arguments(
    spec: &CommandSpec,
    workdir: &WorkingDir,
    storage: Option<&dyn Storage>,
) -> Result<Vec<OsString>, ShellError> {
    let mut arguments: Vec<OsString> = match &spec.program {
        Program::Inline(command) => vec!["-c".into(), command.into(), INLINE_ARGV0.into()],
        Program::Script(uri) => {
            let path = workdir.script(uri.file_name().as_deref());
            let fetch_error = |source| ShellError::ScriptFetch {
                uri: uri.uri.clone(),
                source,
            };
            // A local script is checked before the copy; a remote one can
            // only be measured once fetched, and is deleted if too large.
            if let Location::Local(source) = &uri.location {
                check_size(source, &uri.uri).await.map_err(fetch_error)?;
            }
            uri.endpoint(storage)?
                .fetch_file(&path)
                .await
                .map_err(fetch_error)?;
            if let Err(error) = check_size(&path, &uri.uri).await {
                // The working directory goes anyway; free the space now.
                let _ignored = tokio::fs::remove_file(&path).await;
                return Err(fetch_error(error));
            }
            vec![path.into()]
        }
    };
    arguments.extend(spec.arguments.iter().map(OsString::from));
    Ok(arguments)
}

/// Fails unless `path` is at most [`MAX_SCRIPT_BYTES`] long; a missing
/// `path` passes (the copy reports it better).
async fn check_size(path: &Path, uri: &str) -> Result<(), StorageError> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) if metadata.is_file() && metadata.len() > MAX_SCRIPT_BYTES => {
            Err(StorageError::io(
                uri,
                io::Error::other(format!(
                    "is {} bytes, more than the {MAX_SCRIPT_BYTES} bytes a script may have",
                    metadata.len()
                )),
            ))
        }
        _ => Ok(()),
    }
}
