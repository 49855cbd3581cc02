//! Turning an `SdkError` into an [`ApiError`] with the right [`ErrorClass`].

use std::error::Error as StdError;

use aws_sdk_datapipeline::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_datapipeline::operation::poll_for_task::PollForTaskError;
use aws_sdk_datapipeline::operation::report_task_progress::ReportTaskProgressError;
use aws_sdk_datapipeline::operation::report_task_runner_heartbeat::ReportTaskRunnerHeartbeatError;
use aws_sdk_datapipeline::operation::set_task_status::SetTaskStatusError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::{ApiError, ErrorClass, LeaseGone, Operation};

/// The modeled errors of an operation, matched by variant.
///
/// The SDK fills in [`ProvideErrorMetadata::code`] when it parses a response,
/// but matching the variant does not depend on that.
pub(crate) trait ModeledError {
    /// The class and code of a modeled error; `None` for unhandled ones.
    fn modeled(&self) -> Option<(ErrorClass, &'static str)>;
}

const INTERNAL: (ErrorClass, &str) = (ErrorClass::Transient, "InternalServiceError");
const INVALID: (ErrorClass, &str) = (ErrorClass::InvalidRequest, "InvalidRequestException");

const fn gone(reason: LeaseGone) -> (ErrorClass, &'static str) {
    (ErrorClass::LeaseGone(reason), reason.code())
}

impl ModeledError for PollForTaskError {
    fn modeled(&self) -> Option<(ErrorClass, &'static str)> {
        match self {
            Self::InternalServiceError(_) => Some(INTERNAL),
            Self::InvalidRequestException(_) => Some(INVALID),
            Self::TaskNotFoundException(_) => Some(gone(LeaseGone::TaskNotFound)),
            _ => None,
        }
    }
}

impl ModeledError for ReportTaskProgressError {
    fn modeled(&self) -> Option<(ErrorClass, &'static str)> {
        match self {
            Self::InternalServiceError(_) => Some(INTERNAL),
            Self::InvalidRequestException(_) => Some(INVALID),
            Self::TaskNotFoundException(_) => Some(gone(LeaseGone::TaskNotFound)),
            Self::PipelineNotFoundException(_) => Some(gone(LeaseGone::PipelineNotFound)),
            Self::PipelineDeletedException(_) => Some(gone(LeaseGone::PipelineDeleted)),
            _ => None,
        }
    }
}

impl ModeledError for ReportTaskRunnerHeartbeatError {
    fn modeled(&self) -> Option<(ErrorClass, &'static str)> {
        match self {
            Self::InternalServiceError(_) => Some(INTERNAL),
            Self::InvalidRequestException(_) => Some(INVALID),
            _ => None,
        }
    }
}

impl ModeledError for SetTaskStatusError {
    fn modeled(&self) -> Option<(ErrorClass, &'static str)> {
        match self {
            Self::InternalServiceError(_) => Some(INTERNAL),
            Self::InvalidRequestException(_) => Some(INVALID),
            Self::TaskNotFoundException(_) => Some(gone(LeaseGone::TaskNotFound)),
            Self::PipelineNotFoundException(_) => Some(gone(LeaseGone::PipelineNotFound)),
            Self::PipelineDeletedException(_) => Some(gone(LeaseGone::PipelineDeleted)),
            _ => None,
        }
    }
}

/// Classifies a failed SDK call.
///
/// In order: a service error is classified by its modeled variant, else by
/// its code ([`ErrorClass::from_error_code`]), else by its HTTP status
/// ([`ErrorClass::from_http_status`]). Timeouts and unreadable responses
/// are transient. A dispatch failure is transient (I/O, connect and read
/// timeouts) unless it is about credentials — identity resolution failures
/// surface as dispatch or construction failures and are recognised by their
/// text, there being no typed error for them in this dependency set. Any
/// other construction failure is [`ErrorClass::Other`].
pub(crate) fn classify<E>(operation: Operation, error: SdkError<E, HttpResponse>) -> ApiError
where
    E: ModeledError + ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let modeled = error.as_service_error().and_then(ModeledError::modeled);
    let code = error
        .code()
        .or(modeled.map(|(_, code)| code))
        .map(str::to_owned);
    let status = error.raw_response().map(|raw| raw.status().as_u16());
    // An answer without an error code that the SDK could not read (a
    // success status with a body that is not the operation's output, or
    // an error page from something in front of the service) is a fault of
    // the service's side, worth retrying with backoff like a 5xx.
    let unreadable = code.is_none()
        && modeled.is_none()
        && matches!(&error, SdkError::ServiceError(_))
        && status.is_some_and(|status| (200..300).contains(&status));
    let class = match &error {
        _ if unreadable => ErrorClass::Transient,
        SdkError::ServiceError(service) => modeled
            .map(|(class, _)| class)
            .or_else(|| code.as_deref().and_then(ErrorClass::from_error_code))
            .unwrap_or_else(|| ErrorClass::from_http_status(service.raw().status().as_u16())),
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => ErrorClass::Transient,
        SdkError::DispatchFailure(failure) => {
            if !failure.is_io() && !failure.is_timeout() && mentions_credentials(&error) {
                ErrorClass::Unauthorized
            } else {
                ErrorClass::Transient
            }
        }
        SdkError::ConstructionFailure(_) if mentions_credentials(&error) => {
            ErrorClass::Unauthorized
        }
        _ => ErrorClass::Other,
    };
    let message = match (error.message(), error.as_service_error()) {
        (Some(message), _) if !message.is_empty() => message.to_owned(),
        // The SDK's own text for these is "unhandled error": say what came
        // back and why it could not be read instead.
        (_, Some(service_error)) if code.is_none() => format!(
            "the service's answer (HTTP {}) is not a {operation} response: {}",
            status.map_or_else(|| "status unknown".to_owned(), |status| status.to_string()),
            crate::error_chain(service_error)
        ),
        (_, Some(service_error)) => service_error.to_string(),
        // Not `DisplayErrorContext`: its `Debug` dump would carry the raw
        // response into the message.
        _ => crate::error_chain(&error),
    };
    let api_error = ApiError::new(operation, class, message).with_source(error);
    match code {
        Some(code) => api_error.with_code(code),
        None => api_error,
    }
}

/// Whether the error chain's text is about credentials or signing.
fn mentions_credentials(error: &(dyn StdError + 'static)) -> bool {
    let text = crate::error_chain(error).to_ascii_lowercase();
    ["credential", "auth scheme", "identity"]
        .iter()
        .any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_datapipeline::error::ErrorMetadata;
    use aws_sdk_datapipeline::operation::report_task_progress::ReportTaskProgressError;
    use aws_sdk_datapipeline::types::error::TaskNotFoundException;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    type Error = SdkError<ReportTaskProgressError, HttpResponse>;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::empty(),
        )
    }

    fn generic(code: Option<&str>, status: u16) -> Error {
        let mut meta = ErrorMetadata::builder().message("it went wrong");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(
            ReportTaskProgressError::generic(meta.build()),
            response(status),
        )
    }

    #[test]
    fn modeled_lease_gone() {
        let error: Error = SdkError::service_error(
            ReportTaskProgressError::TaskNotFoundException(
                TaskNotFoundException::builder()
                    .message("no such task")
                    .build(),
            ),
            response(400),
        );
        let error = classify(Operation::ReportTaskProgress, error);
        assert_eq!(error.lease_gone(), Some(crate::LeaseGone::TaskNotFound));
        assert_eq!(error.code(), Some("TaskNotFoundException"));
        assert_eq!(error.message(), "TaskNotFoundException: no such task");
        assert!(error.to_string().contains("ReportTaskProgress"));
    }

    #[test]
    fn unmodeled_codes_and_statuses() {
        let cases = [
            (Some("ThrottlingException"), 400, ErrorClass::Throttled),
            (
                Some("UnrecognizedClientException"),
                400,
                ErrorClass::Unauthorized,
            ),
            (Some("InternalServiceError"), 500, ErrorClass::Transient),
            (Some("SomethingNew"), 503, ErrorClass::Transient),
            (None, 429, ErrorClass::Throttled),
            (None, 403, ErrorClass::Unauthorized),
            (None, 502, ErrorClass::Transient),
        ];
        for (code, status, class) in cases {
            let error = classify(Operation::SetTaskStatus, generic(code, status));
            assert_eq!(error.class(), class, "{code:?} {status}");
        }
    }

    #[test]
    fn transport_failures() {
        let timeout: Error = SdkError::timeout_error("read timed out");
        let timeout = classify(Operation::PollForTask, timeout);
        assert_eq!(timeout.class(), ErrorClass::Transient);
        assert_eq!(timeout.message(), "request has timed out: read timed out");
        let construction: Error = SdkError::construction_failure("no credentials in the chain");
        assert_eq!(
            classify(Operation::PollForTask, construction).class(),
            ErrorClass::Unauthorized
        );
        let construction: Error = SdkError::construction_failure("bad endpoint");
        assert_eq!(
            classify(Operation::PollForTask, construction).class(),
            ErrorClass::Other
        );
    }
}
