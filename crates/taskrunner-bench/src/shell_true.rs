//! `true`, run the two ways `shell-throughput` compares: as a bare
//! `sh -c true`, and through `taskrunner-shell`'s `ShellCommandActivity`
//! with nothing around it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{ensure, Context as _};
use taskrunner::{
    task::{Field, Task, TaskObject},
    Activity, Outcome, TaskContext,
};
use taskrunner_shell::{ShellCommandActivity, ShellConfig};

/// The attempt id of the activity's contexts.
const ATTEMPT_ID: &str = "@Shell_2026-01-01T00:00:00_Attempt=1";

/// Spawns `sh -c true` and checks that it exited 0.
pub(crate) async fn spawn_sh_true() -> anyhow::Result<()> {
    let status = tokio::process::Command::new("sh")
        .args(["-c", "true"])
        .stdin(std::process::Stdio::null())
        .status()
        .await
        .context("cannot run sh -c true")?;
    ensure!(status.success(), "sh -c true answered {status}");
    Ok(())
}

/// A `ShellCommandActivity` with `ShellConfig::default()` and working
/// directories under one scratch root, shared by every loop of a pass.
#[derive(Debug, Clone)]
pub(crate) struct TrueThroughActivity {
    activity: ShellCommandActivity,
    scratch: Arc<Path>,
}

impl TrueThroughActivity {
    /// The activity, with its working directories under `scratch`.
    pub(crate) fn new(scratch: &Path) -> Self {
        Self {
            activity: ShellCommandActivity::new(ShellConfig::default()),
            scratch: scratch.into(),
        }
    }

    /// Runs `true` through `ShellCommandActivity::run` on a fresh context
    /// (task `bench-{unit}`, no runner and no service), and checks that it
    /// finished.
    pub(crate) async fn run(&self, unit: usize) -> anyhow::Result<()> {
        let attempt = TaskObject::new(ATTEMPT_ID, "Shell")
            .with_field(Field::string("type", "ShellCommandActivity"))
            .with_field(Field::string("command", "true"));
        let task = Task::new(format!("bench-{unit}"), "df-BENCH", ATTEMPT_ID).with_object(attempt);
        let ctx = TaskContext::builder(task)
            .scratch_root(self.scratch.clone())
            .build();
        let outcome = self.activity.run(ctx).await;
        ensure!(
            matches!(outcome, Ok(Outcome::Finished)),
            "true through the activity answered {outcome:?}"
        );
        Ok(())
    }
}
