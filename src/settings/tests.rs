//! The derivations of [`super`], from flags as clap parses them.

use clap::Parser;

use super::*;

fn settings(arguments: &[&str]) -> Result<Settings, SettingsError> {
    let flags = Cli::try_parse_from(std::iter::once("taskrunner").chain(arguments.iter().copied()))
        .expect("the flags parse");
    Settings::derive(flags)
}

fn run_settings(arguments: &[&str]) -> RunSettings {
    match settings(arguments).expect("valid settings").mode {
        Mode::Run(run) => run,
        Mode::Local(_) => panic!("run mode expected"),
    }
}

fn local_settings(arguments: &[&str]) -> LocalSettings {
    let mut all = vec!["local"];
    all.extend_from_slice(arguments);
    match settings(&all).expect("valid settings").mode {
        Mode::Local(local) => local,
        Mode::Run(_) => panic!("local mode expected"),
    }
}

#[test]
fn the_kill_grace_ends_inside_the_cancel_grace() {
    let cases = [
        ("30s", DEFAULT_KILL_GRACE),
        ("10s", Duration::from_secs(5)),
        ("1s", Duration::from_millis(500)),
        ("0s", Duration::ZERO),
    ];
    for (cancel_grace, kill_grace) in cases {
        let run = run_settings(&["--workerGroup", "g", "--cancel-grace", cancel_grace]);
        assert_eq!(
            run.shell.kill_grace, kill_grace,
            "--cancel-grace {cancel_grace}"
        );
        assert_eq!(
            run.runner.cancel_grace,
            humantime::parse_duration(cancel_grace).unwrap()
        );
    }
    let local = local_settings(&["p.json", "--cancel-grace", "4s"]);
    assert_eq!(local.shell.kill_grace, Duration::from_secs(2));
}

#[test]
fn run_mode_logs_to_the_java_runners_directory_unless_told() {
    let defaults = settings(&["--workerGroup", "g"]).unwrap().log;
    assert_eq!(defaults.output, Some(PathBuf::from(DEFAULT_OUTPUT)));
    assert_eq!(defaults.default_level, "info");
    let told = settings(&["--workerGroup", "g", "--output", "/tmp/logs"]).unwrap();
    assert_eq!(told.log.output, Some(PathBuf::from("/tmp/logs")));
    let Mode::Run(run) = told.mode else {
        panic!("run mode expected")
    };
    assert_eq!(run.shell.attempt_log_uri.as_deref(), Some("/tmp/logs"));
}

#[test]
fn local_mode_writes_log_files_only_when_told() {
    let log = settings(&["local", "p.json"]).unwrap().log;
    assert_eq!(log.output, None);
    assert_eq!(log.default_level, "warn");
}

#[test]
fn the_flags_win_over_the_credentials_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials.json");
    std::fs::write(
        &file,
        r#"{"access-id": "FILE", "private-key": "file-secret", "region": "eu-west-1",
            "endpoint": "http://file", "log-uri": "s3://file/logs", "extra": 1}"#,
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let from_file = settings(&["--workerGroup", "g", "--config", config]).unwrap();
    assert_eq!(
        from_file.warnings,
        ["the credentials file has a key this runner does not use; ignored: extra"]
    );
    let Mode::Run(from_file) = from_file.mode else {
        panic!("run mode expected")
    };
    assert_eq!(from_file.region.as_deref(), Some("eu-west-1"));
    assert_eq!(from_file.endpoint.as_deref(), Some("http://file"));
    assert_eq!(from_file.credentials.unwrap().access_id, "FILE");
    assert_eq!(
        from_file.log_uri,
        Some((
            "s3://file/logs".to_owned(),
            log_upload::Source::CredentialsFile
        ))
    );
    assert_eq!(from_file.shell.attempt_log_copies, ["s3://file/logs"]);

    let flagged = run_settings(&[
        "--workerGroup",
        "g",
        "--config",
        config,
        "--region",
        "us-west-2",
        "--accessId",
        "FLAG",
        "--logUri",
        "s3://flag/logs",
    ]);
    assert_eq!(flagged.region.as_deref(), Some("us-west-2"));
    let credentials = flagged.credentials.unwrap();
    assert_eq!(
        (
            credentials.access_id.as_str(),
            credentials.secret_key.as_str()
        ),
        ("FLAG", "file-secret")
    );
    assert_eq!(flagged.log_uri.unwrap().1, log_upload::Source::Flag);
}

#[test]
fn refusals_name_the_flag_and_carry_their_exit_code() {
    let cases: [(&[&str], &str, u8); 5] = [
        (&["--proxyDomain", "CORP"], "--proxyDomain", 2),
        (&["--proxyPort", "3128"], "--proxyPort needs --proxyHost", 2),
        (&["--accessId", "A"], "--accessId and --secretKey", 1),
        (&["--logUri", "/var/log"], "--logUri", 1),
        (
            &["--config", "/nonexistent/c.json"],
            "/nonexistent/c.json",
            1,
        ),
    ];
    for (flags, message, code) in cases {
        let mut arguments = vec!["--workerGroup", "g"];
        arguments.extend_from_slice(flags);
        let error = settings(&arguments).expect_err("refused");
        assert!(error.to_string().contains(message), "{flags:?}: {error}");
        assert_eq!(error.exit_code(), code, "{flags:?}");
    }
    for scale in ["0", "-1", "NaN", "inf"] {
        let flag = format!("--time-scale={scale}");
        let error = settings(&["local", "p.json", &flag]).expect_err("refused");
        assert!(
            error
                .to_string()
                .starts_with("--time-scale must be a positive number"),
            "{error}"
        );
    }
}

#[test]
fn unsupported_java_flags_are_warned_about() {
    let warnings = settings(&["--workerGroup", "g", "--jdbcDriverS3Path", "s3://b/d.jar"])
        .unwrap()
        .warnings;
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("--jdbcDriverS3Path is accepted"),
        "{warnings:?}"
    );
}

#[test]
fn a_local_run_keeps_its_files_under_the_work_dir() {
    let local = local_settings(&["dir/nightly.json", "--work-dir", "/srv/work"]);
    assert_eq!(local.name, "nightly");
    assert_eq!(
        local.store,
        LocalStore::Embedded(PathBuf::from("/srv/work/taskrunner-local/nightly/s3"))
    );
    assert_eq!(
        local.shell_for("df-1").attempt_log_uri.as_deref(),
        Some("/srv/work/taskrunner-local/df-1")
    );
    let chosen = local_settings(&["p.json", "--s3-root", "/data/s3"]);
    assert_eq!(
        chosen.store,
        LocalStore::Embedded(PathBuf::from("/data/s3"))
    );
    let own = local_settings(&["p.json", "--s3-endpoint", "http://127.0.0.1:9000"]);
    assert_eq!(
        own.store,
        LocalStore::Endpoint("http://127.0.0.1:9000".to_owned())
    );
}
