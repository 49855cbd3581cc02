//! [`FieldsError`]: why a task's fields do not fit the requested type.

use std::fmt;

/// The most characters of a field value quoted in an error message: values
/// can be 10 KB long and are the pipeline author's data.
const MAX_QUOTED_CHARS: usize = 64;

/// The attempt object's fields could not be deserialized into the type
/// [`TaskContext::fields`](crate::TaskContext::fields) was asked for.
///
/// Every variant is a problem with the pipeline definition (or with the
/// type): report it (the runner sends `FAILED` with errorId
/// `InvalidTaskFields`) and let the pipeline author fix the definition.
/// Retrying the same task cannot succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldsError {
    /// A required field is absent. Add it to the pipeline definition, or make
    /// the struct field an `Option` or `#[serde(default)]`.
    #[error("missing field `{field}`; add it to the pipeline object or make it optional")]
    MissingField {
        /// The dotted path of the field, e.g. `input.directoryPath`.
        field: String,
    },
    /// A field is present but its value does not fit. Fix the value in the
    /// pipeline definition.
    #[error("field `{field}`: {problem}")]
    InvalidValue {
        /// The dotted path of the field.
        field: String,
        /// What is wrong, quoting (a prefix of) the value.
        problem: String,
    },
    /// The task carries no attempt object to read fields from; the service
    /// sent an incomplete task. Report it as failed.
    #[error("the task has no attempt object `{attempt_id}`")]
    NoAttemptObject {
        /// The attempt id the task named.
        attempt_id: String,
    },
    /// A problem not tied to one field (e.g. the requested type is not a
    /// struct or map).
    #[error("{0}")]
    Other(String),
}

impl FieldsError {
    /// Adds `key` in front of the error's field path, as the error travels
    /// out of the value of `key`.
    pub(crate) fn within(self, key: &str) -> Self {
        match self {
            Self::MissingField { field } => Self::MissingField {
                field: format!("{key}.{field}"),
            },
            Self::InvalidValue { field, problem } => Self::InvalidValue {
                field: format!("{key}.{field}"),
                problem,
            },
            Self::Other(problem) => Self::InvalidValue {
                field: key.to_owned(),
                problem,
            },
            other @ Self::NoAttemptObject { .. } => other,
        }
    }
}

impl serde::de::Error for FieldsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::MissingField {
            field: field.to_owned(),
        }
    }
}

/// Quotes a field value for an error message: escaped, and cut to
/// [`MAX_QUOTED_CHARS`] characters.
pub(crate) fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let prefix: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    if chars.next().is_some() {
        format!("{prefix:?}…")
    } else {
        format!("{prefix:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::Error as _;

    #[test]
    fn paths_grow_outwards() {
        let error = FieldsError::missing_field("directoryPath").within("input");
        assert_eq!(
            error.to_string(),
            "missing field `input.directoryPath`; add it to the pipeline object or make it optional"
        );
        let error = FieldsError::custom("bad").within("b").within("a");
        assert_eq!(error.to_string(), "field `a.b`: bad");
    }

    #[test]
    fn quotes_are_short_and_escaped() {
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        let long = quote(&"x".repeat(10_000));
        assert!(long.chars().count() < 70, "{long}");
        assert!(long.ends_with('…'));
    }
}
