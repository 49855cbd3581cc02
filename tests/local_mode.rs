//! `taskrunner local DEFINITION.json`: every shipped example runs to the end
//! with every instance FINISHED; a refused definition exits 2 with the
//! service's validation message; `--parameter-values` changes what runs.
//!
//! And the points of issue #11 for the local mode: parameter values and
//! files as the AWS CLI sends them (5), endless schedules bounded by
//! `--periods` (6), work on resources and types not built in (7), no escape
//! codes in pipes or under `NO_COLOR` (9), and encrypted values never shown
//! (2).

use crate::support;

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
    local_with_env(definition, extra, &[]).await
}

/// Runs `taskrunner local` on `definition` with `extra` arguments and `env`.
async fn local_with_env(definition: &Path, extra: &[&str], env: &[(&str, &str)]) -> Taskrunner {
    let mut arguments = vec![
        "local".to_owned(),
        display(definition),
        "--timeout".to_owned(),
        "45s".to_owned(),
    ];
    arguments.extend(extra.iter().map(|argument| (*argument).to_owned()));
    run_to_end(&arguments, env, RUN_LIMIT).await
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
async fn an_undeclared_parameter_value_is_accepted_with_a_warning() {
    // As AWS does (issue #11 point 3): the value is taken as a String, with a warning.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines/parameters.json");
    let scratch = tempfile::tempdir().unwrap();
    let directory = format!("myOutputDirectory={}", display(scratch.path()));
    let mut runner = local(
        &example,
        &["--parameter-values", "myUndeclared=x", &directory],
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
    assert!(
        runner.stderr().contains("myUndeclared"),
        "{}",
        runner.output()
    );
}

/// A definition whose command writes `#{myWord}` (declared with no default)
/// into `out.txt` of `directory`.
fn word_definition(directory: &Path, parameters: bool) -> serde_json::Value {
    let mut definition = serde_json::json!({"objects": [
        {"id": "Default", "name": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
        {"id": "Write", "name": "Write", "type": "ShellCommandActivity",
         "command": format!("echo #{{myWord}} > {}/out.txt", display(directory))}
    ]});
    if parameters {
        definition["parameters"] = serde_json::json!([{"id": "myWord", "type": "String"}]);
    }
    definition
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_without_a_default_takes_its_value_from_the_command_line() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    std::fs::write(&file, word_definition(scratch.path(), true).to_string()).unwrap();
    let mut runner = local(&file, &["--parameter-values", "myWord=given"]).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("out.txt")).unwrap(),
        "given\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_objects_and_values_files_work_as_in_the_aws_cli() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    std::fs::write(&file, word_definition(scratch.path(), false).to_string()).unwrap();
    let parameters = scratch.path().join("parameters.json");
    std::fs::write(
        &parameters,
        r#"{"parameters": [{"id": "myWord", "type": "String", "allowedValues": ["filed", "typed"]}]}"#,
    )
    .unwrap();
    let values = scratch.path().join("values.json");
    std::fs::write(&values, r#"{"values": {"myWord": "filed"}}"#).unwrap();
    let parameters_uri = format!("file://{}", display(&parameters));
    let values_uri = format!("file://{}", display(&values));
    let files = [
        "--parameter-objects",
        parameters_uri.as_str(),
        "--parameter-values-uri",
        values_uri.as_str(),
    ];
    let mut from_files = local(&file, &files).await;
    assert_eq!(
        from_files.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        from_files.output()
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("out.txt")).unwrap(),
        "filed\n",
        "the values file gives the value"
    );
    let mut typed = files.to_vec();
    typed.extend(["--parameter-values", "myWord=typed"]);
    let mut overridden = local(&file, &typed).await;
    assert_eq!(
        overridden.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        overridden.output()
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("out.txt")).unwrap(),
        "typed\n",
        "a value typed on the command line replaces the file's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_parameter_file_exits_2_naming_the_file() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    std::fs::write(&file, word_definition(scratch.path(), true).to_string()).unwrap();
    let broken = scratch.path().join("values.json");
    std::fs::write(&broken, r#"{"myWord": "no values member"}"#).unwrap();
    let too_large = scratch.path().join("large.json");
    std::fs::write(
        &too_large,
        format!(r#"{{"values": {{"myWord": "{}"}}}}"#, "x".repeat(20_000)),
    )
    .unwrap();
    for (bad, expected) in [
        (&broken, "\"values\" must be an object"),
        (&too_large, "at most 15360"),
    ] {
        let mut runner = local(&file, &["--parameter-values-uri", &display(bad)]).await;
        assert_eq!(
            runner.wait(RUN_LIMIT).await.code(),
            Some(2),
            "{}",
            runner.output()
        );
        let stderr = runner.stderr();
        assert!(
            stderr.contains(&display(bad)) && stderr.contains(expected),
            "{}",
            runner.output()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_schedule_with_no_end_runs_its_first_periods_at_once() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipelines/daily.json");
    for (periods, expected) in [("1", 1), ("3", 3)] {
        let started = std::time::Instant::now();
        let mut runner = local(&example, &["--periods", periods]).await;
        assert_eq!(
            runner.wait(RUN_LIMIT).await.code(),
            Some(0),
            "{}",
            runner.output()
        );
        // A day of pipeline time is 144 s at the default scale: the periods
        // must not be waited for.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            runner
                .stdout()
                .contains("Schedule 'Daily' has no end: running"),
            "{}",
            runner.output()
        );
        let rows = final_table(&runner.stdout());
        assert_eq!(rows.len(), expected, "--periods {periods}: {rows:?}");
        assert!(
            rows.iter().all(|(_, status)| status == "FINISHED"),
            "{rows:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_long_past_with_no_end_runs_only_its_first_periods() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(
        scratch.path(),
        serde_json::json!({"objects": [
            {"id": "Default", "name": "Default", "scheduleType": "cron",
             "workerGroup": "local", "schedule": {"ref": "Hourly"}},
            {"id": "Hourly", "name": "Hourly", "type": "Schedule", "period": "1 hour",
             "startDateTime": "2020-01-01T00:00:00"},
            {"id": "Tick", "name": "Tick", "type": "ShellCommandActivity", "command": "true"}
        ]}),
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        runner.output()
    );
    let rows = final_table(&runner.stdout());
    let instances: Vec<&str> = rows.iter().map(|(instance, _)| instance.as_str()).collect();
    assert_eq!(
        instances,
        ["@Tick_2020-01-01T00:00:00"],
        "not a backfill up to now"
    );
}

/// A definition with shell work on an Ec2Resource and Hive work on an
/// EmrCluster, neither retried.
fn resources_definition() -> serde_json::Value {
    serde_json::json!({"objects": [
        {"id": "Default", "name": "Default", "scheduleType": "ondemand", "maximumRetries": "0"},
        {"id": "Machine", "name": "Machine", "type": "Ec2Resource"},
        {"id": "Cluster", "name": "Cluster", "type": "EmrCluster"},
        {"id": "Shell", "name": "Shell", "type": "ShellCommandActivity", "command": "true",
         "runsOn": {"ref": "Machine"}},
        {"id": "Hive", "name": "Hive", "type": "HiveActivity", "hiveScript": "select 1",
         "runsOn": {"ref": "Cluster"}, "input": {"ref": "In"}, "output": {"ref": "Out"}},
        {"id": "In", "name": "In", "type": "S3DataNode", "directoryPath": "s3://bucket/in"},
        {"id": "Out", "name": "Out", "type": "S3DataNode", "directoryPath": "s3://bucket/out"}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_on_resources_says_where_it_ran_and_unbuilt_types_fail_clearly() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut runner, _) = local_definition(scratch.path(), resources_definition()).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(1),
        "{}",
        runner.output()
    );
    let stdout = runner.stdout();
    assert!(
        stdout.contains(
            "Shell (ShellCommandActivity) runs on Ec2Resource 'Machine' (this machine stands in)"
        ),
        "{}",
        runner.output()
    );
    assert!(
        stdout.contains("Hive (HiveActivity) runs on EmrCluster 'Cluster'"),
        "{}",
        runner.output()
    );
    let rows = final_table(&stdout);
    let status = |component: &str| {
        rows.iter()
            .find(|(instance, _)| instance.starts_with(&format!("@{component}_")))
            .map(|(_, status)| status.clone())
    };
    assert_eq!(status("Shell").as_deref(), Some("FINISHED"), "{rows:?}");
    assert_eq!(status("Hive").as_deref(), Some("FAILED"), "{rows:?}");
    assert!(
        stdout.contains("ActivityNotBuiltIn: HiveActivity is not built into this task runner"),
        "{}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_into_pipes_has_no_escape_codes() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    std::fs::write(&file, resources_definition().to_string()).unwrap();
    // Info logs too, so that the log lines' styling would show.
    let mut runner = local_with_env(&file, &[], &[("RUST_LOG", "info")]).await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(1),
        "{}",
        runner.output()
    );
    assert!(
        runner.stderr().contains("activity ended"),
        "{}",
        runner.output()
    );
    assert!(!runner.output().contains("\x1b["), "{:?}", runner.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_color_keeps_escape_codes_off_a_terminal() {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    std::fs::write(&file, resources_definition().to_string()).unwrap();
    // `script` runs the binary on a pseudo-terminal and copies what it
    // writes there to our pipe.
    let on_a_terminal = |no_color: &str| {
        let command = format!("{BINARY} local {} --timeout 45s", display(&file));
        let output = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("NO_COLOR", no_color)
            .env("RUST_LOG", "info")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script(1) from util-linux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let coloured = on_a_terminal("");
    assert!(
        coloured.contains("\x1b["),
        "a terminal gets them: {coloured:?}"
    );
    let plain = on_a_terminal("1");
    assert!(plain.contains("instances finished"), "{plain:?}");
    assert!(!plain.contains("\x1b["), "NO_COLOR=1: {plain:?}");
}

/// The canary of the encrypted-value tests.
const CANARY: &str = "canary-5f3a9c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_field_never_shows_in_the_view_the_table_or_the_logs() {
    let scratch = tempfile::tempdir().unwrap();
    let logs = scratch.path().join("logs");
    let file = scratch.path().join("definition.json");
    let definition = serde_json::json!({"objects": [
        {"id": "Default", "name": "Default", "scheduleType": "ondemand",
         "workerGroup": "local", "maximumRetries": "0"},
        {"id": "Leak", "name": "Leak", "type": "ShellCommandActivity", "*password": CANARY,
         "command": format!("echo {CANARY} >&2; exit 1")}
    ]});
    std::fs::write(&file, definition.to_string()).unwrap();
    let mut runner = local_with_env(
        &file,
        &["--output", &display(&logs)],
        &[("RUST_LOG", "trace")],
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(1),
        "{}",
        tail(&runner.output(), 4000)
    );
    let output = runner.output();
    assert!(
        output.contains("stderr: ********"),
        "{}",
        tail(&output, 4000)
    );
    assert!(!output.contains(CANARY), "the canary shows in the output");
    for log in files_under(&logs) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !text.contains(CANARY),
            "the canary shows in {}",
            log.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_parameter_reaches_the_command_but_never_the_output() {
    // The service takes `*my` parameters and `#{*myX}` expressions (dp-custom-templates.md).
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("definition.json");
    let definition = serde_json::json!({
        "objects": [
            {"id": "Default", "name": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
            {"id": "Use", "name": "Use", "type": "ShellCommandActivity",
             "command": format!("echo #{{*myPassword}} > {}/received.txt", display(scratch.path()))}
        ],
        "parameters": [{"id": "*myPassword", "type": "String"}]
    });
    std::fs::write(&file, definition.to_string()).unwrap();
    let value = format!("*myPassword={CANARY}");
    let mut runner = local_with_env(
        &file,
        &["--parameter-values", &value],
        &[("RUST_LOG", "trace")],
    )
    .await;
    assert_eq!(
        runner.wait(RUN_LIMIT).await.code(),
        Some(0),
        "{}",
        tail(&runner.output(), 4000)
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("received.txt")).unwrap(),
        format!("{CANARY}\n")
    );
    assert!(
        !runner.output().contains(CANARY),
        "the canary shows in the output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_mode_fails_unbuilt_types_with_activity_not_built_in() {
    let service = service().await;
    let node = |id: &str| {
        object(
            id,
            vec![
                string("type", "S3DataNode"),
                string("directoryPath", &format!("s3://bucket/{id}")),
            ],
        )
    };
    let pipeline = submit(
        &service.client,
        "not-built-in",
        vec![
            on_demand_default("emr-work"),
            object(
                "Hive",
                vec![
                    string("type", "HiveActivity"),
                    string("hiveScript", "select 1"),
                    reference("input", "In"),
                    reference("output", "Out"),
                ],
            ),
            node("In"),
            node("Out"),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "emr-work", &[]);
    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Hive",
        &["FAILED", "FINISHED"],
        RUN_LIMIT,
    )
    .await;
    runner.stop().await;
    assert_eq!(status, "FAILED", "{}", runner.output());
    assert_eq!(
        attempt_field(&service.client, &pipeline, "Hive", "errorId")
            .await
            .as_deref(),
        Some("ActivityNotBuiltIn")
    );
    let message = attempt_field(&service.client, &pipeline, "Hive", "errorMessage")
        .await
        .unwrap_or_default();
    assert!(
        message.starts_with("HiveActivity is not built into this task runner"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_mode_masks_a_tasks_encrypted_fields_in_its_logs() {
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "encrypted",
        vec![
            on_demand_default("secret-work"),
            shell(
                "Leak",
                &format!("echo {CANARY} >&2; exit 1"),
                vec![string("*myToken", CANARY)],
            ),
        ],
    )
    .await;
    let mut arguments = vec!["--endpoint".to_owned(), service.url()];
    arguments.extend(
        [
            "--workerGroup",
            "secret-work",
            "--accessId",
            "x",
            "--secretKey",
            "y",
            "--region",
            "us-east-1",
        ]
        .map(str::to_owned),
    );
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[("RUST_LOG", "info")]);
    wait_for_status(&service.client, &pipeline, "Leak", &["FAILED"], RUN_LIMIT).await;
    runner.stop().await;
    let output = runner.output();
    assert!(output.contains("stderr: ********"), "{output}");
    assert!(!output.contains(CANARY), "the canary shows: {output}");
}
