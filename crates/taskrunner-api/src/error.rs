//! [`ApiError`], [`ErrorClass`] and [`LeaseGone`]: how a failed call is
//! reported and what the caller should do about it.

use std::error::Error as StdError;
use std::fmt;

use crate::Operation;

/// A task-runner call failed.
///
/// Callers decide by [`ApiError::class`], never by parsing the message: the
/// class says whether to retry ([`ErrorClass::Transient`],
/// [`ErrorClass::Throttled`]), stop the work because the lease is gone
/// ([`ErrorClass::LeaseGone`]) or give up and surface the error.
///
/// ```
/// use taskrunner_api::{ApiError, ErrorClass, LeaseGone, Operation};
///
/// let error = ApiError::new(
///     Operation::ReportTaskProgress,
///     ErrorClass::LeaseGone(LeaseGone::TaskNotFound),
///     "task not found",
/// )
/// .with_code("TaskNotFoundException");
/// assert!(!error.is_retryable());
/// assert_eq!(error.lease_gone(), Some(LeaseGone::TaskNotFound));
/// assert_eq!(
///     error.to_string(),
///     "ReportTaskProgress failed (TaskNotFoundException): task not found"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("{operation} failed{}: {message}", DisplayCode(code.as_deref()))]
pub struct ApiError {
    /// The call that failed.
    operation: Operation,
    /// What the caller should do about it.
    class: ErrorClass,
    /// The service's error code (`TaskNotFoundException`, `ThrottlingException`, …),
    /// when the service answered with one.
    code: Option<String>,
    /// What went wrong, in words.
    message: String,
    /// The underlying error (an SDK error, an I/O error), when there is one.
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// Formats ` (code)` or nothing.
struct DisplayCode<'a>(Option<&'a str>);

impl fmt::Display for DisplayCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(code) => write!(f, " ({code})"),
            None => Ok(()),
        }
    }
}

impl ApiError {
    /// An error of `class` from `operation`, described by `message`.
    pub fn new(operation: Operation, class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            operation,
            class,
            code: None,
            message: message.into(),
            source: None,
        }
    }

    /// Records the service's error code.
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Records the underlying error, reachable through
    /// [`Error::source`](StdError::source).
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What the caller should do about the error.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// The call that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The service's error code, if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The description, without the operation or code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the same call may succeed later: the class is
    /// [`ErrorClass::Transient`] or [`ErrorClass::Throttled`].
    pub fn is_retryable(&self) -> bool {
        matches!(self.class, ErrorClass::Transient | ErrorClass::Throttled)
    }

    /// Why the lease is gone, if that is what the error says.
    pub fn lease_gone(&self) -> Option<LeaseGone> {
        match self.class {
            ErrorClass::LeaseGone(reason) => Some(reason),
            _ => None,
        }
    }
}

/// What a failed call means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// A server error (`InternalServiceError`, 5xx), a timeout, a dropped
    /// connection or an unreadable response: retry with backoff.
    Transient,
    /// The account's call rate is exceeded: retry with a growing, jittered
    /// delay and slow down.
    Throttled,
    /// The task or its pipeline no longer exists: stop the work and send no
    /// SetTaskStatus; retrying cannot succeed.
    LeaseGone(LeaseGone),
    /// The service rejected the request as malformed (`InvalidRequestException`):
    /// do not retry the same request; it is a bug or bad configuration
    /// (e.g. an invalid worker group).
    InvalidRequest,
    /// Credentials are missing, expired or lack permission: fix the
    /// credentials or IAM policy; retrying the same call will not help.
    Unauthorized,
    /// Anything else: surface the error.
    Other,
}

impl ErrorClass {
    /// Classifies a service error code (the bare name, e.g.
    /// `TaskNotFoundException`), or `None` when the code says nothing
    /// this crate knows about.
    pub fn from_error_code(code: &str) -> Option<Self> {
        let class = match code {
            "TaskNotFoundException" => Self::LeaseGone(LeaseGone::TaskNotFound),
            "PipelineNotFoundException" => Self::LeaseGone(LeaseGone::PipelineNotFound),
            "PipelineDeletedException" => Self::LeaseGone(LeaseGone::PipelineDeleted),
            "InternalServiceError"
            | "InternalFailure"
            | "InternalServerError"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "RequestTimeout"
            | "RequestTimeoutException" => Self::Transient,
            "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "TooManyRequests"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "ProvisionedThroughputExceededException"
            | "SlowDown" => Self::Throttled,
            "InvalidRequestException" | "ValidationException" | "SerializationException" => {
                Self::InvalidRequest
            }
            "AccessDenied"
            | "AccessDeniedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "IncompleteSignatureException"
            | "MissingAuthenticationToken"
            | "MissingAuthenticationTokenException"
            | "InvalidClientTokenId"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "RequestExpired"
            | "UnauthorizedOperation"
            | "AuthFailure" => Self::Unauthorized,
            _ => return None,
        };
        Some(class)
    }

    /// Classifies an HTTP status of an error response that carried no code
    /// this crate knows.
    pub fn from_http_status(status: u16) -> Self {
        match status {
            429 => Self::Throttled,
            401 | 403 => Self::Unauthorized,
            408 | 500..=599 => Self::Transient,
            400 => Self::InvalidRequest,
            _ => Self::Other,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transient => f.write_str("transient"),
            Self::Throttled => f.write_str("throttled"),
            Self::LeaseGone(reason) => write!(f, "lease gone: {reason}"),
            Self::InvalidRequest => f.write_str("invalid request"),
            Self::Unauthorized => f.write_str("unauthorized"),
            Self::Other => f.write_str("other"),
        }
    }
}

/// Why a task's lease is gone for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaseGone {
    /// `TaskNotFoundException`: the task expired or was handed to another
    /// runner (a reassigned attempt gets a new task id).
    TaskNotFound,
    /// `PipelineNotFoundException`: the pipeline does not exist.
    PipelineNotFound,
    /// `PipelineDeletedException`: the pipeline was deleted.
    PipelineDeleted,
}

impl LeaseGone {
    /// The service's error code for this reason.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TaskNotFound => "TaskNotFoundException",
            Self::PipelineNotFound => "PipelineNotFoundException",
            Self::PipelineDeleted => "PipelineDeletedException",
        }
    }
}

impl fmt::Display for LeaseGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TaskNotFound => "task not found",
            Self::PipelineNotFound => "pipeline not found",
            Self::PipelineDeleted => "pipeline deleted",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify() {
        for gone in [
            LeaseGone::TaskNotFound,
            LeaseGone::PipelineNotFound,
            LeaseGone::PipelineDeleted,
        ] {
            assert_eq!(
                ErrorClass::from_error_code(gone.code()),
                Some(ErrorClass::LeaseGone(gone))
            );
        }
        let cases = [
            ("InternalServiceError", ErrorClass::Transient),
            ("Throttling", ErrorClass::Throttled),
            ("ThrottlingException", ErrorClass::Throttled),
            ("TooManyRequests", ErrorClass::Throttled),
            ("RequestLimitExceeded", ErrorClass::Throttled),
            ("InvalidRequestException", ErrorClass::InvalidRequest),
            ("AccessDeniedException", ErrorClass::Unauthorized),
            ("UnrecognizedClientException", ErrorClass::Unauthorized),
            ("InvalidSignatureException", ErrorClass::Unauthorized),
            ("ExpiredTokenException", ErrorClass::Unauthorized),
        ];
        for (code, class) in cases {
            assert_eq!(ErrorClass::from_error_code(code), Some(class), "{code}");
        }
        assert_eq!(ErrorClass::from_error_code("SomethingNew"), None);
    }

    #[test]
    fn statuses_classify() {
        assert_eq!(ErrorClass::from_http_status(429), ErrorClass::Throttled);
        assert_eq!(ErrorClass::from_http_status(403), ErrorClass::Unauthorized);
        assert_eq!(ErrorClass::from_http_status(503), ErrorClass::Transient);
        assert_eq!(
            ErrorClass::from_http_status(400),
            ErrorClass::InvalidRequest
        );
        assert_eq!(ErrorClass::from_http_status(404), ErrorClass::Other);
    }

    #[test]
    fn retryable_and_display() {
        let error = ApiError::new(
            Operation::PollForTask,
            ErrorClass::Throttled,
            "rate exceeded",
        );
        assert!(error.is_retryable());
        assert_eq!(error.lease_gone(), None);
        assert_eq!(error.to_string(), "PollForTask failed: rate exceeded");
        assert!(StdError::source(&error).is_none());
        let error = error.with_source(std::io::Error::other("reset"));
        assert!(StdError::source(&error).is_some());
    }
}
