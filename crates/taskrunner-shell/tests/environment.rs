//! The command's environment, end to end. Alone in its test binary because
//! it sets variables of the test process (no other test runs concurrently).

mod support;

use std::path::Path;

use support::{attempt, task, Run};
use taskrunner_activity::{Activity, Failure, Outcome};
use taskrunner_shell::{ShellCommandActivity, ShellConfig};

/// Runs `env` through `activity` and returns its output.
async fn child_env(activity: ShellCommandActivity, out: &Path) -> String {
    let object = attempt(&[
        ("command", "env"),
        ("stdout", out.to_str().expect("UTF-8")),
        ("@scheduledStartTime", "2024-01-01T00:00:00"),
    ]);
    let run = Run::new(task(object, Vec::new()));
    let scratch = run.ctx.scratch_dir();
    let outcome = activity
        .run(run.ctx.clone())
        .await
        .map_err(Failure::from_error);
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    let env = std::fs::read_to_string(out).expect("env output");
    std::fs::remove_file(out).expect("remove");
    assert!(
        env.lines()
            .any(|line| line == format!("DATAPIPELINE_WORKING_DIR={}", scratch.display())),
        "{env}"
    );
    env
}

#[test]
fn credentials_stay_with_the_runner_unless_passed() {
    // Before any thread exists that could read the environment concurrently.
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST"),
        ("AWS_SECRET_ACCESS_KEY", "test-secret-key"),
        ("AWS_SESSION_TOKEN", "test-session-token"),
        ("AWS_PROFILE", "test-profile"),
        ("AWS_REGION", "eu-west-1"),
        ("RUNNER_ONLY", "runner-secret"),
    ] {
        std::env::set_var(name, value);
    }
    let withholding = ShellCommandActivity::new(ShellConfig {
        remove_env: vec!["RUNNER_ONLY".into()],
        extra_env: [("MY_SETTING".to_owned(), "on".to_owned())].into(),
        ..ShellConfig::default()
    });
    // The environment is read when the activity is made, not per command.
    std::env::set_var("SET_AFTER_THE_ACTIVITY", "late");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("env");

    let env = runtime.block_on(child_env(withholding, &out));
    for secret in [
        "AKIATESTTESTTEST",
        "test-secret-key",
        "test-session-token",
        "test-profile",
        "runner-secret",
        "SET_AFTER_THE_ACTIVITY",
    ] {
        assert!(!env.contains(secret), "{secret} leaked:\n{env}");
    }
    for expected in [
        "AWS_REGION=eu-west-1",
        "MY_SETTING=on",
        "DATAPIPELINE_PIPELINE_ID=df-SHELLTEST",
        "DATAPIPELINE_ATTEMPT_ID=@Shell_2024-01-01T00:00:00_Attempt=1",
        "DATAPIPELINE_OBJECT_ID=Shell",
        "DATAPIPELINE_SCHEDULED_START_TIME=2024-01-01T00:00:00",
    ] {
        assert!(
            env.lines().any(|line| line == expected),
            "{expected} missing:\n{env}"
        );
    }
    assert!(env.lines().any(|line| line.starts_with("PATH=")), "{env}");
    assert!(!env.contains("task-"), "the task id leaked:\n{env}");

    let passing = ShellCommandActivity::new(ShellConfig {
        pass_aws_credentials: true,
        ..ShellConfig::default()
    });
    let env = runtime.block_on(child_env(passing, &out));
    for passed in [
        "AWS_ACCESS_KEY_ID=AKIATESTTESTTEST",
        "AWS_SECRET_ACCESS_KEY=test-secret-key",
        "AWS_SESSION_TOKEN=test-session-token",
        "RUNNER_ONLY=runner-secret",
        "SET_AFTER_THE_ACTIVITY=late",
    ] {
        assert!(
            env.lines().any(|line| line == passed),
            "{passed} missing:\n{env}"
        );
    }
}
