//! The secret key never reaches a log, at any level, in any format, nor a
//! command's environment: given by flag or by credentials file, with
//! RUST_LOG=trace and `--output` files.

use crate::support;

use std::path::Path;
use std::time::Duration;

use datapipeline_local::{Config, Credentials};
use support::*;

const ACCESS_ID: &str = "AKIDCANARY";
const CANARY: &str = "SECRET-CANARY-123";

/// Runs one task with the canary as the secret key, given by `how` (extra
/// arguments, with `{file}` for the credentials file's path), then stops
/// the runner and answers everything it wrote.
async fn run_with_canary(how: &[&str], log_format: &str) -> Vec<(String, String)> {
    // The service checks signatures, so the runner really signs with the
    // canary: it is in the process, not just on its command line.
    let service = service_with(Config {
        timing: binary_timing(),
        credentials: Some(Credentials {
            access_key_id: ACCESS_ID.to_owned(),
            secret_access_key: CANARY.to_owned(),
        }),
        ..Config::default()
    })
    .await;
    let client = client_for(&service.url(), ACCESS_ID, CANARY);
    let scratch = tempfile::tempdir().expect("a temp dir");
    let environment = scratch.path().join("environment");
    let pipeline = submit(
        &client,
        "secrets",
        vec![
            on_demand_default("secrets"),
            shell(
                "Leak",
                "env; echo to-stderr >&2; exit 0",
                vec![string("stdout", &display(&environment))],
            ),
        ],
    )
    .await;
    let file = scratch.path().join("credentials.json");
    std::fs::write(
        &file,
        serde_json::json!({"access-id": ACCESS_ID, "private-key": CANARY}).to_string(),
    )
    .expect("write the credentials file");
    let logs = scratch.path().join("logs");
    let mut arguments = vec![
        "--endpoint".to_owned(),
        service.url(),
        "--workerGroup".to_owned(),
        "secrets".to_owned(),
        "--region".to_owned(),
        "us-east-1".to_owned(),
        "--output".to_owned(),
        display(&logs),
        "--log-format".to_owned(),
        log_format.to_owned(),
    ];
    arguments.extend(
        how.iter()
            .map(|argument| argument.replace("{file}", &display(&file))),
    );
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, &[("RUST_LOG", "trace")]);

    let status = wait_for_status(
        &client,
        &pipeline,
        "Leak",
        &["FINISHED", "FAILED"],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(status, "FINISHED", "{}", tail(&runner.output(), 4000));
    runner.stop().await;

    let mut written = vec![
        ("stdout".to_owned(), runner.stdout()),
        ("stderr".to_owned(), runner.stderr()),
        (
            "the command's environment".to_owned(),
            std::fs::read_to_string(&environment).expect("the command wrote its environment"),
        ),
    ];
    let files = files_under(&logs);
    assert!(!files.is_empty(), "--output wrote log files");
    for path in files {
        written.push((display(&path), read_lossy(&path)));
    }
    written
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("a log file reads")).into_owned()
}

fn assert_no_canary(written: &[(String, String)]) {
    let stderr = &written[1].1;
    assert!(
        stderr.contains("TRACE"),
        "trace logging was on: {}",
        tail(stderr, 2000)
    );
    for (name, text) in written {
        assert!(!text.is_empty(), "{name} has content");
        if let Some(at) = text.find(CANARY) {
            let start = at.saturating_sub(300);
            panic!(
                "the secret key is in {name}: …{}…",
                &text[start..(at + CANARY.len() + 100).min(text.len())]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_key_given_by_flag_is_never_logged() {
    let written = run_with_canary(&["--accessId", ACCESS_ID, "--secretKey", CANARY], "text").await;
    assert_no_canary(&written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_key_from_the_credentials_file_is_never_logged() {
    let written = run_with_canary(&["--config", "{file}"], "json").await;
    assert_no_canary(&written);
}
