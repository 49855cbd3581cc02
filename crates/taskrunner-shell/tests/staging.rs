//! `stage` = `true`: input and output data nodes copied in and out of the
//! staging directories.

use crate::support;

use std::path::Path;
use std::sync::Arc;

use support::{attempt, error, failed, task, FakeS3, Run};
use taskrunner_activity::{Activity, Failure, Outcome};
use taskrunner_api::{Field, TaskObject};
use taskrunner_shell::{error_id, ShellCommandActivity, ShellConfig};

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

fn data_node(id: &str, key: &str, path: &str) -> TaskObject {
    TaskObject::new(id, id)
        .with_field(Field::string("type", "S3DataNode"))
        .with_field(Field::string(key, path))
}

/// Runs `command` with `stage` = `true`, the given `input`/`output`
/// references and the data nodes the task carries.
async fn staged(
    config: ShellConfig,
    command: &str,
    inputs: &[&str],
    outputs: &[&str],
    nodes: Vec<TaskObject>,
) -> Result<Outcome, Failure> {
    let mut object = attempt(&[("command", command), ("stage", "true")]);
    for input in inputs {
        object = object.with_field(Field::reference("input", *input));
    }
    for output in outputs {
        object = object.with_field(Field::reference("output", *output));
    }
    Run::new(task(object, nodes))
        .with(&ShellCommandActivity::new(config))
        .await
}

#[tokio::test]
async fn local_directories_are_copied_in_and_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).expect("mkdir");
    std::fs::write(input.join("a.txt"), "alpha\n").expect("write");
    std::fs::write(input.join("sub/b.txt"), "beta\n").expect("write");
    let output = dir.path().join("results/out");
    let output_url = format!("file://{}", path_str(&output));

    let command = r#"cat "$INPUT1_STAGING_DIR/a.txt" "$INPUT1_STAGING_DIR/sub/b.txt" > "$OUTPUT1_STAGING_DIR/both.txt"
        mkdir "$OUTPUT1_STAGING_DIR/nested" && echo gamma > "$OUTPUT1_STAGING_DIR/nested/c.txt""#;
    let outcome = staged(
        ShellConfig::default(),
        command,
        &["In"],
        &["Out"],
        vec![
            data_node("In", "directoryPath", path_str(&input)),
            data_node("Out", "directoryPath", &output_url),
        ],
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert_eq!(
        std::fs::read_to_string(output.join("both.txt")).expect("out"),
        "alpha\nbeta\n"
    );
    assert_eq!(
        std::fs::read_to_string(output.join("nested/c.txt")).expect("out"),
        "gamma\n"
    );
}

#[tokio::test]
async fn files_are_staged_by_name_and_numbered_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    std::fs::write(&first, "1\n").expect("write");
    std::fs::write(&second, "2\n").expect("write");
    let result = dir.path().join("out/result.csv");

    let command = r#"cat "$INPUT1_STAGING_DIR/first.csv" "$INPUT2_STAGING_DIR/second.csv" > "$OUTPUT1_STAGING_DIR/anything.csv""#;
    let outcome = staged(
        ShellConfig::default(),
        command,
        &["First", "Second"],
        &["Result"],
        vec![
            data_node("First", "filePath", path_str(&first)),
            data_node("Second", "filePath", path_str(&second)),
            data_node("Result", "filePath", path_str(&result)),
        ],
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    // The only file in the output directory is the output file.
    assert_eq!(std::fs::read_to_string(&result).expect("result"), "1\n2\n");
}

#[tokio::test]
async fn a_failed_command_stages_nothing_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out");
    let outcome = staged(
        ShellConfig::default(),
        r#"echo partial > "$OUTPUT1_STAGING_DIR/x"; exit 1"#,
        &[],
        &["Out"],
        vec![data_node("Out", "directoryPath", path_str(&output))],
    )
    .await;
    let (id, _, _) = failed(outcome.expect("runs"));
    assert_eq!(id, error_id::SHELL_COMMAND_FAILED);
    assert!(!output.exists());
}

#[tokio::test]
async fn nodes_the_task_does_not_carry_get_empty_directories() {
    let outcome = staged(
        ShellConfig::default(),
        r#"test -d "$INPUT1_STAGING_DIR" && test -z "$(ls -A "$INPUT1_STAGING_DIR")" && test -d "$OUTPUT1_STAGING_DIR""#,
        &["NotSent"],
        &["AlsoNotSent"],
        Vec::new(),
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
}

#[tokio::test]
async fn a_missing_input_fails_staging() {
    let outcome = staged(
        ShellConfig::default(),
        "true",
        &["In"],
        &[],
        vec![data_node("In", "directoryPath", "/nonexistent/input")],
    )
    .await;
    let (id, message) = error(outcome);
    assert_eq!(id, error_id::STAGING_FAILED);
    assert_eq!(
        message,
        "could not stage input #1 (In) in: /nonexistent/input does not exist"
    );
}

#[tokio::test]
async fn s3_nodes_need_a_storage_and_use_it() {
    let nodes = || {
        vec![
            data_node("In", "directoryPath", "s3://bucket/in/"),
            data_node("Out", "filePath", "s3://bucket/out/report.txt"),
        ]
    };
    let command = r#"tr a-z A-Z < "$INPUT1_STAGING_DIR/words" > "$OUTPUT1_STAGING_DIR/report.txt""#;
    let (id, message) =
        error(staged(ShellConfig::default(), command, &["In"], &["Out"], nodes()).await);
    assert_eq!(id, error_id::S3_NOT_CONFIGURED);
    assert!(message.contains("s3://bucket/in/"), "{message}");

    let s3 = Arc::new(FakeS3::new());
    s3.put("s3://bucket/in/words", "hello\n");
    let config = ShellConfig {
        storage: Some(s3.clone()),
        ..ShellConfig::default()
    };
    let outcome = staged(config, command, &["In"], &["Out"], nodes()).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert_eq!(
        s3.get("s3://bucket/out/report.txt").as_deref(),
        Some("HELLO\n")
    );
}

#[tokio::test]
async fn stage_must_be_a_boolean_and_false_stages_nothing() {
    let object = attempt(&[("command", "true"), ("stage", "yes")]);
    let result = Run::new(task(object, Vec::new()))
        .with(&ShellCommandActivity::new(ShellConfig::default()))
        .await;
    let (id, message) = error(result);
    assert_eq!(id, error_id::INVALID_SHELL_COMMAND);
    assert_eq!(message, "stage must be true or false, not \"yes\"");

    let object = attempt(&[
        ("command", r#"test -z "$INPUT1_STAGING_DIR""#),
        ("stage", "false"),
    ])
    .with_field(Field::reference("input", "In"));
    let activity = ShellCommandActivity::new(ShellConfig::default());
    let outcome = activity.run(Run::new(task(object, Vec::new())).ctx).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
}
