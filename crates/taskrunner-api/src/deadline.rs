//! [`LeaseDeadline`]: a read-only view of a lease's moving deadline.

use std::fmt;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

/// Whatever knows a lease's current deadline: the lease manager's per-lease
/// state implements it, so a handler's view costs no allocation of its own.
pub trait DeadlineSource: Send + Sync {
    /// The deadline now, or `None` when there is none.
    fn current_deadline(&self) -> Option<Instant>;
}

/// The deadline of the lease a task is held under, as it moves: each
/// accepted progress report pushes it out. Past it, the task may belong to
/// another runner. Clones share the view.
///
/// ```
/// use taskrunner_api::LeaseDeadline;
/// use tokio::sync::watch;
/// use tokio::time::{Duration, Instant};
///
/// let later = Instant::now() + Duration::from_secs(60);
/// let (publish, view) = watch::channel(Some(later));
/// let deadline = LeaseDeadline::from(view);
/// assert_eq!(deadline.current(), Some(later));
/// publish.send_replace(None);
/// assert_eq!(deadline.current(), None);
/// assert_eq!(LeaseDeadline::none().current(), None);
/// ```
#[derive(Clone)]
pub struct LeaseDeadline {
    source: Option<Arc<dyn DeadlineSource>>,
}

impl LeaseDeadline {
    /// A view of `source`.
    pub fn new(source: Arc<dyn DeadlineSource>) -> Self {
        Self {
            source: Some(source),
        }
    }

    /// No deadline at all (a task run outside a lease, as in tests).
    pub fn none() -> Self {
        Self { source: None }
    }

    /// The deadline now.
    pub fn current(&self) -> Option<Instant> {
        self.source
            .as_ref()
            .and_then(|source| source.current_deadline())
    }
}

impl Default for LeaseDeadline {
    fn default() -> Self {
        Self::none()
    }
}

impl fmt::Debug for LeaseDeadline {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_tuple("LeaseDeadline")
            .field(&self.current())
            .finish()
    }
}

/// A deadline published through a `watch` channel, for code that drives one
/// by hand.
impl DeadlineSource for watch::Receiver<Option<Instant>> {
    fn current_deadline(&self) -> Option<Instant> {
        *self.borrow()
    }
}

impl From<watch::Receiver<Option<Instant>>> for LeaseDeadline {
    fn from(receiver: watch::Receiver<Option<Instant>>) -> Self {
        Self::new(Arc::new(receiver))
    }
}
