//! The command line as the Java runner's users type it: every flag
//! spelling AWS's Guide uses, refusals with exit code 2 (NTLM proxy flags
//! among them), the Java flags we accept but do not act on, and the
//! `--config` credentials file. The proxy flags at work are in
//! tests/proxy.rs.

use crate::support;

use std::time::Duration;

use datapipeline_local::{Config, Credentials};
use support::*;

/// Environment variables for the binary.
type Environment<'a> = &'a [(&'a str, &'a str)];

/// A run that should end by itself (a refusal) ends within this.
const REFUSAL_LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_flag_is_refused_by_name_with_exit_2() {
    let mut runner = run_to_end(
        &["--workerGroup", "g", "--workerGroupp", "typo"],
        &[],
        REFUSAL_LIMIT,
    )
    .await;
    let status = runner.wait(REFUSAL_LIMIT).await;
    assert_eq!(status.code(), Some(2), "{}", runner.output());
    assert!(
        runner.stderr().contains("--workerGroupp"),
        "the message names the flag: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_worker_group_is_refused_with_exit_2() {
    let mut runner = run_to_end(&["--region", "us-east-1"], &[], REFUSAL_LIMIT).await;
    let status = runner.wait(REFUSAL_LIMIT).await;
    assert_eq!(status.code(), Some(2), "{}", runner.output());
    let stderr = runner.stderr();
    assert!(
        stderr.contains("--workerGroup") && stderr.contains("required"),
        "the message says what is missing: {}",
        runner.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_the_worker_group_flag_polls_that_group() {
    let service = service().await;
    // Arguments and environment; the last reads the documented variable.
    let spellings: [(&[&str], Environment<'_>); 4] = [
        (&["--worker-group", "kebab"], &[]),
        (&["--workerGroup=equals"], &[]),
        (&["--workerGroup", "separate"], &[]),
        (&[], &[("TASKRUNNER_WORKER_GROUP", "environment")]),
    ];
    let groups = ["kebab", "equals", "separate", "environment"];
    let mut pipelines = Vec::new();
    for group in groups {
        pipelines.push(
            submit(
                &service.client,
                group,
                vec![on_demand_default(group), shell("Work", "true", vec![])],
            )
            .await,
        );
    }
    let mut runners = Vec::new();
    for (spelling, env) in spellings {
        let mut arguments: Vec<String> = spelling.iter().map(|s| (*s).to_owned()).collect();
        arguments.extend(
            [
                "--endpoint",
                &service.url(),
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
        runners.push(Taskrunner::start(&arguments, env));
    }

    for ((group, pipeline), runner) in groups.iter().zip(&pipelines).zip(&mut runners) {
        let status = wait_for_status(
            &service.client,
            pipeline,
            "Work",
            &["FINISHED", "FAILED"],
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(status, "FINISHED", "{group}: {}", runner.output());
        assert!(
            runner
                .stdout()
                .contains(&format!("taskrunner: worker group {group},")),
            "{}",
            runner.output()
        );
    }
    for mut runner in runners {
        runner.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_java_runners_unsupported_flags_are_accepted_with_a_warning() {
    let service = service().await;
    let flags: [&[&str]; 2] = [
        // S3 on a closed local port: nothing leaves the machine, and the
        // attempt logs that cannot be uploaded leave the outcome alone.
        &[
            "--logUri",
            "s3://bucket/logs",
            "--s3-endpoint",
            "http://127.0.0.1:9",
        ],
        &["--jdbcDriverS3Path", "s3://bucket/driver.jar"],
    ];
    let pipeline = submit(
        &service.client,
        "java-flags",
        vec![on_demand_default("java"), shell("Work", "true", vec![])],
    )
    .await;
    let extra: Vec<&str> = flags.iter().flat_map(|flag| flag.iter().copied()).collect();
    let mut runner = Taskrunner::against(&service, "java", &extra);

    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let stderr = runner.stderr();
    assert!(
        stderr
            .lines()
            .any(|line| line.contains("WARN") && line.contains("--jdbcDriverS3Path")),
        "a warning names --jdbcDriverS3Path: {}",
        runner.output()
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntlm_proxy_flags_are_refused_at_start_with_exit_2_saying_what_to_use() {
    for flag in ["--proxyDomain", "--proxyWorkstation"] {
        let mut runner = run_to_end(
            &[
                "--workerGroup",
                "g",
                "--endpoint",
                "http://127.0.0.1:9",
                "--proxyHost",
                "127.0.0.1",
                "--proxyPort",
                "9",
                "--proxyUsername",
                "user",
                "--proxyPassword",
                "ntlm-password-value",
                flag,
                "CORP",
            ],
            &[],
            REFUSAL_LIMIT,
        )
        .await;
        let status = runner.wait(REFUSAL_LIMIT).await;
        assert_eq!(status.code(), Some(2), "{flag}: {}", runner.output());
        let stderr = runner.stderr();
        assert!(
            stderr.contains(flag) && stderr.contains("NTLM") && stderr.contains("Basic"),
            "{flag}: the error names the flag, NTLM and what to use: {stderr}"
        );
        assert!(
            !runner.output().contains("ntlm-password-value"),
            "{flag}: the password is not printed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_settings_without_a_proxy_host_are_refused_with_exit_2() {
    let cases: [(&[&str], &str); 3] = [
        (&["--proxyPort", "3128"], "--proxyPort needs --proxyHost"),
        (
            &["--proxyUsername", "user"],
            "--proxyUsername needs --proxyHost",
        ),
        (
            &["--proxyHost", "proxy.example", "--proxyPassword", "p"],
            "--proxyPassword needs --proxyUsername",
        ),
    ];
    for (flags, message) in cases {
        let mut arguments = vec!["--workerGroup", "g", "--endpoint", "http://127.0.0.1:9"];
        arguments.extend(flags);
        let mut runner = run_to_end(&arguments, &[], REFUSAL_LIMIT).await;
        let status = runner.wait(REFUSAL_LIMIT).await;
        assert_eq!(status.code(), Some(2), "{flags:?}: {}", runner.output());
        assert!(
            runner.stderr().contains(message),
            "{flags:?}: {}",
            runner.output()
        );
    }
}

/// Every flag spelling AWS's Guide uses for the Java runner, with a value
/// when it takes one, and the page that uses it.
const GUIDE_SPELLINGS: [(&str, Option<&str>, &str); 17] = [
    ("--help", None, "dp-taskrunner-config-options.md"),
    (
        "--config",
        Some("credentials.json"),
        "dp-taskrunner-config-options.md, dp-how-task-runner-user-managed.md",
    ),
    (
        "--accessId",
        Some("AKID"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--accessID",
        Some("AKID"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--secretKey",
        Some("secret"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--endpoint",
        Some("http://127.0.0.1:9"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--workerGroup",
        Some("myWorkerGroup"),
        "dp-taskrunner-config-options.md, dp-how-task-runner-user-managed.md",
    ),
    (
        "--taskrunnerId",
        Some("runner-1"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--output",
        Some("output/logs"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--region",
        Some("us-east-1"),
        "dp-taskrunner-config-options.md, dp-how-task-runner-user-managed.md",
    ),
    (
        "--logUri",
        Some("s3://mybucket/foldername"),
        "dp-taskrunner-config-options.md, dp-how-task-runner-user-managed.md",
    ),
    ("--tasks", Some("2"), "dp-taskrunner-threading.md"),
    (
        "--proxyHost",
        Some("proxy.example"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--proxyPort",
        Some("3128"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--proxyUsername",
        Some("user"),
        "dp-taskrunner-config-options.md",
    ),
    (
        "--proxyPassword",
        Some("password"),
        "dp-taskrunner-config-options.md",
    ),
    ("--s3NoProxy", None, "dp-object-httpproxy.md"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flag_spelling_the_guide_uses_is_accepted_by_the_parser() {
    // The flag, then `--help`: the parser refuses an unknown flag (exit 2)
    // before it reaches `--help`, which ends a run it accepted with exit 0.
    // NTLM's `--proxyDomain` and `--proxyWorkstation` parse too; they are
    // refused after parsing (see above).
    for (flag, value, page) in GUIDE_SPELLINGS.iter().copied().chain([
        (
            "--proxyDomain",
            Some("CORP"),
            "dp-taskrunner-config-options.md",
        ),
        (
            "--proxyWorkstation",
            Some("HOST"),
            "dp-taskrunner-config-options.md",
        ),
    ]) {
        for arguments in [
            [Some(flag.to_owned()), value.map(ToOwned::to_owned)],
            [value.map(|value| format!("{flag}={value}")), None],
        ] {
            let mut arguments: Vec<String> = arguments.into_iter().flatten().collect();
            if arguments.is_empty() {
                continue;
            }
            arguments.push("--help".to_owned());
            let mut runner = run_to_end(&arguments, &[], REFUSAL_LIMIT).await;
            let status = runner.wait(REFUSAL_LIMIT).await;
            assert_eq!(
                status.code(),
                Some(0),
                "{arguments:?} (as {page} writes it) is accepted: {}",
                runner.output()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_access_id_spelling_signs_the_calls() {
    // The service checks signatures: only the right key pair gets in.
    let service = service_with(Config {
        timing: binary_timing(),
        credentials: Some(Credentials {
            access_key_id: "AKIDSPELLING".to_owned(),
            secret_access_key: "secret-spelling".to_owned(),
        }),
        ..Config::default()
    })
    .await;
    let client = client_for(&service.url(), "AKIDSPELLING", "secret-spelling");
    let pipeline = submit(
        &client,
        "access-id-spelling",
        vec![on_demand_default("spelled"), shell("Work", "true", vec![])],
    )
    .await;
    let mut arguments: Vec<String> = [
        "--accessID",
        "AKIDSPELLING",
        "--secretKey",
        "secret-spelling",
        "--endpoint",
        &service.url(),
        "--workerGroup=spelled",
        "--region=us-east-1",
    ]
    .iter()
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[]);
    let status = wait_for_status(
        &client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credentials_file_alone_configures_key_region_and_endpoint() {
    // The service checks signatures: only the file's key pair gets in.
    let service = service_with(Config {
        timing: binary_timing(),
        credentials: Some(Credentials {
            access_key_id: "AKIDFROMFILE".to_owned(),
            secret_access_key: "secret-from-file".to_owned(),
        }),
        ..Config::default()
    })
    .await;
    let client = client_for(&service.url(), "AKIDFROMFILE", "secret-from-file");
    let pipeline = submit(
        &client,
        "credentials-file",
        vec![
            on_demand_default("from-file"),
            shell("Work", "true", vec![]),
        ],
    )
    .await;
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("credentials.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "access-id": "AKIDFROMFILE",
            "private-key": "secret-from-file",
            "region": "eu-west-1",
            "endpoint": service.url(),
        })
        .to_string(),
    )
    .unwrap();
    let mut arguments = vec![
        "--config".to_owned(),
        display(&file),
        "--workerGroup".to_owned(),
        "from-file".to_owned(),
    ];
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[]);

    let status = wait_for_status(
        &client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", runner.output());
    let stdout = runner.stdout();
    assert!(
        stdout.contains("region eu-west-1") && stdout.contains(&service.url()),
        "the region and endpoint come from the file: {stdout}"
    );
    runner.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_credentials_file_is_named_in_the_error_and_exits_non_zero() {
    let scratch = tempfile::tempdir().unwrap();
    // Each with a part of the message that must appear exactly once.
    let cases = [
        (
            "not-json.json",
            Some("{\"access-id\": "),
            "EOF while parsing",
        ),
        (
            "half-key.json",
            Some(r#"{"access-id": "AKID"}"#),
            "private-key",
        ),
        ("missing.json", None, "No such file"),
    ];
    for (name, content, detail) in cases {
        let file = scratch.path().join(name);
        if let Some(content) = content {
            std::fs::write(&file, content).unwrap();
        }
        let mut runner = run_to_end(
            &[
                "--config",
                &display(&file),
                "--workerGroup",
                "g",
                "--endpoint",
                "http://127.0.0.1:9",
            ],
            &[],
            REFUSAL_LIMIT,
        )
        .await;
        let status = runner.wait(REFUSAL_LIMIT).await;
        assert!(
            !status.success() && status.code().is_some(),
            "{name}: {status}\n{}",
            runner.output()
        );
        let stderr = runner.stderr();
        assert!(
            stderr.contains(&display(&file)),
            "{name}: the error names the file: {}",
            runner.output()
        );
        assert_eq!(
            stderr.matches(detail).count(),
            1,
            "{name}: the cause is said once: {}",
            runner.output()
        );
        assert!(
            !runner.stdout().contains("taskrunner: worker group"),
            "{name}: the runner did not start"
        );
    }
}
