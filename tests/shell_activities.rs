//! The built-in activities, end to end: the `taskrunner` binary polls a
//! `datapipeline-local` service and runs ShellCommandActivity and
//! ShellCommandPrecondition tasks; the service records what happened.

use crate::support;

use std::time::Duration;

use support::*;

/// How long a single short task may take, poll to report.
const TASK_LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_exits_0_finishes() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("ran");
    let pipeline = submit(
        &service.client,
        "exit-0",
        vec![
            on_demand_default("ok"),
            shell("Succeed", &format!("touch {}", display(&proof)), vec![]),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "ok", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Succeed",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert!(proof.exists(), "the command ran");
    assert_eq!(
        attempt_field(&service.client, &pipeline, "Succeed", "@status")
            .await
            .as_deref(),
        Some("FINISHED")
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_exits_3_fails_with_its_stderr_tail_in_the_error_message() {
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "exit-3",
        vec![
            on_demand_default("fail"),
            shell(
                "Fail",
                "echo early-noise >&2; echo the-last-words-of-the-command >&2; exit 3",
                vec![],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "fail", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Fail",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FAILED", "{}", runner.output());
    let field = |key| attempt_field(&service.client, &pipeline, "Fail", key);
    assert_eq!(field("@status").await.as_deref(), Some("FAILED"));
    assert_eq!(
        field("errorId").await.as_deref(),
        Some("ShellCommandFailed")
    );
    let message = field("errorMessage").await.unwrap_or_default();
    assert!(message.contains("status 3"), "{message}");
    assert!(
        message.contains("the-last-words-of-the-command"),
        "the stderr tail is in the message: {message}"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_that_exits_0_finishes_and_lets_its_activity_run() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("guarded-ran");
    let pipeline = submit(
        &service.client,
        "precondition-true",
        vec![
            on_demand_default("holds"),
            object(
                "Holds",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    string("command", "true"),
                ],
            ),
            shell(
                "Guarded",
                &format!("touch {}", display(&proof)),
                vec![reference("precondition", "Holds")],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "holds", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Guarded",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(
        status_of(&service.client, &pipeline, "Holds").await,
        "FINISHED"
    );
    assert!(proof.exists());
    runner.stop().await;
}

/// Without a `preconditionTimeout` the runner checks once and reports FALSE,
/// and the service's retries (`maximumRetries`, `retryDelay`) take over
/// (docs/ARCHITECTURE.md, "Preconditions: who retries"; with a timeout the
/// runner retries inside the attempt: tests/preconditions.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_that_exits_non_zero_is_false_then_retried_until_it_holds() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let ready = scratch.path().join("ready");
    let proof = scratch.path().join("guarded-ran");
    let pipeline = submit(
        &service.client,
        "precondition-false",
        vec![
            on_demand_default("waits"),
            object(
                "InputReady",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    // False on the first check, which makes it true.
                    string(
                        "command",
                        &format!(
                            "test -e {ready} || {{ touch {ready}; exit 1; }}",
                            ready = display(&ready)
                        ),
                    ),
                    string("maximumRetries", "3"),
                    // 100 ms at 600×.
                    string("retryDelay", "1 minutes"),
                ],
            ),
            shell(
                "Guarded",
                &format!("touch {}", display(&proof)),
                vec![reference("precondition", "InputReady")],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "waits", &[]);
    let client = &service.client;
    let status = wait_for_status(
        client,
        &pipeline,
        "Guarded",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(status_of(client, &pipeline, "InputReady").await, "FINISHED");
    let instance = instance_of(client, &pipeline, "InputReady")
        .await
        .expect("InputReady has an instance");
    // The first check was recorded as not met (FALSE), the second held.
    let first = format!("{instance}_Attempt=1");
    assert_eq!(
        field_of(client, &pipeline, &first, "errorId")
            .await
            .as_deref(),
        Some("PreconditionNotMet")
    );
    assert_eq!(
        field_of(client, &pipeline, &instance, "@attemptCount")
            .await
            .as_deref(),
        Some("2")
    );
    assert!(proof.exists());
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_arguments_arrive_verbatim() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    // A glob that would match if a shell expanded it.
    std::fs::write(scratch.path().join("match-me.txt"), "").unwrap();
    let received = scratch.path().join("arguments");
    let arguments = [
        "two words",
        "  leading and trailing  ",
        r#"it's "quoted""#,
        "$HOME",
        "${PATH}",
        "a; touch /tmp/taskrunner-injected",
        "`id`",
        "$(id)",
        "*",
        "*.txt",
        &format!("{}/*", display(scratch.path())),
        r"back\slash",
        "-n",
        "|&<>",
        "tab\there",
    ];
    let mut fields = Vec::new();
    for argument in arguments {
        fields.push(string("scriptArgument", argument));
    }
    let pipeline = submit(
        &service.client,
        "quoting",
        vec![
            on_demand_default("quoting"),
            shell(
                "Echo",
                &format!(r#"printf '%s\n' "$@" > {}"#, display(&received)),
                fields,
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "quoting", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Echo",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let text = std::fs::read_to_string(&received).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, arguments, "each argument is one $N, unchanged");
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_and_stderr_go_to_local_files() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    // Parent directories are made; existing content is appended to.
    let out = scratch.path().join("logs/deeper/out.txt");
    let err = scratch.path().join("logs/err.txt");
    std::fs::create_dir_all(err.parent().unwrap()).unwrap();
    std::fs::write(&err, "from before\n").unwrap();
    let pipeline = submit(
        &service.client,
        "capture",
        vec![
            on_demand_default("capture"),
            shell(
                "Talk",
                "echo to-stdout; echo to-stderr >&2; echo more-stdout",
                vec![
                    string("stdout", &display(&out)),
                    string("stderr", &display(&err)),
                ],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "capture", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Talk",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "to-stdout\nmore-stdout\n"
    );
    assert_eq!(
        std::fs::read_to_string(&err).unwrap(),
        "from before\nto-stderr\n"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_output_bytes_caps_each_output_file() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out.txt");
    let pipeline = submit(
        &service.client,
        "capped",
        vec![
            on_demand_default("capped"),
            shell(
                "Flood",
                "yes | head -c 100000; exit 1",
                vec![string("stdout", &display(&out))],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "capped", &["--maxOutputBytes", "1000"]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Flood",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FAILED", "{}", runner.output());
    let message = attempt_field(&service.client, &pipeline, "Flood", "errorMessage")
        .await
        .unwrap_or_default();
    assert!(
        message.contains("stdout truncated after 1000 bytes"),
        "{message}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("y\ny\n"), "{written}");
    assert!(written.len() < 1200, "{}", written.len());
    assert!(written.contains("[taskrunner: output truncated after 1000 bytes"));
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_copies_local_input_and_output_directories() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let input = scratch.path().join("input");
    let output = scratch.path().join("output");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("rows.csv"), "a,1\nb,2\nc,3\n").unwrap();
    std::fs::write(input.join("other.csv"), "d,4\n").unwrap();
    let pipeline = submit(
        &service.client,
        "staging",
        vec![
            on_demand_default("staging"),
            object(
                "Input",
                vec![
                    string("type", "S3DataNode"),
                    string("directoryPath", &format!("file://{}", display(&input))),
                ],
            ),
            object(
                "Output",
                vec![
                    string("type", "S3DataNode"),
                    string("directoryPath", &display(&output)),
                ],
            ),
            shell(
                "Transform",
                r#"cat "$INPUT1_STAGING_DIR"/rows.csv "$INPUT1_STAGING_DIR"/other.csv | sort -r > "$OUTPUT1_STAGING_DIR"/sorted.csv && ls "$INPUT1_STAGING_DIR" > "$OUTPUT1_STAGING_DIR"/listing.txt"#,
                vec![
                    string("stage", "true"),
                    reference("input", "Input"),
                    reference("output", "Output"),
                ],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "staging", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Transform",
        &["FINISHED", "FAILED", "CASCADE_FAILED"],
        TASK_LIMIT,
    )
    .await;
    let error = attempt_field(&service.client, &pipeline, "Transform", "errorMessage").await;
    assert_eq!(status, "FINISHED", "{error:?}\n{}", runner.output());
    assert_eq!(
        std::fs::read_to_string(output.join("sorted.csv")).unwrap(),
        "d,4\nc,3\nb,2\na,1\n"
    );
    assert_eq!(
        std::fs::read_to_string(output.join("listing.txt")).unwrap(),
        "other.csv\nrows.csv\n"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_uri_runs_the_local_script_with_its_arguments() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("script.sh");
    let received = scratch.path().join("received");
    std::fs::write(
        &script,
        format!(
            "printf '%s|' \"$@\" > {}\nexit \"$2\"\n",
            display(&received)
        ),
    )
    .unwrap();
    let pipeline = submit(
        &service.client,
        "script-uri",
        vec![
            on_demand_default("script"),
            object(
                "Script",
                vec![
                    string("type", "ShellCommandActivity"),
                    string("scriptUri", &format!("file://{}", display(&script))),
                    string("scriptArgument", "first argument"),
                    string("scriptArgument", "0"),
                ],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "script", &[]);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Script",
        &["FINISHED", "FAILED"],
        TASK_LIMIT,
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    assert_eq!(
        std::fs::read_to_string(&received).unwrap(),
        "first argument|0|"
    );
    runner.stop().await;
}
