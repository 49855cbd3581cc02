//! [`TaskContextBuilder`]: assembles a [`TaskContext`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use taskrunner_api::{Cancellation, LeaseDeadline, ProgressSink, Task};
use tracing::Span;

use super::TaskContext;

/// The scratch root when none is configured: `<temp dir>/taskrunner-scratch`.
fn default_scratch_root() -> PathBuf {
    std::env::temp_dir().join("taskrunner-scratch")
}

/// Builds a [`TaskContext`]. Everything but the task has a default, so tests
/// need only [`build`](Self::build); the runner wires in the lease's signals.
///
/// ```
/// use taskrunner_activity::TaskContext;
/// use taskrunner_api::{CancelReason, Cancellation, ProgressSink, Task};
/// use tokio::sync::watch;
///
/// let cancellation = Cancellation::new();
/// let progress = ProgressSink::new();
/// let (deadline_tx, deadline_rx) = watch::channel(None);
/// let ctx = TaskContext::builder(Task::new("opaque", "df-1", "@A_Attempt=1"))
///     .cancellation(cancellation.clone())
///     .progress(progress.clone())
///     .deadline(deadline_rx)
///     .scratch_root(std::env::temp_dir().join("my-runner"))
///     .span(tracing::info_span!("task"))
///     .build();
///
/// cancellation.trip(CancelReason::Shutdown);
/// assert_eq!(ctx.check_cancelled().map_err(|c| c.reason()), Err(CancelReason::Shutdown));
/// ctx.progress().set("myStep", "2");
/// assert_eq!(progress.snapshot().len(), 1);
/// # drop(deadline_tx);
/// ```
#[derive(Debug)]
#[must_use]
pub struct TaskContextBuilder {
    task: Task,
    cancellation: Option<Cancellation>,
    progress: Option<ProgressSink>,
    deadline: LeaseDeadline,
    scratch_root: Option<Arc<Path>>,
    span: Option<Span>,
}

impl TaskContextBuilder {
    pub(super) fn new(task: Task) -> Self {
        Self {
            task,
            cancellation: None,
            progress: None,
            deadline: LeaseDeadline::none(),
            scratch_root: None,
            span: None,
        }
    }

    /// The stop signal (default: a fresh one nobody trips).
    pub fn cancellation(mut self, cancellation: Cancellation) -> Self {
        self.cancellation = Some(cancellation);
        self
    }

    /// The progress sink the lease reads (default: a fresh one nobody reads).
    pub fn progress(mut self, progress: ProgressSink) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The lease's deadline as it moves (default: none). A
    /// `watch::Receiver<Option<Instant>>` converts into one.
    pub fn deadline(mut self, deadline: impl Into<LeaseDeadline>) -> Self {
        self.deadline = deadline.into();
        self
    }

    /// The directory under which task scratch directories are named
    /// (default: `<temp dir>/taskrunner-scratch`). A runner passes the same
    /// `Arc<Path>` to every task, so no task keeps a copy of the path.
    pub fn scratch_root(mut self, root: impl Into<Arc<Path>>) -> Self {
        self.scratch_root = Some(root.into());
        self
    }

    /// The task's span (default: [`Span::none`]).
    pub fn span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Builds the context.
    pub fn build(self) -> TaskContext {
        let scratch_root = self
            .scratch_root
            .unwrap_or_else(|| default_scratch_root().into());
        TaskContext::from_parts(
            self.task,
            self.cancellation.unwrap_or_default(),
            self.progress.unwrap_or_default(),
            self.deadline,
            scratch_root,
            self.span.unwrap_or_else(Span::none),
        )
    }
}
