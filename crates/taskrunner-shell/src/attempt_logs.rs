//! Where an attempt's stdout and stderr go when its object names neither:
//! under [`ShellConfig::attempt_log_uri`](crate::ShellConfig::attempt_log_uri),
//! laid out as Data Pipeline's `pipelineLogUri` is,
//! `PREFIX/PIPELINE_ID/COMPONENT/INSTANCE/ATTEMPT/stdout`.

use taskrunner_activity::TaskContext;

use crate::error::ShellError;
use crate::storage::FieldUri;

/// The destination of `stream` (`stdout` or `stderr`) for the attempt of
/// `ctx` under `prefix`.
pub(crate) fn attempt_log(
    prefix: &str,
    ctx: &TaskContext,
    stream: &'static str,
) -> Result<FieldUri, ShellError> {
    let component = ctx.field("@componentParent").unwrap_or("unknown-component");
    let instance = ctx.field("@instanceParent").unwrap_or("unknown-instance");
    let uri = format!(
        "{}/{}/{}/{}/{}/{stream}",
        prefix.trim_end_matches('/'),
        segment(ctx.pipeline_id()),
        segment(component),
        segment(instance),
        segment(ctx.attempt_id()),
    );
    FieldUri::parse(format!("{stream} (attempt log)"), &uri)
}

/// An id as one path segment: ids come from the service, so a `/` or a
/// `..` in one must not move the file elsewhere.
fn segment(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use taskrunner_api::{Field, Task, TaskObject};

    use super::*;

    fn context(attempt: &str) -> TaskContext {
        let object = TaskObject::new(attempt, attempt)
            .with_field(Field::reference("@componentParent", "Copy"))
            .with_field(Field::reference(
                "@instanceParent",
                "@Copy_2026-01-01T00:00:00",
            ));
        TaskContext::builder(Task::new("task", "df-1", attempt).with_object(object)).build()
    }

    #[test]
    fn attempt_logs_follow_the_pipeline_log_layout() {
        let uri = attempt_log(
            "s3://logs/runner/",
            &context("@Copy_2026-01-01T00:00:00_Attempt=1"),
            "stdout",
        )
        .unwrap();
        assert_eq!(uri.uri, "s3://logs/runner/df-1/Copy/@Copy_2026-01-01T00:00:00/@Copy_2026-01-01T00:00:00_Attempt=1/stdout");
    }

    #[test]
    fn ids_cannot_leave_their_directory() {
        assert_eq!(segment("../../etc"), ".._.._etc");
        assert_eq!(segment(".."), "_..");
        assert_eq!(segment("a/b"), "a_b");
    }
}
