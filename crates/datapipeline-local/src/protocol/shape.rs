//! The model's string shapes and the checks every input member goes through.

use crate::error::{ServiceError, ServiceResult};

/// A string shape of the Data Pipeline model: its length bounds and whether
/// it must match the model's character pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The shape's name in the model, used in messages.
    pub name: &'static str,
    /// The least length in characters.
    pub min: usize,
    /// The greatest length in characters.
    pub max: usize,
    /// Whether the value must match the model's character pattern.
    pub pattern: bool,
}

/// Ids: pipelineId, attemptId, hostname, taskrunnerId, object ids and names.
pub const ID: Shape = Shape {
    name: "id",
    min: 1,
    max: 1024,
    pattern: true,
};
/// workerGroup, errorId, errorStackTrace, descriptions and the like.
pub const STRING: Shape = Shape {
    name: "string",
    min: 0,
    max: 1024,
    pattern: true,
};
/// taskId.
pub const TASK_ID: Shape = Shape {
    name: "taskId",
    min: 1,
    max: 2048,
    pattern: true,
};
/// Field keys, refValues and parameter ids.
pub const FIELD_NAME: Shape = Shape {
    name: "fieldNameString",
    min: 1,
    max: 256,
    pattern: true,
};
/// Field string values and parameter values.
pub const FIELD_VALUE: Shape = Shape {
    name: "fieldStringValue",
    min: 0,
    max: 10240,
    pattern: true,
};
/// Expressions and pipeline descriptions.
pub const LONG_STRING: Shape = Shape {
    name: "longString",
    min: 0,
    max: 20_971_520,
    pattern: true,
};
/// SetTaskStatus errorMessage: the model sets no length limit.
pub const ERROR_MESSAGE: Shape = Shape {
    name: "errorMessage",
    min: 0,
    max: usize::MAX,
    pattern: true,
};
/// Tag keys.
pub const TAG_KEY: Shape = Shape {
    name: "tagKey",
    min: 1,
    max: 128,
    pattern: false,
};
/// Tag values.
pub const TAG_VALUE: Shape = Shape {
    name: "tagValue",
    min: 0,
    max: 256,
    pattern: false,
};

/// Whether `c` is allowed by the model's pattern
/// `[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`:
/// every character but the C0 controls other than tab, newline and carriage
/// return, and the two non-characters U+FFFE and U+FFFF.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

impl Shape {
    /// Checks `value`, given as member `member`, against the shape.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] naming the member and the broken rule.
    pub fn check(&self, member: &str, value: &str) -> ServiceResult<()> {
        // The model counts UTF-16 code units; characters are what users
        // write, and the two agree on everything but astral characters.
        let length = value.chars().count();
        if length < self.min {
            return Err(ServiceError::invalid(format!(
                "{member}: must be at least {} characters long, got {length}",
                self.min
            )));
        }
        if length > self.max {
            return Err(ServiceError::invalid(format!(
                "{member}: must be at most {} characters long, got {length}",
                self.max
            )));
        }
        if self.pattern {
            if let Some((index, c)) = value.char_indices().find(|&(_, c)| !allowed(c)) {
                return Err(ServiceError::invalid(format!(
                    "{member}: character U+{:04X} at byte {index} is not allowed",
                    c as u32
                )));
            }
        }
        Ok(())
    }

    /// Checks an optional member: absent is fine.
    ///
    /// # Errors
    /// As [`Shape::check`].
    pub fn check_optional(&self, member: &str, value: Option<&str>) -> ServiceResult<()> {
        value.map_or(Ok(()), |value| self.check(member, value))
    }

    /// Checks a required member: absent is an error naming it.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] when the member is absent, else as
    /// [`Shape::check`].
    pub fn required<'a>(&self, member: &str, value: Option<&'a str>) -> ServiceResult<&'a str> {
        let value = value.ok_or_else(|| missing(member))?;
        self.check(member, value)?;
        Ok(value)
    }
}

/// The error for a required member that is absent.
pub fn missing(member: &str) -> ServiceError {
    ServiceError::invalid(format!("{member}: a value is required"))
}

/// Checks the number of items of a list member.
///
/// # Errors
/// [`ServiceError::InvalidRequest`] naming the member when it holds more than
/// `max` items.
pub fn check_count<T>(member: &str, items: &[T], max: usize) -> ServiceResult<()> {
    if items.len() > max {
        return Err(ServiceError::invalid(format!(
            "{member}: at most {max} items are allowed, got {}",
            items.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked_at_both_ends() {
        assert!(ID.check("pipelineId", "").is_err());
        assert!(ID.check("pipelineId", "a").is_ok());
        assert!(ID.check("pipelineId", &"a".repeat(1024)).is_ok());
        let error = ID.check("pipelineId", &"a".repeat(1025)).unwrap_err();
        assert!(error.to_string().contains("pipelineId"), "{error}");
        assert!(error.to_string().contains("1024"), "{error}");
    }

    #[test]
    fn control_characters_are_refused_but_whitespace_is_not() {
        assert!(STRING.check("workerGroup", "a\tb\nc\r").is_ok());
        assert!(STRING.check("workerGroup", "a\u{1}b").is_err());
        assert!(STRING.check("workerGroup", "\u{FFFF}").is_err());
        assert!(STRING.check("workerGroup", "emoji \u{1F600}").is_ok());
        assert!(
            TAG_KEY.check("key", "\u{1}").is_ok(),
            "tags have no pattern"
        );
    }

    #[test]
    fn required_members_name_themselves() {
        let error = TASK_ID.required("taskId", None).unwrap_err();
        assert_eq!(error.to_string(), "taskId: a value is required");
    }
}
