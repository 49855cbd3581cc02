//! Where an attempt's stdout and stderr go when its object names neither:
//! under [`ShellConfig::attempt_log_uri`](crate::ShellConfig::attempt_log_uri),
//! laid out as Data Pipeline lays out `pipelineLogUri`
//! (dp-viewing-logs.md), `PREFIX/PIPELINE_ID/COMPONENT/INSTANCE/ATTEMPT/`,
//! in the files the Java Task Runner names `StdOutput` and `StdError`;
//! then copied under each of
//! [`ShellConfig::attempt_log_copies`](crate::ShellConfig::attempt_log_copies)
//! and the attempt's own `pipelineLogUri`.

use std::path::Path;

use taskrunner_activity::TaskContext;

use crate::error::ShellError;
use crate::storage::{FieldUri, Location, Storage};
use crate::ShellConfig;

/// The file name of an attempt's kept `stream` (`stdout` or `stderr`), as
/// the Java Task Runner names it.
pub(crate) fn file_name(stream: &str) -> &'static str {
    if stream == "stderr" {
        "StdError"
    } else {
        "StdOutput"
    }
}

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
        "{}/{}/{}/{}/{}/{}",
        prefix.trim_end_matches('/'),
        segment(ctx.pipeline_id()),
        segment(component),
        segment(instance),
        segment(ctx.attempt_id()),
        file_name(stream),
    );
    FieldUri::parse(format!("{stream} (attempt log)"), &uri)
}

/// Copies the attempt's kept logs (`kept`, local files that exist) under
/// every copy prefix of `config` and the attempt's `pipelineLogUri`, each
/// once. Best effort: a failed copy is logged, and the outcome stays the
/// command's.
pub(crate) async fn copy_out(
    ctx: &TaskContext,
    config: &ShellConfig,
    kept: [(&'static str, Option<&FieldUri>); 2],
    storage: Option<&dyn Storage>,
) {
    let mut prefixes: Vec<&str> = config
        .attempt_log_copies
        .iter()
        .map(String::as_str)
        .chain(ctx.field("pipelineLogUri"))
        .map(|prefix| prefix.trim_end_matches('/'))
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    for (stream, log) in kept {
        let Some(FieldUri {
            location: Location::Local(source),
            ..
        }) = log
        else {
            continue;
        };
        if !Path::new(source).is_file() {
            continue;
        }
        for prefix in &prefixes {
            let copied = async {
                let target = attempt_log(prefix, ctx, stream)?;
                target
                    .endpoint(storage)?
                    .upload_file(source)
                    .await
                    .map_err(|source| ShellError::Output {
                        field: stream,
                        uri: target.uri.clone(),
                        source,
                    })
            };
            if let Err(error) = copied.await {
                tracing::warn!(%prefix, stream, %error, "attempt log not copied");
            }
        }
    }
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
        assert_eq!(uri.uri, "s3://logs/runner/df-1/Copy/@Copy_2026-01-01T00:00:00/@Copy_2026-01-01T00:00:00_Attempt=1/StdOutput");
        let uri = attempt_log("/var/out", &context("@A_Attempt=2"), "stderr").unwrap();
        assert_eq!(
            uri.uri,
            "/var/out/df-1/Copy/@Copy_2026-01-01T00:00:00/@A_Attempt=2/StdError"
        );
    }

    #[test]
    fn ids_cannot_leave_their_directory() {
        assert_eq!(segment("../../etc"), ".._.._etc");
        assert_eq!(segment(".."), "_..");
        assert_eq!(segment("a/b"), "a_b");
    }
}
