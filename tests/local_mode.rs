//! `taskrunner local DEFINITION.json`: every shipped example runs to the end
//! with every instance FINISHED; a refused definition exits 2 with the
//! service's validation message; `--parameter-values` changes what runs.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::*;

/// A local run of a small example ends well within this.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn examples() -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("examples/pipelines exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    files
}

/// Runs `taskrunner local` on `definition` with `extra` arguments.
async fn local(definition: &Path, extra: &[&str]) -> Taskrunner {
    let mut arguments = vec![
        "local".to_owned(),
        display(definition),
        "--timeout".to_owned(),
        "45s".to_owned(),
    ];
    arguments.extend(extra.iter().map(|argument| (*argument).to_owned()));
    run_to_end(&arguments, &[], RUN_LIMIT).await
}

/// The final table's rows: `(instance, status)`, checked against its
/// summary line `N of M instances finished`.
fn final_table(stdout: &str) -> Vec<(String, String)> {
    let table = stdout
        .rsplit_once("\ninstance ")
        .map(|(_, table)| table)
        .unwrap_or_else(|| panic!("no final table in:\n{stdout}"));
    let mut rows = Vec::new();
    for line in table.lines().skip(1) {
        if line.trim().is_empty() {
            break;
        }
        let mut columns = line.split_whitespace();
        let instance = columns.next().unwrap_or_default().to_owned();
        let _component = columns.next();
        let status = columns.next().unwrap_or_default().to_owned();
        rows.push((instance, status));
    }
    let summary = table
        .lines()
        .find(|line| line.contains("instances finished"))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    assert!(
        summary.ends_with(&format!(
            "of {} instances finished in {}",
            rows.len(),
            summary.rsplit(' ').next().unwrap_or_default()
        )),
        "the summary counts the rows: {summary}"
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_pipeline_finishes_every_instance() {
    let examples = examples();
    assert!(!examples.is_empty(), "examples/pipelines has definitions");
    // In parallel: each run starts its own service on a free port.
    let runs: Vec<_> = examples
        .iter()
        .map(|example| {
            let example = example.clone();
            tokio::spawn(async move {
                let mut runner = local(&example, &[]).await;
                let status = runner.wait(RUN_LIMIT).await;
                (example, status, runner)
            })
        })
        .collect();
    for run in runs {
        let (example, status, runner) = run.await.expect("the run does not panic");
        let name = example.display();
        assert_eq!(status.code(), Some(0), "{name}\n{}", runner.output());
        let rows = final_table(&runner.stdout());
        assert!(
            !rows.is_empty(),
            "{name} has instances\n{}",
            runner.output()
        );
        for (instance, status) in &rows {
            assert_eq!(
                status,
                "FINISHED",
                "{name}: {instance}\n{}",
                runner.output()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_example_runs_each_occurrence() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines/schedule.json");
    let mut runner = local(&example, &[]).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
    let rows = final_table(&runner.stdout());
    let stamps = rows
        .iter()
        .filter(|(instance, _)| instance.starts_with("@Stamp_"))
        .count();
    assert_eq!(stamps, 3, "occurrences 3: {rows:?}");
}

/// Writes `definition` to a file in `directory` and runs it.
async fn local_definition(
    directory: &Path,
    definition: serde_json::Value,
) -> (Taskrunner, PathBuf) {
    let file = directory.join("definition.json");
    std::fs::write(&file, definition.to_string()).expect("write the definition");
    (local(&file, &[]).await, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_type_is_refused_with_exit_2_and_the_validation_message() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
            {"id": "Typo", "name": "Typo", "type": "ShellCommandActivty", "command": "true"}
        ]}),
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(2),
        "{}",
        runner.output()
    );
    let stderr = runner.stderr();
    assert!(
        stderr.contains("Typo") && stderr.contains("unknown type 'ShellCommandActivty'"),
        "{}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_activity_without_a_command_is_refused_with_exit_2() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
            {"id": "NoCommand", "name": "NoCommand", "type": "ShellCommandActivity"}
        ]}),
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(2),
        "{}",
        runner.output()
    );
    let stderr = runner.stderr();
    assert!(
        stderr.contains("NoCommand") && stderr.contains("'command'"),
        "{}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activity_no_runner_could_take_is_refused_with_exit_2() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand"},
            {"id": "Nowhere", "name": "Nowhere", "type": "ShellCommandActivity", "command": "true"}
        ]}),
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(2),
        "{}",
        runner.output()
    );
    assert!(
        runner.stderr().contains("workerGroup"),
        "{}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_definition_file_is_refused_with_exit_2() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("broken.json");
    std::fs::write(&file, "{\"objects\": [").unwrap();
    let mut runner = local(&file, &[]).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(2),
        "{}",
        runner.output()
    );
    assert!(
        runner.stderr().contains(&display(&file)),
        "{}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_activity_exits_1_and_shows_its_error() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand",
             "workerGroup": "local", "maximumRetries": "0"},
            {"id": "Broken", "name": "Broken", "type": "ShellCommandActivity",
             "command": "echo local-failure-detail >&2; exit 3"}
        ]}),
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(1),
        "{}",
        runner.output()
    );
    let rows = final_table(&runner.stdout());
    assert!(
        rows.iter().any(|(_, status)| status == "FAILED"),
        "{rows:?}"
    );
    assert!(
        runner.stdout().contains("local-failure-detail"),
        "the table shows the error: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_values_change_what_runs() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines/parameters.json");
    let defaults = tempfile::tempdir().unwrap();
    let overridden = tempfile::tempdir().unwrap();
    let directory_value =
        |directory: &tempfile::TempDir| format!("myOutputDirectory={}", display(directory.path()));
    let defaults_value = directory_value(&defaults);
    let overridden_value = directory_value(&overridden);
    let mut with_defaults = local(&example, &["--parameter-values", &defaults_value]).await;
    let mut with_values = local(
        &example,
        &[
            "--parameter-values",
            "myGreeting=bonjour",
            "myRepeat=3",
            &overridden_value,
        ],
    )
    .await;
    for runner in [&mut with_defaults, &mut with_values] {
        assert_eq!(
            runner.wait(RUN_LIMIT).await.code(),
            Some(0),
            "{}",
            runner.output()
        );
    }
    assert_eq!(
        std::fs::read_to_string(defaults.path().join("greeting.txt")).unwrap(),
        "hello from parameters\nhello from parameters\n",
        "the definition's values section applies"
    );
    assert_eq!(
        std::fs::read_to_string(overridden.path().join("greeting.txt")).unwrap(),
        "bonjour\nbonjour\nbonjour\n",
        "--parameter-values wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_parameter_value_is_accepted() {
    // AWS takes values for parameters the definition does not declare (its
    // samples are put with `--parameter-values myLogUri=…` and no
    // `parameters` section), and so does the service (issue #11).
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines/parameters.json");
    let mut runner = local(&example, &["--parameter-values", "myUndeclared=x"]).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
}
