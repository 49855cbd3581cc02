//! `s3://` in `taskrunner local` with no setup: the embedded S3 store serves
//! `scriptUri`, the staging of S3 data nodes and `stdout` uploads, and the
//! embedded service checks an `S3KeyExists` precondition against it.

use crate::support;

use std::time::Duration;

use support::*;

/// `Write` stages a report out to an S3 data node; `Read`, guarded by an
/// `S3KeyExists` on that report (and by nothing else), stages it in with a
/// script from S3 and sends its stdout to S3.
const DEFINITION: &str = r#"{
  "objects": [
    { "id": "Default", "name": "Default", "scheduleType": "ondemand",
      "workerGroup": "local", "failureAndRerunMode": "cascade" },
    { "id": "Report", "name": "Report", "type": "S3DataNode",
      "directoryPath": "s3://reports/daily" },
    { "id": "Write", "name": "Write", "type": "ShellCommandActivity", "stage": "true",
      "output": { "ref": "Report" },
      "command": "echo hello from Write > ${OUTPUT1_STAGING_DIR}/report.txt" },
    { "id": "ReportWritten", "name": "ReportWritten", "type": "S3KeyExists",
      "role": "DataPipelineDefaultRole", "s3Key": "s3://reports/daily/report.txt",
      "retryDelay": "1 minutes", "preconditionTimeout": "2 hours" },
    { "id": "Read", "name": "Read", "type": "ShellCommandActivity", "stage": "true",
      "input": { "ref": "Report" }, "precondition": { "ref": "ReportWritten" },
      "scriptUri": "s3://scripts/read.sh", "stdout": "s3://reports/logs/read.out" }
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_on_a_staged_s3_output_lets_the_next_step_run() {
    let run = LocalRun::new("s3-report.json", DEFINITION);
    run.put(
        "scripts/read.sh",
        "cat \"$INPUT1_STAGING_DIR/report.txt\"\n",
    );

    let (key, tmpdir) = run.tmpdir_env();
    let mut runner = run_to_end(
        &run.arguments("45s"),
        &[(key, &tmpdir)],
        Duration::from_secs(60),
    )
    .await;

    let output = runner.output();
    assert_eq!(
        runner.try_status().and_then(|status| status.code()),
        Some(0),
        "{output}"
    );
    assert!(
        runner
            .stdout()
            .contains(&format!("s3:// is served from {}", display(&run.s3_root))),
        "{output}"
    );
    assert_eq!(
        run.object("reports/daily/report.txt").as_deref(),
        Some("hello from Write\n"),
        "{output}"
    );
    assert_eq!(
        run.object("reports/logs/read.out").as_deref(),
        Some("hello from Write\n"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_root_chooses_where_the_embedded_store_keeps_objects() {
    let run = LocalRun::new("pipeline.json", DEFINITION);
    let root = run.temp.path().join("my-s3");
    write_file(
        &root.join("scripts/read.sh"),
        "cat \"$INPUT1_STAGING_DIR/report.txt\"\n",
    );
    let mut arguments = run.arguments("45s");
    arguments.extend(["--s3-root".to_owned(), display(&root)]);
    let mut runner = Taskrunner::start(&arguments, &[]);
    let status = runner.wait(Duration::from_secs(60)).await;
    assert_eq!(status.code(), Some(0), "{}", runner.output());
    assert_eq!(
        std::fs::read_to_string(root.join("reports/logs/read.out")).ok(),
        Some("hello from Write\n".to_owned()),
        "{}",
        runner.output()
    );
}
