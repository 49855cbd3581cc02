//! An attempt's stdout and stderr, read from the S3 store the service was
//! given ([`Config::s3`](crate::Config::s3)) where the runner copied them.
//!
//! Runners lay attempt logs out as Data Pipeline lays out `pipelineLogUri`
//! (dp-viewing-logs.md): `PREFIX/PIPELINE/COMPONENT/INSTANCE/ATTEMPT/`
//! `StdOutput` and `StdError`. The prefix is the attempt's own
//! `pipelineLogUri` when it is an `s3://` URI, else
//! [`Config::attempt_logs`](crate::Config::attempt_logs) (`taskrunner
//! local` sets it and copies every attempt's output there). Only the end
//! of a long log is sent.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};

use crate::service::Core;

use super::secrets::Secrets;

/// The most bytes of each stream sent: the end of the log, where the
/// error usually is.
const TAIL_BYTES: usize = 64 * 1024;

/// Where one attempt's logs are, found under the lock.
struct Located {
    prefix: Option<String>,
    keys: Option<(String, String, String)>,
    secrets: Secrets,
}

/// The logs of attempt `attempt` of pipeline `pipeline`, or `None` when
/// there is no such attempt.
pub(crate) async fn logs(core: &Core, pipeline: &str, attempt: &str) -> Option<Value> {
    let located = core.read(|state| {
        let found = state.pipelines.get(pipeline)?;
        let record = found.run.attempts.get(attempt)?;
        let instance = found.run.instances.get(&record.instance)?;
        let prefix = instance
            .fields
            .iter()
            .find(|field| field.key == "pipelineLogUri")
            .map(|field| field.value.as_str().to_owned())
            .filter(|uri| uri.starts_with("s3://"))
            .or_else(|| core.attempt_logs.clone());
        Some(Located {
            prefix,
            keys: Some((
                instance.component.clone(),
                instance.id.clone(),
                record.id.clone(),
            )),
            secrets: Secrets::of(found),
        })
    })?;
    let Located {
        prefix,
        keys,
        secrets,
    } = located;
    let (Some(prefix), Some((component, instance, attempt))) = (prefix, keys) else {
        return Some(json!({
            "source": null,
            "note": "no store holds this attempt's output: its pipeline sets no s3:// pipelineLogUri and the service was given no --attempt-logs",
        }));
    };
    let Some(client) = core.checker.client() else {
        return Some(json!({
            "source": prefix,
            "note": "the service has no S3 store (--s3-endpoint) to read the output from",
        }));
    };
    let directory = format!(
        "{}/{}/{}/{}/{}",
        prefix.trim_end_matches('/'),
        segment(pipeline),
        segment(&component),
        segment(&instance),
        segment(&attempt)
    );
    let stdout = fetch(client, &format!("{directory}/StdOutput")).await;
    let stderr = fetch(client, &format!("{directory}/StdError")).await;
    Some(secrets.masked(json!({
        "source": directory,
        "stdout": stdout,
        "stderr": stderr,
    })))
}

/// The end of the object at `uri`, or `None` when it cannot be read (not
/// there yet, most often: logs are copied when the command ends).
async fn fetch(client: &aws_sdk_s3::Client, uri: &str) -> Option<String> {
    let (bucket, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    let object = client.get_object().bucket(bucket).key(key).send().await;
    let body: ByteStream = object.ok()?.body;
    let bytes = body.collect().await.ok()?.into_bytes();
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    Some(String::from_utf8_lossy(&bytes[start..]).into_owned())
}

/// An id as one key segment, as the runner writes it: a `/` or a control
/// character in an id becomes `_`, and `.`/`..` get a leading `_`.
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
    use super::*;

    #[test]
    fn segments_match_the_runner_layout() {
        assert_eq!(
            segment("@Load_2026-01-01T00:00:00"),
            "@Load_2026-01-01T00:00:00"
        );
        assert_eq!(segment("a/b"), "a_b");
        assert_eq!(segment(".."), "_..");
    }
}
