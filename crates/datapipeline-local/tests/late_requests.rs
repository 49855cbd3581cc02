//! A request still in flight when the service shuts down is dropped, not
//! applied: a service restarted on the same state file has loaded the state
//! already, so a change the old one made afterwards would be reported to
//! the client and then lost (or, written to the file, resurface at the next
//! restart). Found by the chaos suite: a SetTaskStatus held up by injected
//! latency across an in-process restart.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::config::retry::RetryConfig;
use aws_sdk_datapipeline::types::TaskStatus;
use datapipeline_local::{start, Config, FaultPlan, Timing};
use support::*;

#[tokio::test]
async fn a_status_held_up_past_shutdown_is_dropped_and_changes_nothing() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        // Long deadlines: nothing lapses while the test restarts the service.
        timing: Timing {
            long_poll_wait: Duration::from_millis(200),
            ack_timeout: Duration::from_secs(120),
            default_report_progress_timeout: Duration::from_secs(120),
            retry_delay_floor: Duration::ZERO,
            time_scale: 1.0,
            work_time_scale: 1.0,
        },
        // Longer than shutdown's 2 s wait for open connections.
        faults: FaultPlan {
            seed: 1,
            rules: vec!["SetTaskStatus:latency=4s:1.0".parse().expect("a rule")],
        },
        state: Some(directory.path().join("state.db")),
        ..Config::default()
    };
    let service = start(config.clone()).await.expect("first start");
    let client = client_for(&service.endpoint_url(), "AKIDLOCAL", "local-secret");
    activate(
        &client,
        "late",
        vec![on_demand_default("late"), shell("Work", "true", vec![])],
    )
    .await;
    let task = poll_until_task(&client, "late", Duration::from_secs(30)).await;
    assert!(!ack(&client, &task).await);

    // No SDK retries: a retry would reach the restarted service, which may
    // rightly apply it.
    let once = aws_sdk_datapipeline::Client::from_conf(
        datapipeline_local::testkit::sdk_config(&service.endpoint_url())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let late = tokio::spawn({
        let client = once;
        let task_id = task.task_id.clone();
        async move {
            client
                .set_task_status()
                .task_id(task_id)
                .task_status(TaskStatus::Finished)
                .send()
                .await
        }
    });
    // Let the call reach the service and start its injected wait; if the
    // machine is too slow for that, it finds the service gone, which the
    // assertions below accept too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let address = service.local_addr();
    service.shutdown().await;
    // The old service holds the state file until its last request ends:
    // start again until the file is free, as an operator would.
    let mut tries = 0;
    let service = loop {
        match datapipeline_local::start_on(address, config.clone()).await {
            Ok(service) => break service,
            Err(error) => {
                tries += 1;
                assert!(tries < 300, "no second start: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    let answer = tokio::time::timeout(Duration::from_secs(60), late)
        .await
        .expect("the late call ends")
        .expect("the call's task does not panic");
    assert!(
        answer.is_err(),
        "a call the service dropped at shutdown is not answered as applied: {answer:?}"
    );
    let audit = service.audit();
    assert_eq!(
        audit.statuses_accepted, 0,
        "no status was applied: {audit:?}"
    );
    // The lease outlived the restart: the runner still holds the task.
    assert!(!ack(&client, &task).await);
    service.shutdown().await;
}
