//! [`ShellCommandActivity`]: runs a pipeline's shell command.

use std::sync::Arc;

use taskrunner_activity::{Activity, BoxError, Outcome, TaskContext};

use crate::execution::execute;
use crate::resources::Resources;
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
#[derive(Debug, Clone)]
pub struct ShellCommandActivity {
    config: Arc<ShellConfig>,
    /// Kept from one command to the next, shared by clones.
    resources: Arc<Resources>,
}

impl ShellCommandActivity {
    /// The activity with these settings.
    ///
    /// Takes a [`ShellConfig`] or an `Arc<ShellConfig>` shared with the
    /// other shell activity.
    ///
    /// The runner's environment is read here: commands inherit it as it
    /// is now (see [the crate docs](crate#the-environment)).
    pub fn new(config: impl Into<Arc<ShellConfig>>) -> Self {
        let config = config.into();
        Self {
            resources: Arc::new(Resources::new(&config)),
            config,
        }
    }

    /// Its settings.
    pub fn config(&self) -> &ShellConfig {
        &self.config
    }
}

impl Default for ShellCommandActivity {
    fn default() -> Self {
        Self::new(ShellConfig::default())
    }
}

impl Activity for ShellCommandActivity {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let completion = execute(&ctx, &self.config, &self.resources).await?;
        Ok(if completion.succeeded() {
            Outcome::Finished
        } else {
            completion.failed()
        })
    }
}
