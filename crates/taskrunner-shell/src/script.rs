//! The shell's argument list: `command` inline, or `scriptUri` fetched into
//! the working directory.

use std::ffi::OsString;

use crate::command::{CommandSpec, Program};
use crate::error::ShellError;
use crate::storage::Storage;
use crate::workdir::WorkingDir;

/// `$0` of an inline command, as the Java Task Runner's `sh -c` gives it.
const INLINE_ARGV0: &str = "sh";

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
            uri.endpoint(storage)?
                .fetch_file(&path)
                .await
                .map_err(|source| ShellError::ScriptFetch {
                    uri: uri.uri.clone(),
                    source,
                })?;
            vec![path.into()]
        }
    };
    arguments.extend(spec.arguments.iter().map(OsString::from));
    Ok(arguments)
}
