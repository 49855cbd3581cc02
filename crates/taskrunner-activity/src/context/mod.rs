//! [`TaskContext`]: everything an activity gets to see and use.

mod builder;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use taskrunner_api::{
    CancelReason, Cancellation, Cancelled, LeaseDeadline, ProgressSink, Task, TaskId, TaskObject,
};
use tokio::time::Instant;
use tracing::Span;

pub use builder::TaskContextBuilder;

use crate::{fields, scratch, FieldsError};

/// The task an activity runs, with the signals and resources around it.
///
/// Cloning is cheap (one `Arc`); clones share everything. Build one with
/// [`TaskContext::builder`] — the runner does, and so can tests.
///
/// ```
/// use serde::Deserialize;
/// use taskrunner_activity::TaskContext;
/// use taskrunner_api::{Field, Task, TaskObject};
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Params {
///     my_table: String,
///     #[serde(default)]
///     my_column: Vec<String>,
///     my_batch_size: Option<u32>,
/// }
///
/// let attempt = TaskObject::new("@Copy_Attempt=1", "Copy")
///     .with_field(Field::string("myTable", "events"))
///     .with_field(Field::string("myColumn", "id"))
///     .with_field(Field::string("myColumn", "ts"))
///     .with_field(Field::string("myBatchSize", "500"));
/// let ctx = TaskContext::builder(
///     Task::new("opaque", "df-EXAMPLE", "@Copy_Attempt=1").with_object(attempt),
/// )
/// .build();
///
/// let params: Params = ctx.fields()?;
/// assert_eq!(params.my_table, "events");
/// assert_eq!(params.my_column, ["id", "ts"]);
/// assert_eq!(params.my_batch_size, Some(500));
/// assert_eq!(ctx.field("myTable"), Some("events"));
/// assert!(!ctx.is_cancelled());
/// # Ok::<(), taskrunner_activity::FieldsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TaskContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The task as polled.
    task: Task,
    /// Tripped by the lease (service cancel, lost lease), the runner
    /// (shutdown) or a timeout.
    cancellation: Cancellation,
    /// Read by the lease for every progress report.
    progress: ProgressSink,
    /// The lease's current deadline, moved by the lease after each accepted
    /// report; none when the context is not attached to a lease.
    deadline: LeaseDeadline,
    /// The root under which the scratch directory is named, shared by every
    /// task of a runner.
    scratch_root: Arc<Path>,
    /// `<scratch root>/<pipeline>-<task digest>`, computed on first use:
    /// the digest hashes the long taskId, and most activities never ask.
    scratch_dir: std::sync::OnceLock<PathBuf>,
    /// The span the runner opened for this task.
    span: Span,
}

impl TaskContext {
    /// Starts building a context for `task`.
    pub fn builder(task: Task) -> TaskContextBuilder {
        TaskContextBuilder::new(task)
    }

    /// The task as polled.
    pub fn task(&self) -> &Task {
        &self.inner.task
    }

    /// The task's opaque id (prints as `task:<digest>`).
    pub fn task_id(&self) -> &TaskId {
        &self.inner.task.task_id
    }

    /// The pipeline the task belongs to.
    pub fn pipeline_id(&self) -> &str {
        &self.inner.task.pipeline_id
    }

    /// The attempt object's id.
    pub fn attempt_id(&self) -> &str {
        &self.inner.task.attempt_id
    }

    /// The attempt object: the activity's fields merged with runtime fields.
    /// `None` only if the service sent an incomplete task.
    pub fn attempt(&self) -> Option<&TaskObject> {
        self.inner.task.attempt()
    }

    /// Another object the task carries (a referenced data node,
    /// precondition, …). The service may or may not send these.
    pub fn object(&self, id: &str) -> Option<&TaskObject> {
        self.inner.task.object(id)
    }

    /// The first value of the attempt object's field `key` (a reference
    /// yields the referenced object's id).
    pub fn field(&self, key: &str) -> Option<&str> {
        self.attempt().and_then(|attempt| attempt.field(key))
    }

    /// Every value of the attempt object's field `key`, in order.
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attempt()
            .into_iter()
            .flat_map(move |attempt| attempt.values(key))
    }

    /// The attempt object's fields as a `T`; see the
    /// [`fields` module](crate::fields) for the mapping.
    ///
    /// # Errors
    ///
    /// A [`FieldsError`] naming the field and the problem when the fields do
    /// not fit `T`. Returned from an activity with `?`, it reports the task
    /// `FAILED` with errorId `InvalidTaskFields`. (A handler that takes its
    /// parameters as an argument gets this done by the framework.)
    pub fn fields<T: DeserializeOwned>(&self) -> Result<T, FieldsError> {
        fields::attempt_fields(&self.inner.task)
    }

    /// The stop signal, e.g. to hand its token to a subprocess supervisor.
    pub fn cancellation(&self) -> &Cancellation {
        &self.inner.cancellation
    }

    /// Completes when the activity is asked to stop, answering why.
    /// Cancel-safe; use it in `tokio::select!` next to the work.
    pub async fn cancelled(&self) -> CancelReason {
        self.inner.cancellation.stopped().await
    }

    /// Runs `work` until it completes or the activity is asked to stop,
    /// whichever comes first: `ctx.until_cancelled(work).await?` is the whole
    /// of cooperative cancellation for work that may be dropped at any
    /// `.await`.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] with the reason when the stop came first (`work` is
    /// then dropped).
    pub async fn until_cancelled<F: Future>(&self, work: F) -> Result<F::Output, Cancelled> {
        self.inner.cancellation.until_cancelled(work).await
    }

    /// Whether the activity has been asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancellation.is_cancelled()
    }

    /// `Err(Cancelled)` once the activity has been asked to stop, for
    /// `ctx.check_cancelled()?` between steps.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] with the reason, once asked to stop.
    pub fn check_cancelled(&self) -> Result<(), Cancelled> {
        self.inner.cancellation.check()
    }

    /// Where to leave fields for the next progress report.
    pub fn progress(&self) -> &ProgressSink {
        &self.inner.progress
    }

    /// When the lease runs out unless the next progress report succeeds:
    /// work that cannot finish by then is likely wasted. `None` when not
    /// attached to a lease. The lease moves it forward after each report.
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline.current()
    }

    /// The task's scratch directory (not created until
    /// [`ensure_scratch_dir`](Self::ensure_scratch_dir)): a direct child of
    /// the configured root named from the pipeline id and a digest of the task
    /// id, never from the raw task id.
    pub fn scratch_dir(&self) -> PathBuf {
        self.scratch_path().clone()
    }

    fn scratch_path(&self) -> &PathBuf {
        self.inner.scratch_dir.get_or_init(|| {
            scratch::scratch_dir(
                &self.inner.scratch_root,
                &self.inner.task.pipeline_id,
                &self.inner.task.task_id,
            )
        })
    }

    /// Creates the scratch directory (and the root) if needed and returns it.
    ///
    /// # Errors
    ///
    /// The I/O error from creating the directory.
    pub async fn ensure_scratch_dir(&self) -> io::Result<PathBuf> {
        let directory = self.scratch_path();
        tokio::fs::create_dir_all(directory).await?;
        Ok(directory.clone())
    }

    /// The tracing span of this task; enter it (or `instrument` futures with
    /// it) in work the activity spawns.
    pub fn span(&self) -> &Span {
        &self.inner.span
    }
}

impl TaskContext {
    fn from_parts(
        task: Task,
        cancellation: Cancellation,
        progress: ProgressSink,
        deadline: LeaseDeadline,
        scratch_root: Arc<Path>,
        span: Span,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                task,
                cancellation,
                progress,
                deadline,
                scratch_root,
                scratch_dir: std::sync::OnceLock::new(),
                span,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
