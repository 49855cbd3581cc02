//! Preconditions as the Java Task Runner runs them (issue #12 points 1 and
//! 2), through the binary: `taskrunner local` with its embedded service.
//!
//! - A false precondition is checked again every `retryDelay` inside one
//!   attempt until its `preconditionTimeout` is spent (dp-taskrunner-threading.md).
//! - Preconditions have slots of their own beside `--tasks`, so a runner
//!   whose only task slot holds a long activity still checks them.
//!
//! `taskrunner local` runs pipeline time at ×600: "1 minutes" is 0.1 s.

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::*;

const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Writes `definition` into `directory` and runs it with `extra` flags,
/// attempts' working directories under `directory/work`.
async fn local(directory: &Path, definition: serde_json::Value, extra: &[&str]) -> Taskrunner {
    let file = directory.join("definition.json");
    std::fs::write(&file, definition.to_string()).expect("write the definition");
    let mut arguments = vec![
        "local".to_owned(),
        display(&file),
        "--timeout".to_owned(),
        "45s".to_owned(),
        "--work-dir".to_owned(),
        display(&directory.join("work")),
    ];
    arguments.extend(extra.iter().map(|argument| (*argument).to_owned()));
    run_to_end(&arguments, &[], RUN_LIMIT).await
}

/// The attempt directories of component `component` the run left.
fn attempts_of(directory: &Path, component: &str) -> Vec<String> {
    let prefix = format!("@{component}_");
    let mut attempts: Vec<String> = files_under(&directory.join("work"))
        .iter()
        .flat_map(|path| path.components())
        .filter_map(|part| part.as_os_str().to_str().map(str::to_owned))
        .filter(|part| part.starts_with(&prefix) && part.contains("_Attempt="))
        .collect();
    attempts.sort();
    attempts.dedup();
    attempts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_is_checked_beside_a_long_activity_on_one_task_slot() {
    let scratch = tempfile::tempdir().unwrap();
    let marks = display(scratch.path());
    // The long activity ends only once the precondition has seen it run,
    // and the precondition holds only once the long activity runs: with
    // one task slot and no precondition slots neither could end.
    let mut runner = local(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand",
             "workerGroup": "local", "maximumRetries": "0"},
            {"id": "Long", "name": "Long", "type": "ShellCommandActivity",
             "command": format!("touch {marks}/long-running; for i in $(seq 200); do [ -e {marks}/checked ] && exit 0; sleep 0.1; done; exit 1")},
            {"id": "Ready", "name": "Ready", "type": "ShellCommandPrecondition",
             "command": format!("echo check >> {marks}/checks; [ -e {marks}/long-running ] && touch {marks}/checked"),
             "retryDelay": "1 minutes", "preconditionTimeout": "2 hours"},
            {"id": "Guarded", "name": "Guarded", "type": "ShellCommandActivity",
             "command": "true", "precondition": {"ref": "Ready"}}
        ]}),
        &["--tasks", "1"],
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
    assert!(scratch.path().join("checked").exists());
    assert_eq!(
        attempts_of(scratch.path(), "Ready").len(),
        1,
        "every check in one attempt: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_that_never_holds_fails_at_its_timeout_after_one_attempt() {
    let scratch = tempfile::tempdir().unwrap();
    let marks = display(scratch.path());
    let mut runner = local(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand",
             "workerGroup": "local", "maximumRetries": "2"},
            {"id": "Never", "name": "Never", "type": "ShellCommandPrecondition",
             "command": format!("echo check >> {marks}/checks; false"),
             "retryDelay": "1 minutes", "preconditionTimeout": "5 minutes"},
            {"id": "Guarded", "name": "Guarded", "type": "ShellCommandActivity",
             "command": "true", "precondition": {"ref": "Never"}}
        ]}),
        &[],
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(1),
        "{}",
        runner.output()
    );
    let checks = std::fs::read_to_string(scratch.path().join("checks")).unwrap_or_default();
    // Every 0.1 s for 0.5 s, less what each check itself takes.
    let count = checks.lines().count();
    assert!(
        (2..=6).contains(&count),
        "{count} checks: {}",
        runner.output()
    );
    assert_eq!(
        attempts_of(scratch.path(), "Never").len(),
        1,
        "the service does not retry a FALSE the runner reports at the timeout: {}",
        runner.output()
    );
    assert!(
        runner.stdout().contains("PreconditionTimeout"),
        "{}",
        runner.output()
    );
}
