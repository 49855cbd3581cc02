//! The built-in activities the binary runs.

use std::sync::Arc;

use taskrunner::RunnerBuilder;
use taskrunner_shell::{
    ShellCommandActivity, ShellCommandPrecondition, ShellConfig, DEFAULT_KILL_GRACE,
};

use crate::cli::Tuning;

/// Registers ShellCommandActivity and ShellCommandPrecondition.
pub(crate) fn register(builder: RunnerBuilder, tuning: &Tuning) -> RunnerBuilder {
    let config = Arc::new(ShellConfig {
        pass_aws_credentials: tuning.pass_aws_credentials,
        // A canceled command gets SIGTERM, then SIGKILL after this grace,
        // which must end inside the runner's own cancel grace.
        kill_grace: DEFAULT_KILL_GRACE.min(tuning.cancel_grace / 2),
        ..ShellConfig::default()
    });
    builder
        .activity(
            "ShellCommandActivity",
            ShellCommandActivity::new(config.clone()),
        )
        .activity(
            "ShellCommandPrecondition",
            ShellCommandPrecondition::new(config),
        )
}

/// Applies the tuning flags every mode shares.
pub(crate) fn tune(builder: RunnerBuilder, tuning: &Tuning) -> RunnerBuilder {
    let lease = taskrunner::LeaseConfig {
        progress_interval: tuning.progress_interval,
        ..taskrunner::LeaseConfig::default()
    };
    let builder = builder
        .lease_config(lease)
        .drain_timeout(tuning.drain_timeout)
        .cancel_grace(tuning.cancel_grace);
    match &tuning.work_dir {
        Some(directory) => builder.scratch_root(directory),
        None => builder,
    }
}
