//! The crate's errors. Each has a stable errorId ([`error_id`](mod@crate::error_id))
//! for the task's status; messages never contain a password.

use crate::error_id;

/// A pipeline field is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A required field is not set. Set it in the pipeline definition.
    #[error("object `{object}` has no `{field}`")]
    Missing {
        /// The object's id.
        object: String,
        /// The field's name.
        field: String,
    },
    /// A reference names an object the task does not carry.
    #[error(
        "object `{object}` field `{field}` refers to `{target}`, which the task does not carry"
    )]
    Dangling {
        /// The referring object's id.
        object: String,
        /// The reference field.
        field: String,
        /// The id it names.
        target: String,
    },
    /// A field's value cannot be used; the message says why.
    #[error("object `{object}` field `{field}`: {reason}")]
    Invalid {
        /// The object's id.
        object: String,
        /// The field's name.
        field: String,
        /// What is wrong and, where possible, how to fix it.
        reason: String,
    },
}

impl FieldError {
    /// An [`Invalid`](Self::Invalid) error.
    pub fn invalid(object: &str, field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            object: object.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// The errorId for the task's status.
    pub fn error_id(&self) -> &'static str {
        error_id::INVALID_FIELD
    }
}
