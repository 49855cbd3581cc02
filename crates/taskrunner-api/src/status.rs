//! [`TaskStatus`] and [`StatusReport`]: what SetTaskStatus says about a task.

use std::fmt;

/// The final status of a task as SetTaskStatus reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// The work completed (`FINISHED`).
    Finished,
    /// The work failed (`FAILED`); the service may retry the attempt.
    Failed,
    /// A precondition does not hold (`FALSE`).
    False,
}

impl TaskStatus {
    /// The wire name: `FINISHED`, `FAILED` or `FALSE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::False => "FALSE",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most characters the model allows in `errorId`.
pub const MAX_ERROR_ID_CHARS: usize = 1024;
/// The most characters the model allows in `errorStackTrace`.
pub const MAX_STACK_TRACE_CHARS: usize = 1024;
/// The most characters [`StatusReport::sanitize`] keeps of `errorMessage`.
///
/// The model sets no limit, but the service stores the message as a field of
/// the attempt object, and fields hold at most 10,240 bytes.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 10_240;

/// The `errorId` prefix the service reserves for itself.
const RESERVED_PREFIX: &str = "Service_";
/// What [`StatusReport::sanitize`] puts before an `errorId` that starts with
/// [`RESERVED_PREFIX`].
const ESCAPE_PREFIX: &str = "Activity_";
/// Marks a message or stack trace that was cut short.
const ELLIPSIS: char = '…';

/// A SetTaskStatus request body minus the task id.
///
/// Build one with [`StatusReport::finished`], [`StatusReport::failed`] or
/// [`StatusReport::precondition_false`]; [`StatusReport::sanitize`] makes it
/// acceptable to the service whatever text it holds, and the
/// [`TaskService`](crate::TaskService) implementations apply it before sending.
///
/// ```
/// use taskrunner_api::{StatusReport, TaskStatus};
///
/// let report = StatusReport::failed("Service_Oops", "bad\u{1b}[31m input")
///     .with_stack_trace("x".repeat(5000))
///     .sanitize();
/// assert_eq!(report.status, TaskStatus::Failed);
/// assert_eq!(report.error_id.as_deref(), Some("Activity_Service_Oops"));
/// assert_eq!(report.error_message.as_deref(), Some("bad[31m input"));
/// assert_eq!(report.error_stack_trace.map(|s| s.chars().count()), Some(1024));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The status to set.
    pub status: TaskStatus,
    /// A short, stable identifier of the error (`errorId`), for `FAILED`.
    pub error_id: Option<String>,
    /// A human-readable description (`errorMessage`), for `FAILED`.
    pub error_message: Option<String>,
    /// Details such as a backtrace or a command's stderr tail (`errorStackTrace`).
    pub error_stack_trace: Option<String>,
}

impl StatusReport {
    /// `FINISHED`, with no error fields.
    pub fn finished() -> Self {
        Self::plain(TaskStatus::Finished)
    }

    /// `FAILED` with an error id and message.
    pub fn failed(error_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: TaskStatus::Failed,
            error_id: Some(error_id.into()),
            error_message: Some(message.into()),
            error_stack_trace: None,
        }
    }

    /// `FALSE`: the precondition does not hold.
    pub fn precondition_false() -> Self {
        Self::plain(TaskStatus::False)
    }

    /// Adds `errorStackTrace`.
    #[must_use]
    pub fn with_stack_trace(mut self, stack_trace: impl Into<String>) -> Self {
        self.error_stack_trace = Some(stack_trace.into());
        self
    }

    fn plain(status: TaskStatus) -> Self {
        Self {
            status,
            error_id: None,
            error_message: None,
            error_stack_trace: None,
        }
    }

    /// Makes the report acceptable to the service, losing as little as
    /// possible:
    ///
    /// - characters outside the model's pattern (control characters other
    ///   than `\r`, `\n`, `\t`; U+FFFE; U+FFFF) are removed;
    /// - an `errorId` starting with the reserved `Service_` gets an
    ///   `Activity_` prefix;
    /// - `errorId` is cut to [`MAX_ERROR_ID_CHARS`], `errorStackTrace` to
    ///   [`MAX_STACK_TRACE_CHARS`] and `errorMessage` to
    ///   [`MAX_ERROR_MESSAGE_CHARS`] characters; a cut message or stack trace
    ///   ends in `…`.
    ///
    /// Idempotent.
    #[must_use]
    pub fn sanitize(self) -> Self {
        Self {
            status: self.status,
            error_id: self.error_id.map(|id| sanitize_error_id(&id)),
            error_message: self
                .error_message
                .map(|message| sanitize_text(&message, MAX_ERROR_MESSAGE_CHARS)),
            error_stack_trace: self
                .error_stack_trace
                .map(|trace| sanitize_text(&trace, MAX_STACK_TRACE_CHARS)),
        }
    }
}

/// Whether the model's string pattern
/// `[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*` admits `c`.
///
/// A Rust `char` is never a lone surrogate, so the surrogate-pair range is
/// every supplementary-plane character.
pub fn is_allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn sanitize_error_id(id: &str) -> String {
    let clean: String = id.chars().filter(|&c| is_allowed_char(c)).collect();
    let escaped = if clean.starts_with(RESERVED_PREFIX) {
        format!("{ESCAPE_PREFIX}{clean}")
    } else {
        clean
    };
    escaped.chars().take(MAX_ERROR_ID_CHARS).collect()
}

fn sanitize_text(text: &str, max_chars: usize) -> String {
    let mut clean = text.chars().filter(|&c| is_allowed_char(c));
    let mut kept: String = clean.by_ref().take(max_chars).collect();
    if clean.next().is_some() {
        // Over the limit: make room for the marker so the cut is visible.
        kept.pop();
        kept.push(ELLIPSIS);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors() {
        assert_eq!(StatusReport::finished().status, TaskStatus::Finished);
        assert_eq!(StatusReport::precondition_false().status, TaskStatus::False);
        let failed = StatusReport::failed("E", "m").with_stack_trace("s");
        assert_eq!(failed.status.to_string(), "FAILED");
        assert_eq!(failed.error_stack_trace.as_deref(), Some("s"));
    }

    #[test]
    fn pattern_boundaries() {
        for allowed in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '😀',
            '\u{10FFFF}',
        ] {
            assert!(is_allowed_char(allowed), "{allowed:?}");
        }
        for denied in ['\0', '\u{1b}', '\u{1f}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!is_allowed_char(denied), "{denied:?}");
        }
    }

    #[test]
    fn reserved_prefix_is_escaped_after_stripping() {
        // The control character would otherwise hide the reserved prefix.
        let report = StatusReport::failed("\u{0}Service_X", "").sanitize();
        assert_eq!(report.error_id.as_deref(), Some("Activity_Service_X"));
        let report = StatusReport::failed("MyService_X", "").sanitize();
        assert_eq!(report.error_id.as_deref(), Some("MyService_X"));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let report = StatusReport::failed("é".repeat(2000), "ü".repeat(20_000))
            .with_stack_trace("😀".repeat(1024))
            .sanitize();
        assert_eq!(report.error_id.map(|s| s.chars().count()), Some(1024));
        let message = report.error_message.unwrap_or_default();
        assert_eq!(message.chars().count(), MAX_ERROR_MESSAGE_CHARS);
        assert!(message.ends_with('…'));
        // Exactly at the limit: nothing cut, no marker.
        let trace = report.error_stack_trace.unwrap_or_default();
        assert_eq!(trace, "😀".repeat(1024));
    }

    #[test]
    fn long_prefixed_id_stays_within_the_limit() {
        let report = StatusReport::failed(format!("Service_{}", "x".repeat(2000)), "").sanitize();
        let id = report.error_id.unwrap_or_default();
        assert_eq!(id.chars().count(), MAX_ERROR_ID_CHARS);
        assert!(id.starts_with("Activity_Service_"));
    }

    #[test]
    fn sanitize_is_idempotent() {
        let once = StatusReport::failed("Service_\u{1}a", "m\u{FFFF}".repeat(6000))
            .with_stack_trace("t\r\n\t".repeat(600))
            .sanitize();
        assert_eq!(once.clone().sanitize(), once);
    }

    #[test]
    fn finished_passes_through() {
        assert_eq!(
            StatusReport::finished().sanitize(),
            StatusReport::finished()
        );
    }
}
