//! [`error_chain`]: an error and its sources as one line, the form every
//! report and log line of this workspace uses.

use std::error::Error;

/// `error: source: source…`, the error's message followed by each of its
/// sources, outermost first.
///
/// ```
/// use taskrunner_api::error_chain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("copy failed")]
/// struct CopyFailed(#[source] std::io::Error);
///
/// let error = CopyFailed(std::io::Error::other("disk full"));
/// assert_eq!(error_chain(&error), "copy failed: disk full");
/// ```
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_error_is_its_message() {
        assert_eq!(error_chain(&std::io::Error::other("gone")), "gone");
    }
}
