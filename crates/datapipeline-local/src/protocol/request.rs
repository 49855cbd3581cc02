//! Reading a request and writing a response in AWS JSON 1.1.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ServiceError, ServiceResult};

/// The prefix of every `X-Amz-Target` this service answers.
pub const TARGET_PREFIX: &str = "DataPipeline.";

/// The content types the service accepts; AWS CLI, boto3 and the Rust SDK
/// all send the first.
const CONTENT_TYPES: [&str; 2] = ["application/x-amz-json-1.1", "application/x-amz-json-1.0"];

/// The operation name from the `X-Amz-Target` header.
///
/// # Errors
/// UnknownOperationException when the header is absent, not UTF-8 or not
/// `DataPipeline.<Operation>`.
pub(crate) fn target(headers: &HeaderMap) -> ServiceResult<&str> {
    let header = headers.get("x-amz-target").ok_or_else(|| {
        ServiceError::UnknownOperation(
            "missing X-Amz-Target header: expected DataPipeline.<Operation>".into(),
        )
    })?;
    let text = header
        .to_str()
        .map_err(|_| ServiceError::UnknownOperation("X-Amz-Target is not valid text".into()))?;
    text.strip_prefix(TARGET_PREFIX)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            ServiceError::UnknownOperation(format!(
                "X-Amz-Target '{text}' does not name a DataPipeline operation"
            ))
        })
}

/// Checks the `Content-Type` header.
///
/// # Errors
/// SerializationException naming the type received and the one expected.
pub(crate) fn check_content_type(headers: &HeaderMap) -> ServiceResult<()> {
    let received = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = received.split(';').next().unwrap_or("").trim();
    if CONTENT_TYPES
        .iter()
        .any(|expected| media_type.eq_ignore_ascii_case(expected))
    {
        Ok(())
    } else {
        Err(ServiceError::Serialization(format!(
            "Content-Type '{received}' is not supported: send application/x-amz-json-1.1"
        )))
    }
}

/// Decodes a request body into an operation's input. An empty body reads as
/// `{}`, as the SDKs do.
///
/// # Errors
/// SerializationException for malformed JSON, a body that is not an object,
/// or a member of the wrong JSON type, naming the member's path.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> ServiceResult<T> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ServiceError::Serialization(format!("the request body is not valid JSON: {error}"))
    })?;
    if !value.is_object() {
        return Err(ServiceError::Serialization(
            "the request body must be a JSON object".into(),
        ));
    }
    serde_path_to_error::deserialize(super::strict::Strict(value)).map_err(|error| {
        let path = error.path().to_string();
        ServiceError::Serialization(format!("{path}: {}", error.into_inner()))
    })
}

/// A success response carrying `body`.
pub(crate) fn success(body: &Value, request_id: &str) -> Response<Bytes> {
    // Operations without output members answer with an empty body.
    let bytes = match body {
        Value::Object(members) if members.is_empty() => Bytes::new(),
        _ => Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
    };
    respond(StatusCode::OK, bytes, request_id, None)
}

/// An error response: the status, `__type` and `message` in the body, and
/// the error type in `x-amzn-errortype` where the SDK looks first.
pub(crate) fn failure(error: &ServiceError, request_id: &str) -> Response<Bytes> {
    let body = serde_json::json!({ "__type": error.code(), "message": error.to_string() });
    respond(
        error.status(),
        Bytes::from(body.to_string()),
        request_id,
        Some(error.code()),
    )
}

fn respond(
    status: StatusCode,
    body: Bytes,
    request_id: &str,
    error_type: Option<&str>,
) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    if let Some(value) = error_type.and_then(|code| HeaderValue::from_str(code).ok()) {
        headers.insert("x-amzn-errortype", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Input {
        #[allow(dead_code)]
        pipeline_id: Option<String>,
    }

    #[test]
    fn an_empty_body_reads_as_an_empty_object() {
        let input: Input = decode(b"").unwrap();
        assert!(input.pipeline_id.is_none());
    }

    #[test]
    fn decoding_errors_name_the_problem() {
        let malformed = decode::<Input>(b"{\"pipelineId\":").unwrap_err();
        assert_eq!(malformed.code(), "SerializationException");
        let array = decode::<Input>(b"[1]").unwrap_err();
        assert!(array.to_string().contains("JSON object"), "{array}");
        let wrong_type = decode::<Input>(br#"{"pipelineId": 5}"#).unwrap_err();
        assert!(
            wrong_type.to_string().starts_with("pipelineId:"),
            "{wrong_type}"
        );
    }

    #[test]
    fn targets_must_name_a_data_pipeline_operation() {
        let mut headers = HeaderMap::new();
        assert!(target(&headers).is_err());
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.ListTables"),
        );
        assert_eq!(
            target(&headers).unwrap_err().code(),
            "UnknownOperationException"
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DataPipeline.PollForTask"),
        );
        assert_eq!(target(&headers).unwrap(), "PollForTask");
    }
}
