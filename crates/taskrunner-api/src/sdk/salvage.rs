//! A polled task the SDK could not read, salvaged by its taskId.
//!
//! When PollForTask answers with a body that does not match the model (a
//! field of the wrong type, invalid UTF-8 in a value, …) the SDK refuses
//! the whole answer, and with it the task: the service has leased it to
//! this runner, which can neither run it nor, knowing no taskId, report
//! it. It would sit until its acknowledgement deadline, be handed out
//! again, fail to parse again, and so on, without a word to the pipeline's
//! owner. If the taskId can still be read from the raw body, the task is
//! reported FAILED with errorId [`MALFORMED_TASK_ERROR_ID`] instead, so
//! the attempt ends (and is retried or fails) with a reason anyone can see.

use aws_sdk_datapipeline::error::SdkError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde_json::Value;

/// The errorId of a task whose PollForTask answer could not be read.
pub const MALFORMED_TASK_ERROR_ID: &str = "MalformedTask";

/// The taskId in the raw body of a PollForTask answer the SDK refused, if
/// the body is JSON (after replacing invalid UTF-8) with a non-empty
/// `taskObject.taskId` string.
pub(crate) fn task_id_of<E>(error: &SdkError<E, HttpResponse>) -> Option<String> {
    let body = error.raw_response()?.body().bytes()?;
    task_id_in(body)
}

fn task_id_in(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let value: Value = serde_json::from_str(&text).ok()?;
    value
        .get("taskObject")?
        .get("taskId")?
        .as_str()
        .filter(|task_id| !task_id.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_id_is_read_from_a_body_the_model_refuses() {
        let body = br#"{"taskObject": {"taskId": "t-1", "objects": {"A": {"fields": 7}}}}"#;
        assert_eq!(task_id_in(body).as_deref(), Some("t-1"));
        let mut invalid_utf8 =
            br#"{"taskObject": {"taskId": "t-2", "objects": {"A": {"name": "Xx"}}}}"#.to_vec();
        let at = invalid_utf8.len() - 6;
        invalid_utf8[at] = 0xff;
        assert_eq!(task_id_in(&invalid_utf8).as_deref(), Some("t-2"));
    }

    #[test]
    fn nothing_is_salvaged_without_a_task_id() {
        assert_eq!(task_id_in(b"garbage"), None);
        assert_eq!(task_id_in(br#"{"taskObject": {"taskId": ""}}"#), None);
        assert_eq!(task_id_in(br#"{"taskObject": {"taskId": 5}}"#), None);
        assert_eq!(task_id_in(br#"{"taskObject": {"taskId": "t-3""#), None);
    }
}
