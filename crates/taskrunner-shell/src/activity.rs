//! [`ShellCommandActivity`]: runs a pipeline's shell command.

use std::sync::Arc;

use taskrunner_activity::{Activity, BoxError, Outcome, TaskContext};

use crate::execution::execute;
use crate::spare_dirs::SpareDirs;
use crate::ShellConfig;

/// The `ShellCommandActivity` object type: runs `command` or `scriptUri`
/// (see the [crate docs](crate) for the fields, the environment and the
/// kill sequence).
///
/// - exit 0 → `FINISHED` (after `stdout`/`stderr` uploads and staging out);
/// - non-zero exit or death by signal → `FAILED` with errorId
///   [`ShellCommandFailed`](crate::error_id::SHELL_COMMAND_FAILED), the
///   status and the stderr tail;
/// - unusable fields or a failed step around the command → `FAILED` with the
///   step's errorId from [`error_id`](crate::error_id);
/// - cancelled → the process group is stopped, then the
///   [`Cancelled`](taskrunner_activity::Cancelled) failure.
///
/// Cloning is cheap; one value serves any number of concurrent tasks.
#[derive(Debug, Clone, Default)]
pub struct ShellCommandActivity {
    config: Arc<ShellConfig>,
    /// Emptied working directories for the next attempts, shared by clones.
    spares: Arc<SpareDirs>,
}

impl ShellCommandActivity {
    /// The activity with these settings.
    ///
    /// Takes a [`ShellConfig`] or an `Arc<ShellConfig>` shared with the
    /// other shell activity.
    pub fn new(config: impl Into<Arc<ShellConfig>>) -> Self {
        Self {
            config: config.into(),
            spares: Arc::default(),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &ShellConfig {
        &self.config
    }
}

impl Activity for ShellCommandActivity {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let completion = execute(&ctx, &self.config, &self.spares).await?;
        Ok(if completion.succeeded() {
            Outcome::Finished
        } else {
            completion.failed()
        })
    }
}
