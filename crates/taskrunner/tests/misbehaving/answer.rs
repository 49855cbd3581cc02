//! What the impostor answers a PollForTask with.

use std::time::Duration;

use serde_json::{json, Value};

/// One answer to one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// HTTP 200, `application/x-amz-json-1.1`, this body.
    Body(Vec<u8>),
    /// Any status, content type and body.
    Raw {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header.
        content_type: &'static str,
        /// The body.
        body: Vec<u8>,
    },
    /// HTTP 200 declaring the full length of `body` but sending only the
    /// first half before closing the connection.
    ShortBody(Vec<u8>),
    /// HTTP 200 with the headers at once, then the body one byte per
    /// `interval`.
    SlowLoris {
        /// The body, sent byte by byte.
        body: Vec<u8>,
        /// The pause before each byte.
        interval: Duration,
    },
    /// HTTP 200 with half the body, then a TCP reset.
    Reset(Vec<u8>),
    /// An empty poll after `delay`, as a long poll that found nothing.
    Empty(Duration),
}

impl Answer {
    /// HTTP 200 with `value` as the JSON body.
    pub fn json(value: &Value) -> Self {
        Self::Body(value.to_string().into_bytes())
    }
}

/// A PollForTask answer carrying a task whose attempt object is a
/// ShellCommandActivity with `extra` fields.
pub fn task_json(task_id: &str, attempt_id: &str, extra: Vec<Value>) -> Value {
    let mut fields = vec![
        json!({"key": "type", "stringValue": "ShellCommandActivity"}),
        json!({"key": "command", "stringValue": "true"}),
        json!({"key": "workerGroup", "stringValue": "impostor"}),
    ];
    fields.extend(extra);
    json!({
        "taskObject": {
            "taskId": task_id,
            "pipelineId": "df-IMPOSTOR",
            "attemptId": attempt_id,
            "objects": {
                attempt_id: {"id": attempt_id, "name": "Impostor", "fields": fields}
            }
        }
    })
}
