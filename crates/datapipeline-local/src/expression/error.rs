//! The error of expression evaluation: where it happened and what went wrong.

/// An expression failed to parse or evaluate.
///
/// It names the expression (the text between `#{` and `}`, or the whole bare
/// expression), the byte position of the problem in the text that was
/// evaluated, and the problem itself as an [`ExpressionErrorKind`]. When a
/// field's value is itself a template, the position is within that field's
/// value, which [`ExpressionErrorKind`]'s message then names.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} at position {position} in expression '{expression}'")]
#[non_exhaustive]
pub struct ExpressionError {
    /// The expression's text.
    pub expression: String,
    /// The byte offset of the problem in the evaluated text.
    pub position: usize,
    /// What went wrong.
    pub kind: ExpressionErrorKind,
}

impl ExpressionError {
    /// An error of `kind` at `position` in `expression`.
    pub fn new(expression: impl Into<String>, position: usize, kind: ExpressionErrorKind) -> Self {
        Self {
            expression: expression.into(),
            position,
            kind,
        }
    }

    /// Replaces `secret` wherever the error shows a value or the expression's
    /// text, so the message can be logged (encrypted fields and parameters).
    pub(crate) fn hide(&mut self, secret: &str) {
        hide_in(&mut self.expression, secret);
        match &mut self.kind {
            ExpressionErrorKind::WrongArgumentType { found, .. } => hide_in(found, secret),
            ExpressionErrorKind::InvalidOperands { left, right, .. } => {
                hide_in(left, secret);
                hide_in(right, secret);
            }
            ExpressionErrorKind::InvalidOperand { operand, .. } => hide_in(operand, secret),
            ExpressionErrorKind::InField { inner, .. } => inner.hide(secret),
            ExpressionErrorKind::InvalidNumber(text)
            | ExpressionErrorKind::UnsupportedTimeZone(text)
            | ExpressionErrorKind::InvalidDate(text) => hide_in(text, secret),
            ExpressionErrorKind::InvalidPattern { pattern, reason } => {
                hide_in(pattern, secret);
                hide_in(reason, secret);
            }
            _ => {}
        }
    }
}

/// Replaces every occurrence of `secret` in `text`, and its first 40
/// characters, which value descriptions shorten it to.
fn hide_in(text: &mut String, secret: &str) {
    let shortened: String = secret.chars().take(40).collect();
    for shown in [secret, shortened.as_str()] {
        if text.contains(shown) {
            *text = text.replace(shown, "(encrypted)");
        }
    }
}

/// What went wrong in an expression. Every variant is a mistake in the
/// pipeline definition: fix the expression or the field it reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpressionErrorKind {
    /// A `#{` has no closing `}`. Close it, or write a lone `#` instead.
    #[error("unterminated '#{{'")]
    Unterminated,
    /// `#{}` holds no expression.
    #[error("empty expression")]
    Empty,
    /// A character no token starts with.
    #[error("unexpected character '{0}'")]
    UnexpectedCharacter(char),
    /// A quoted string is not closed. Close it with the same quote.
    #[error("unterminated string")]
    UnterminatedString,
    /// A number that does not fit (integers are 64-bit).
    #[error("invalid number '{0}'")]
    InvalidNumber(String),
    /// The grammar expected something else here.
    #[error("expected {expected}, found {found}")]
    UnexpectedToken {
        /// What would have been valid.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// Parentheses, unary minus, function calls, operators or field values
    /// containing expressions nest deeper than the limit. Simplify.
    #[error("expression nests deeper than {0} levels")]
    TooDeep(usize),
    /// Evaluating took more steps than the limit: field values that expand
    /// into each other multiply. Simplify the fields.
    #[error("expression takes more than {0} evaluation steps")]
    TooComplex(usize),
    /// No function has this name; names are case-sensitive.
    #[error("unknown function '{0}'")]
    UnknownFunction(String),
    /// A function was called with the wrong number of arguments.
    #[error("function '{function}' takes {expected} argument(s), got {found}")]
    WrongArgumentCount {
        /// The function.
        function: String,
        /// How many it takes.
        expected: usize,
        /// How many it got.
        found: usize,
    },
    /// A function argument has the wrong type.
    #[error("argument {index} of '{function}' must be {expected}, got {found}")]
    WrongArgumentType {
        /// The function.
        function: String,
        /// The argument's position, from 1.
        index: usize,
        /// The type wanted.
        expected: &'static str,
        /// The value given, described.
        found: String,
    },
    /// An operator cannot combine these values.
    #[error("operator '{operator}' cannot combine {left} and {right}")]
    InvalidOperands {
        /// The operator.
        operator: char,
        /// The left value, described.
        left: String,
        /// The right value, described.
        right: String,
    },
    /// A unary operator cannot apply to this value.
    #[error("operator '{operator}' cannot apply to {operand}")]
    InvalidOperand {
        /// The operator.
        operator: char,
        /// The value, described.
        operand: String,
    },
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// An arithmetic result or a date is out of range.
    #[error("result out of range")]
    Overflow,
    /// A name is neither a parameter nor a field of the object.
    #[error("'{name}' is no parameter and no field of object '{object}'")]
    UnknownField {
        /// The name.
        name: String,
        /// The object it was looked up on.
        object: String,
    },
    /// A path step `a.b` needs `a` to be a reference to another object.
    #[error("field '{name}' of object '{object}' is not a reference, so '.' cannot follow it")]
    NotAReference {
        /// The field.
        name: String,
        /// The object holding it.
        object: String,
    },
    /// A reference names no object of the pipeline.
    #[error("reference '{0}' names no object of the pipeline")]
    UnknownObject(String),
    /// A field value that is itself a template failed.
    #[error("in field '{field}' of object '{object}': {inner}")]
    InField {
        /// The field.
        field: String,
        /// The object holding it.
        object: String,
        /// The error in the field's value.
        inner: Box<ExpressionError>,
    },
    /// Only UTC is supported as a time zone.
    #[error("unsupported time zone '{0}'; only UTC is supported")]
    UnsupportedTimeZone(String),
    /// A `format` pattern uses a letter that is not supported.
    #[error("invalid format pattern '{pattern}': {reason}")]
    InvalidPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
    /// `makeDate`/`makeDateTime` got a date or time that does not exist.
    #[error("no such date or time: {0}")]
    InvalidDate(String),
}
