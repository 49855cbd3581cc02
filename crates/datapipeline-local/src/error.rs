//! The errors the service answers with, as the AWS JSON 1.1 protocol carries them.

use http::StatusCode;

/// An error answered to a client: an HTTP status, an error type (`__type`) and
/// a message.
///
/// The variants are the exceptions that the Data Pipeline model declares, plus
/// the protocol-level errors that every AWS JSON service answers with. The SDK
/// matches on the bare error name, so [`ServiceError::code`] never carries a
/// namespace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The request broke a constraint of the model or of the service
    /// (`InvalidRequestException`, HTTP 400).
    #[error("{0}")]
    InvalidRequest(String),
    /// The pipeline does not exist (`PipelineNotFoundException`, HTTP 400).
    #[error("{0}")]
    PipelineNotFound(String),
    /// The pipeline was deleted (`PipelineDeletedException`, HTTP 400).
    #[error("{0}")]
    PipelineDeleted(String),
    /// The task does not exist or is no longer held under this id
    /// (`TaskNotFoundException`, HTTP 400).
    #[error("{0}")]
    TaskNotFound(String),
    /// The service failed (`InternalServiceError`, HTTP 500).
    #[error("{0}")]
    Internal(String),
    /// The call was throttled (`ThrottlingException`, HTTP 400); only answered
    /// by fault injection.
    #[error("{0}")]
    Throttling(String),
    /// The body is not a JSON object or a member has the wrong JSON type
    /// (`SerializationException`, HTTP 400).
    #[error("{0}")]
    Serialization(String),
    /// The `X-Amz-Target` header names no operation of this service
    /// (`UnknownOperationException`, HTTP 400).
    #[error("{0}")]
    UnknownOperation(String),
    /// The request's signature does not match the configured credentials
    /// (`InvalidSignatureException`, HTTP 403 as AWS answers).
    #[error("{0}")]
    InvalidSignature(String),
}

impl ServiceError {
    /// A shorthand for [`ServiceError::InvalidRequest`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    /// The error name written to `__type` and `x-amzn-errortype`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::PipelineNotFound(_) => "PipelineNotFoundException",
            Self::PipelineDeleted(_) => "PipelineDeletedException",
            Self::TaskNotFound(_) => "TaskNotFoundException",
            Self::Internal(_) => "InternalServiceError",
            Self::Throttling(_) => "ThrottlingException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
        }
    }

    /// The HTTP status: 500 for internal errors, 403 for bad signatures and
    /// 400 for everything else.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InvalidSignature(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The result of an operation.
pub type ServiceResult<T> = Result<T, ServiceError>;
