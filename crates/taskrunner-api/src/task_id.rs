//! [`TaskId`]: the opaque handle of a leased task.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The opaque `taskId` PollForTask hands out; every later call about the task
/// quotes it back.
///
/// The service documents no structure for it and the real ones are about
/// 1.4 KB long, so this type never parses it, never prints it and never lets
/// it become part of a path. [`Debug`](fmt::Debug) and [`Display`](fmt::Display)
/// show `task:<digest>` instead; [`TaskId::as_str`] is for the wire only.
///
/// Cloning is cheap (an `Arc`).
///
/// ```
/// use taskrunner_api::TaskId;
///
/// let id = TaskId::new("a very long opaque token");
/// assert_eq!(id.as_str(), "a very long opaque token");
/// assert_eq!(id.to_string(), format!("task:{}", id.digest()));
/// assert_eq!(id.digest().len(), 12);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(Arc<str>);

impl TaskId {
    /// Wraps a task id as received from the service.
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// The id exactly as the service sent it, for use in API calls.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits of the SHA-256 of the id: short, stable and
    /// free of anything the id contains, for logs, spans and file names.
    pub fn digest(&self) -> String {
        let hash = Sha256::digest(self.0.as_bytes());
        hex::encode(&hash[..6])
    }

    /// [`TaskId::digest`] as a value that hashes the id only when it is
    /// displayed: for span and log fields that may never be recorded (a
    /// 1.4 KB id costs a SHA-256 pass per task otherwise).
    pub fn lazy_digest(&self) -> LazyDigest<'_> {
        LazyDigest(self)
    }
}

/// Displays a task id's [digest](TaskId::digest), computed when displayed;
/// see [`TaskId::lazy_digest`].
#[derive(Debug, Clone, Copy)]
pub struct LazyDigest<'a>(&'a TaskId);

impl fmt::Display for LazyDigest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.digest())
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task:{}", self.digest())
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task:{}", self.digest())
    }
}

impl From<String> for TaskId {
    fn from(id: String) -> Self {
        Self::new(id)
    }
}

impl From<&str> for TaskId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_raw_id() {
        let raw = "SECRET".repeat(250);
        let id = TaskId::new(raw.clone());
        for shown in [format!("{id}"), format!("{id:?}")] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert_eq!(shown.len(), "task:".len() + 12);
        }
    }

    #[test]
    fn digest_is_stable_lowercase_hex() {
        let id = TaskId::new("abc");
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(id.digest(), "ba7816bf8f01");
        assert_eq!(id.lazy_digest().to_string(), "ba7816bf8f01");
        assert_eq!(TaskId::from("abc"), id);
    }
}
