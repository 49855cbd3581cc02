//! ShellCommandActivity and ShellCommandPrecondition with real processes:
//! outcomes, arguments, scripts, output and bad fields.

use crate::support;

use std::path::Path;
use std::sync::Arc;

use support::{attempt, error, failed, run, task, FakeS3, Run};
use taskrunner_activity::{Activity, Failure, Outcome};
use taskrunner_shell::{error_id, ShellCommandActivity, ShellCommandPrecondition, ShellConfig};

fn activity() -> ShellCommandActivity {
    ShellCommandActivity::new(ShellConfig::default())
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

#[tokio::test]
async fn a_command_that_exits_0_finishes() {
    let outcome = run(&activity(), &[("command", "echo hello; true")]).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
}

#[tokio::test]
async fn a_non_zero_exit_fails_with_the_status_and_the_stderr_tail() {
    let outcome = run(
        &activity(),
        &[("command", "echo to stdout; echo 'oh no' >&2; exit 3")],
    )
    .await
    .expect("runs");
    let (id, message, trace) = failed(outcome);
    assert_eq!(id, error_id::SHELL_COMMAND_FAILED);
    assert_eq!(message, "command exited with status 3; stderr: oh no");
    assert_eq!(trace.as_deref(), Some("oh no"));

    let (_, message, trace) = failed(
        run(&activity(), &[("command", "exit 42")])
            .await
            .expect("runs"),
    );
    assert_eq!(message, "command exited with status 42");
    assert_eq!(trace, None);
}

#[tokio::test]
async fn only_the_tail_of_a_long_stderr_is_kept() {
    let command = "head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo THE END >&2; exit 1";
    let (_, message, trace) = failed(
        run(&activity(), &[("command", command)])
            .await
            .expect("runs"),
    );
    assert!(
        message.ends_with("xxx\nTHE END"),
        "{}",
        &message[message.len() - 40..]
    );
    assert!(message.len() < 4096 + 100, "{}", message.len());
    let trace = trace.expect("a stack trace");
    assert!(trace.ends_with("THE END"));
    assert_eq!(trace.chars().count(), 1024);
}

#[tokio::test]
async fn death_by_signal_is_named() {
    let (id, message, _) = failed(
        run(&activity(), &[("command", "kill -TERM $$")])
            .await
            .expect("runs"),
    );
    assert_eq!(id, error_id::SHELL_COMMAND_FAILED);
    assert_eq!(message, "command killed by signal 15 (SIGTERM)");
}

#[tokio::test]
async fn script_arguments_arrive_verbatim_and_in_order() {
    let out = tempfile::tempdir().expect("tempdir");
    let stdout = out.path().join("args");
    let arguments = [
        "two words",
        "it's \"quoted\"",
        "$HOME",
        "`id`",
        "; rm -rf /nonexistent",
        "line one\nline two",
        "",
        "*",
        "-c",
    ];
    let mut fields = vec![
        ("command", r#"printf '%s\0' "$#" "$0" "$@""#),
        ("stdout", path_str(&stdout)),
    ];
    fields.extend(
        arguments
            .iter()
            .map(|argument| ("scriptArgument", *argument)),
    );
    assert_eq!(
        run(&activity(), &fields).await.expect("runs"),
        Outcome::Finished
    );

    let written = std::fs::read_to_string(&stdout).expect("stdout written");
    let mut received: Vec<&str> = written.split('\0').collect();
    assert_eq!(received.pop(), Some(""));
    assert_eq!(received[0], arguments.len().to_string());
    assert_eq!(received[1], "sh");
    assert_eq!(&received[2..], arguments);
}

#[tokio::test]
async fn script_uri_runs_a_local_script_or_a_file_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("greet.sh");
    // Not executable: it is run as `sh SCRIPT`.
    std::fs::write(&script, "echo \"$(basename \"$0\") says $1 to $2\"\n").expect("write script");
    let stdout = dir.path().join("out.txt");
    let file_url = format!("file://{}", path_str(&script));
    for uri in [path_str(&script), file_url.as_str()] {
        let fields = [
            ("scriptUri", uri),
            ("scriptArgument", "hello"),
            ("scriptArgument", "the world"),
            ("stdout", path_str(&stdout)),
        ];
        assert_eq!(
            run(&activity(), &fields).await.expect("runs"),
            Outcome::Finished
        );
    }
    assert_eq!(
        std::fs::read_to_string(&stdout).expect("read"),
        "greet.sh says hello to the world\n".repeat(2)
    );

    let missing = dir.path().join("missing.sh");
    let (id, message) = error(run(&activity(), &[("scriptUri", path_str(&missing))]).await);
    assert_eq!(id, error_id::SCRIPT_FETCH_FAILED);
    assert!(message.contains("missing.sh does not exist"), "{message}");
}

#[tokio::test]
async fn stdout_and_stderr_go_to_local_files_appended_with_parents_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stdout = dir.path().join("logs/deep/out.log");
    let stderr_url = format!("file://{}", path_str(&dir.path().join("logs/err.log")));
    for attempt in ["1", "2"] {
        let fields = [
            ("command", "echo out $1; echo err $1 >&2"),
            ("scriptArgument", attempt),
            ("stdout", path_str(&stdout)),
            ("stderr", stderr_url.as_str()),
        ];
        assert_eq!(
            run(&activity(), &fields).await.expect("runs"),
            Outcome::Finished
        );
    }
    assert_eq!(
        std::fs::read_to_string(&stdout).expect("stdout"),
        "out 1\nout 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("logs/err.log")).expect("stderr"),
        "err 1\nerr 2\n"
    );
}

#[tokio::test]
async fn output_without_a_destination_goes_to_the_attempt_log_when_one_is_configured() {
    let logs = tempfile::tempdir().expect("tempdir");
    let activity = ShellCommandActivity::new(ShellConfig {
        attempt_log_uri: Some(path_str(logs.path()).to_owned()),
        ..ShellConfig::default()
    });
    let fields = [("command", "echo to-stdout; echo to-stderr >&2")];
    assert_eq!(
        run(&activity, &fields).await.expect("runs"),
        Outcome::Finished
    );
    // The support attempt names no @instanceParent.
    let attempt_dir = logs
        .path()
        .join("df-SHELLTEST/Shell/unknown-instance")
        .join(support::ATTEMPT_ID);
    assert_eq!(
        std::fs::read_to_string(attempt_dir.join("StdOutput")).expect("StdOutput"),
        "to-stdout\n"
    );
    assert_eq!(
        std::fs::read_to_string(attempt_dir.join("StdError")).expect("StdError"),
        "to-stderr\n"
    );
}

#[tokio::test]
async fn kept_attempt_logs_are_copied_to_the_copies_and_the_pipeline_log_uri() {
    let [logs, copies, pipeline_logs] = [(); 3].map(|()| tempfile::tempdir().expect("tempdir"));
    let activity = ShellCommandActivity::new(ShellConfig {
        attempt_log_uri: Some(path_str(logs.path()).to_owned()),
        attempt_log_copies: vec![path_str(copies.path()).to_owned()],
        ..ShellConfig::default()
    });
    let fields = [
        ("command", "echo out; echo err >&2; exit 3"),
        ("pipelineLogUri", path_str(pipeline_logs.path())),
    ];
    run(&activity, &fields).await.expect("runs");
    for root in [&logs, &copies, &pipeline_logs] {
        let attempt_dir = root
            .path()
            .join("df-SHELLTEST/Shell/unknown-instance")
            .join(support::ATTEMPT_ID);
        assert_eq!(
            std::fs::read_to_string(attempt_dir.join("StdOutput")).expect("StdOutput"),
            "out\n"
        );
        assert_eq!(
            std::fs::read_to_string(attempt_dir.join("StdError")).expect("StdError"),
            "err\n"
        );
    }
}

#[tokio::test]
async fn an_attempt_log_that_cannot_be_kept_leaves_the_outcome_alone() {
    // No storage for s3://: the attempt log is lost (and logged), the task
    // is not.
    let activity = ShellCommandActivity::new(ShellConfig {
        attempt_log_uri: Some("s3://bucket/attempt-logs".to_owned()),
        ..ShellConfig::default()
    });
    let fields = [("command", "echo kept-or-not")];
    assert_eq!(
        run(&activity, &fields).await.expect("runs"),
        Outcome::Finished
    );
}

#[tokio::test]
async fn the_command_runs_in_the_working_directory_which_is_removed_after() {
    let out = tempfile::tempdir().expect("tempdir");
    let stdout = out.path().join("pwd");
    for keep_working_dir in [false, true] {
        let config = ShellConfig {
            keep_working_dir,
            ..ShellConfig::default()
        };
        let run = Run::new(task(
            attempt(&[
                ("command", "pwd; touch made-here"),
                ("stdout", path_str(&stdout)),
            ]),
            Vec::new(),
        ));
        let workdir = run.ctx.scratch_dir();
        let outcome = ShellCommandActivity::new(config)
            .run(run.ctx.clone())
            .await
            .map_err(Failure::from_error);
        assert_eq!(outcome.expect("runs"), Outcome::Finished);
        let printed = std::fs::read_to_string(&stdout).expect("pwd");
        assert_eq!(Path::new(printed.lines().last().expect("a line")), workdir);
        assert_eq!(workdir.join("made-here").exists(), keep_working_dir);
    }
}

#[tokio::test]
async fn command_and_script_uri_are_exclusive_and_one_is_required() {
    let (id, message) = error(
        run(
            &activity(),
            &[("command", "true"), ("scriptUri", "/bin/true")],
        )
        .await,
    );
    assert_eq!(id, error_id::INVALID_SHELL_COMMAND);
    assert_eq!(
        message,
        "both command and scriptUri are set; set exactly one of them"
    );

    let (id, message) = error(run(&activity(), &[("scriptArgument", "x")]).await);
    assert_eq!(id, error_id::INVALID_SHELL_COMMAND);
    assert_eq!(
        message,
        "neither command nor scriptUri is set; set exactly one of them"
    );

    let (id, message) = error(
        run(
            &activity(),
            &[("command", "true"), ("stdout", "ftp://host/x")],
        )
        .await,
    );
    assert_eq!(id, error_id::INVALID_SHELL_COMMAND);
    assert!(message.starts_with("stdout "), "{message}");
}

#[tokio::test]
async fn s3_uris_without_a_storage_fail_naming_the_uri() {
    let (id, message) =
        error(run(&activity(), &[("scriptUri", "s3://bucket/scripts/run.sh")]).await);
    assert_eq!(id, error_id::S3_NOT_CONFIGURED);
    assert!(
        message.contains("scriptUri is s3://bucket/scripts/run.sh"),
        "{message}"
    );
}

#[tokio::test]
async fn s3_uris_go_through_the_configured_storage() {
    let s3 = Arc::new(FakeS3::new());
    s3.put(
        "s3://bucket/scripts/run.sh",
        "echo \"ran with $1\"; echo warning >&2\n",
    );
    let config = ShellConfig {
        storage: Some(s3.clone()),
        ..ShellConfig::default()
    };
    let fields = [
        ("scriptUri", "s3://bucket/scripts/run.sh"),
        ("scriptArgument", "an argument"),
        ("stdout", "s3://bucket/logs/stdout"),
        ("stderr", "s3://bucket/logs/stderr"),
    ];
    let outcome = run(&ShellCommandActivity::new(config), &fields).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert_eq!(
        s3.get("s3://bucket/logs/stdout").as_deref(),
        Some("ran with an argument\n")
    );
    assert_eq!(
        s3.get("s3://bucket/logs/stderr").as_deref(),
        Some("warning\n")
    );
}

#[tokio::test]
async fn a_missing_shell_is_reported() {
    let config = ShellConfig {
        shell: "/nonexistent/sh".into(),
        ..ShellConfig::default()
    };
    let (id, message) =
        error(run(&ShellCommandActivity::new(config), &[("command", "true")]).await);
    assert_eq!(id, error_id::SHELL_SPAWN_FAILED);
    assert!(
        message.starts_with("could not run the shell /nonexistent/sh: "),
        "{message}"
    );
}

#[tokio::test]
async fn preconditions_hold_on_exit_0_and_are_false_otherwise() {
    let precondition = ShellCommandPrecondition::new(ShellConfig::default());
    let holds = run(&precondition, &[("command", "test -d /")]).await;
    assert_eq!(holds.expect("runs"), Outcome::Finished);
    let false_ = run(&precondition, &[("command", "test -d /nonexistent")]).await;
    assert_eq!(false_.expect("runs"), Outcome::PreconditionFalse);
    let exit_7 = run(&precondition, &[("command", "exit 7")]).await;
    assert_eq!(exit_7.expect("runs"), Outcome::PreconditionFalse);

    let (id, message, _) = failed(
        run(&precondition, &[("command", "kill -KILL $$")])
            .await
            .expect("runs"),
    );
    assert_eq!(id, error_id::SHELL_COMMAND_FAILED);
    assert_eq!(message, "command killed by signal 9 (SIGKILL)");

    let (id, _) = error(run(&precondition, &[]).await);
    assert_eq!(id, error_id::INVALID_SHELL_COMMAND);
}

#[tokio::test]
async fn an_unwritable_output_fails_before_the_command_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let stdout = file.join("under-a-file.log");
    let ran = dir.path().join("ran");
    let command = format!("touch {}", ran.display());
    let (id, message) = error(
        run(
            &activity(),
            &[("command", &command), ("stdout", path_str(&stdout))],
        )
        .await,
    );
    assert_eq!(id, error_id::OUTPUT_FAILED);
    assert!(
        message.starts_with(&format!("could not write stdout to {}", stdout.display())),
        "{message}"
    );
    assert!(!ran.exists());
}

#[tokio::test]
async fn working_directories_are_reused_only_when_left_empty_and_gone_with_the_activity() {
    use taskrunner_activity::TaskContext;
    let scratch = tempfile::tempdir().expect("scratch root");
    let outputs = tempfile::tempdir().expect("outputs");
    let shared = activity();
    let run_in_scratch = |command: &str, stdout: &Path| {
        let object = attempt(&[("command", command), ("stdout", path_str(stdout))]);
        let ctx = TaskContext::builder(task(object, Vec::new()))
            .scratch_root(scratch.path())
            .build();
        let shared = shared.clone();
        async move {
            shared
                .run(ctx)
                .await
                .map_err(Failure::from_error)
                .expect("runs")
        }
    };
    let entries = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("lists")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    // Every command finds an empty cwd of its own, whatever the one before
    // it left behind.
    for (index, command) in [
        "true",
        "touch left-behind",
        "ls -A",
        "chmod 700 . && chmod 500 .",
        "ls -A",
        "true",
        "ls -A",
    ]
    .into_iter()
    .enumerate()
    {
        let stdout = outputs.path().join(format!("out{index}"));
        assert_eq!(run_in_scratch(command, &stdout).await, Outcome::Finished);
        assert_eq!(std::fs::read_to_string(&stdout).expect("stdout"), "");
    }
    // What stays between tasks is one empty spare, hidden.
    let left = entries(scratch.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(".spare-"), "{left:?}");
    assert!(entries(&scratch.path().join(&left[0])).is_empty());

    drop(shared);
    assert!(entries(scratch.path()).is_empty());
}

#[tokio::test]
async fn without_a_stdout_field_the_command_writes_to_dev_null() {
    // The shell's own stdout, read from a subshell (a redirection would
    // move it for the duration of the command).
    let command =
        "head -c 1000000 /dev/zero; out=$(readlink /proc/$$/fd/1); echo \"$out\" >&2; exit 1";
    let (_, message, _) = failed(
        run(&activity(), &[("command", command)])
            .await
            .expect("runs"),
    );
    assert_eq!(message, "command exited with status 1; stderr: /dev/null");
}
