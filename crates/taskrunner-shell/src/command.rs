//! [`CommandSpec`]: the command fields of a shell task, validated.

use taskrunner_activity::TaskContext;

use crate::error::ShellError;
use crate::storage::FieldUri;
use crate::ShellConfig;

/// What to run and where its output goes, from the attempt object's
/// `command` / `scriptUri`, `scriptArgument`, `stdout` and `stderr` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandSpec {
    /// The command text or the script to fetch.
    pub(crate) program: Program,
    /// Every `scriptArgument` value, in order: `$1`, `$2`, …
    pub(crate) arguments: Vec<String>,
    /// Where stdout goes; `None` discards it.
    pub(crate) stdout: Option<FieldUri>,
    /// Where stderr goes; `None` keeps only its tail.
    pub(crate) stderr: Option<FieldUri>,
}

/// The program a shell task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Program {
    /// `command`: run with `sh -c`.
    Inline(String),
    /// `scriptUri`: copied into the working directory and run with `sh`.
    Script(FieldUri),
}

impl CommandSpec {
    /// Reads and checks the fields, including that every `s3://` URI has a
    /// storage to go through, so nothing starts for a task that cannot finish.
    ///
    /// # Errors
    ///
    /// [`ShellError::InvalidCommand`] unless exactly one of `command` and
    /// `scriptUri` is given (a blank value counts as not given) or when a
    /// path or URI is malformed; [`ShellError::S3NotConfigured`] for an
    /// `s3://` URI without a storage.
    pub(crate) fn from_context(
        ctx: &TaskContext,
        config: &ShellConfig,
    ) -> Result<Self, ShellError> {
        let given = |key| ctx.field(key).filter(|value| !value.trim().is_empty());
        let program = match (given("command"), given("scriptUri")) {
            (Some(command), None) => Program::Inline(command.to_owned()),
            (None, Some(uri)) => Program::Script(FieldUri::parse("scriptUri", uri)?),
            (Some(_), Some(_)) => {
                return Err(ShellError::InvalidCommand(
                    "both command and scriptUri are set; set exactly one of them".to_owned(),
                ))
            }
            (None, None) => {
                return Err(ShellError::InvalidCommand(
                    "neither command nor scriptUri is set; set exactly one of them".to_owned(),
                ))
            }
        };
        let output = |key| {
            ctx.field(key)
                .map(|uri| FieldUri::parse(key, uri))
                .transpose()
        };
        let spec = Self {
            program,
            arguments: ctx.values("scriptArgument").map(str::to_owned).collect(),
            stdout: output("stdout")?,
            stderr: output("stderr")?,
        };
        let texts = match &spec.program {
            Program::Inline(command) => Some(command.as_str()),
            Program::Script(_) => None,
        };
        if texts
            .into_iter()
            .chain(spec.arguments.iter().map(String::as_str))
            .any(|text| text.contains('\0'))
        {
            return Err(ShellError::InvalidCommand(
                "command or scriptArgument contains a NUL character, which a process argument cannot hold"
                    .to_owned(),
            ));
        }
        let storage = config.storage.as_deref();
        let script = match &spec.program {
            Program::Script(uri) => Some(uri),
            Program::Inline(_) => None,
        };
        for uri in script.into_iter().chain(&spec.stdout).chain(&spec.stderr) {
            uri.endpoint(storage)?;
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use taskrunner_api::{Field, Task, TaskObject};

    use super::*;
    use crate::error_id;

    fn context(fields: &[(&str, &str)]) -> TaskContext {
        let attempt = fields.iter().fold(
            TaskObject::new("@A_Attempt=1", "A"),
            |object, (key, value)| object.with_field(Field::string(*key, *value)),
        );
        TaskContext::builder(Task::new("t", "df-1", "@A_Attempt=1").with_object(attempt)).build()
    }

    fn error_of(fields: &[(&str, &str)]) -> ShellError {
        CommandSpec::from_context(&context(fields), &ShellConfig::default()).expect_err("invalid")
    }

    #[test]
    fn reads_command_and_arguments_in_order() {
        let ctx = context(&[
            ("command", "echo $1 $2"),
            ("scriptArgument", "a b"),
            ("scriptArgument", "c"),
            ("stdout", "/tmp/out"),
        ]);
        let spec = CommandSpec::from_context(&ctx, &ShellConfig::default()).expect("valid");
        assert_eq!(spec.program, Program::Inline("echo $1 $2".into()));
        assert_eq!(spec.arguments, ["a b", "c"]);
        assert_eq!(spec.stdout.map(|uri| uri.uri).as_deref(), Some("/tmp/out"));
        assert_eq!(spec.stderr, None);
    }

    #[test]
    fn exactly_one_program() {
        let both = error_of(&[("command", "true"), ("scriptUri", "/x.sh")]);
        assert_eq!(both.error_id(), error_id::INVALID_SHELL_COMMAND);
        assert!(both.to_string().contains("both"), "{both}");
        let neither = error_of(&[("command", "  ")]);
        assert_eq!(neither.error_id(), error_id::INVALID_SHELL_COMMAND);
        assert!(neither.to_string().contains("neither"), "{neither}");
    }

    #[test]
    fn s3_without_storage_fails_before_running() {
        for fields in [
            [("scriptUri", "s3://bucket/run.sh"), ("stdout", "/tmp/o")],
            [("command", "true"), ("stdout", "s3://bucket/out")],
            [("command", "true"), ("stderr", "s3://bucket/err")],
        ] {
            let error = error_of(&fields);
            assert_eq!(error.error_id(), error_id::S3_NOT_CONFIGURED);
            assert!(error.to_string().contains("s3://bucket/"), "{error}");
        }
        let error = error_of(&[("command", "true"), ("stdout", "gs://x/y")]);
        assert_eq!(error.error_id(), error_id::INVALID_SHELL_COMMAND);
    }
}
