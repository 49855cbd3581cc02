//! [`ShellCommandPrecondition`]: a shell command that says whether a
//! precondition holds.

use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;

use taskrunner_activity::{Activity, BoxError, Outcome, TaskContext};

use crate::execution::execute;
use crate::resources::Resources;
use crate::ShellConfig;

/// The `ShellCommandPrecondition` object type: runs the same command fields
/// as [`ShellCommandActivity`](crate::ShellCommandActivity).
///
/// - exit 0 → `FINISHED` (the precondition holds);
/// - any other exit status → `FALSE` (it does not hold);
/// - killed by a signal (not by its own choice) → `FAILED` with errorId
///   [`ShellCommandFailed`](crate::error_id::SHELL_COMMAND_FAILED): the
///   check could not be made, which is not the same as "false";
/// - unusable fields, failed steps and cancellation as for the activity.
///
/// It runs the check once per call; the runner (`taskrunner`) calls it
/// again every `retryDelay` while it answers FALSE, until its
/// `preconditionTimeout` is spent, within the same attempt.
#[derive(Debug, Clone)]
pub struct ShellCommandPrecondition {
    config: Arc<ShellConfig>,
    /// Kept from one command to the next, shared by clones.
    resources: Arc<Resources>,
}

impl ShellCommandPrecondition {
    /// The precondition with these settings.
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

impl Default for ShellCommandPrecondition {
    fn default() -> Self {
        Self::new(ShellConfig::default())
    }
}

impl Activity for ShellCommandPrecondition {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let completion = execute(&ctx, &self.config, &self.resources).await?;
        Ok(if completion.succeeded() {
            Outcome::Finished
        } else if completion.status.signal().is_some() {
            completion.failed()
        } else {
            Outcome::PreconditionFalse
        })
    }
}
