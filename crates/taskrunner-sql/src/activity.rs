//! The framework glue: [`SqlActivity`] and [`CopyActivity`] as
//! [`Activity`] impls. Every use of the runner's activity API is in this
//! file; the work itself is [`SqlScript`] and [`CopyJob`].

use std::future::Future;
use std::sync::Arc;

use taskrunner_activity::{Activity, BoxError, Cancelled, Outcome, TaskContext};

use crate::copy::CopyJob;
use crate::database::{RdsEndpoints, ServerSessions};
use crate::object::{Object, Objects};
use crate::script::SqlScript;
use crate::store::Store;

/// What both activities share: S3 access and RDS endpoints.
#[derive(Debug, Clone, Default)]
pub struct SqlConfig {
    /// Where `scriptUri` and S3 data nodes are read and written.
    pub store: Store,
    /// Endpoints of `RdsDatabase` instances.
    pub rds: RdsEndpoints,
}

/// The `SqlActivity` object type: runs `script` or `scriptUri` on its
/// `database`. A failing statement ends the task `FAILED` with errorId
/// [`SqlStatementFailed`](crate::error_id::STATEMENT_FAILED) and the
/// database's code and message.
#[derive(Debug, Clone, Default)]
pub struct SqlActivity {
    config: Arc<SqlConfig>,
}

impl SqlActivity {
    /// The activity with these settings.
    pub fn new(config: impl Into<Arc<SqlConfig>>) -> Self {
        Self {
            config: config.into(),
        }
    }
}

/// The `CopyActivity` object type: copies `input` to `output` between S3
/// and SQL data nodes (see [`crate::copy`]).
#[derive(Debug, Clone, Default)]
pub struct CopyActivity {
    config: Arc<SqlConfig>,
}

impl CopyActivity {
    /// The activity with these settings.
    pub fn new(config: impl Into<Arc<SqlConfig>>) -> Self {
        Self {
            config: config.into(),
        }
    }
}

impl Activity for SqlActivity {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let objects = task_objects(&ctx);
        let script = match self
            .config
            .rds
            .resolving(|rds| SqlScript::from_objects(&objects, rds))
            .await
        {
            Ok(script) => script,
            Err(error) => return Ok(Outcome::failed(error.error_id(), error.to_string())),
        };
        if let Err(error) = ctx
            .until_cancelled(crate::create_output_tables(&objects, &self.config.rds))
            .await?
        {
            return Ok(Outcome::failed(error.error_id(), error.to_string()));
        }
        let scratch = ctx.scratch_dir();
        let result =
            until_cancelled_on_server(&ctx, script.run(&self.config.store, &scratch)).await;
        let _ = tokio::fs::remove_dir_all(&scratch).await;
        Ok(match result? {
            Ok(statements) => {
                tracing::info!(statements, "SQL script done");
                Outcome::Finished
            }
            Err(error) => Outcome::failed(error.error_id(), error.to_string()),
        })
    }
}

impl Activity for CopyActivity {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let objects = task_objects(&ctx);
        let job = match self
            .config
            .rds
            .resolving(|rds| CopyJob::from_objects(&objects, rds))
            .await
        {
            Ok(job) => job,
            Err(error) => return Ok(Outcome::failed(error.error_id(), error.to_string())),
        };
        let scratch = ctx.scratch_dir();
        let result = until_cancelled_on_server(&ctx, job.run(&self.config.store, &scratch)).await;
        let _ = tokio::fs::remove_dir_all(&scratch).await;
        Ok(match result? {
            Ok(records) => {
                tracing::info!(records, "copy done");
                Outcome::Finished
            }
            Err(error) => Outcome::failed(error.error_id(), error.to_string()),
        })
    }
}

/// Runs `work` until it ends or the task is asked to stop. On a stop, the
/// statements `work` is running are first stopped on their servers (see
/// [`ServerSessions`]), while its connections are still open; then `work`
/// is dropped, which closes them and rolls back what they had not
/// committed.
///
/// # Errors
///
/// [`Cancelled`] with the reason when the stop came first.
async fn until_cancelled_on_server<F: Future>(
    ctx: &TaskContext,
    work: F,
) -> Result<F::Output, Cancelled> {
    let sessions = ServerSessions::default();
    let work = sessions.scope(work);
    tokio::pin!(work);
    tokio::select! {
        // Checked first, as `until_cancelled` does: work handed to a
        // stopped task never starts.
        biased;
        reason = ctx.cancelled() => {
            sessions.cancel_all().await;
            Err(Cancelled::new(reason))
        }
        output = &mut work => Ok(output),
    }
}

/// The task's objects as plain data: the attempt object and the others it
/// carries, for [`table_exists`](crate::table_exists) and the like.
pub fn task_objects(ctx: &TaskContext) -> Objects {
    let convert = |object: &taskrunner_api::TaskObject| Object {
        id: object.id.clone(),
        fields: object
            .fields
            .iter()
            .map(|field| (field.key.clone(), field.value.as_str().to_owned()))
            .collect(),
    };
    let attempt = ctx.attempt().map(convert).unwrap_or_default();
    let others: Vec<Object> = ctx
        .task()
        .objects
        .iter()
        .filter(|object| object.id != attempt.id)
        .map(convert)
        .collect();
    Objects::new(attempt, others)
}
