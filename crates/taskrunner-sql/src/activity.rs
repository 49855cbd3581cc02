//! The framework glue: [`SqlActivity`] and [`CopyActivity`] as
//! [`Activity`] impls. Every use of the runner's activity API is in this
//! file; the work itself is [`SqlScript`] and [`CopyJob`].

use std::sync::Arc;

use taskrunner_activity::{Activity, BoxError, Outcome, TaskContext};

use crate::copy::CopyJob;
use crate::database::RdsEndpoints;
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
        let scratch = ctx.scratch_dir();
        let result = ctx
            .until_cancelled(script.run(&self.config.store, &scratch))
            .await;
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
        let result = ctx
            .until_cancelled(job.run(&self.config.store, &scratch))
            .await;
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
