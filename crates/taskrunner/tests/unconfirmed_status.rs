//! A SetTaskStatus that takes effect but whose answer is lost: the retry
//! finds the task gone, and the runner counts the status as unconfirmed
//! rather than as a failure.

use crate::support;

use datapipeline_local::{Config, FaultPlan};
use support::*;
use taskrunner::{Outcome, TaskContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_whose_answer_was_lost_is_unconfirmed_not_failed() {
    let service = datapipeline_local::start(Config {
        timing: fast_timing(),
        faults: FaultPlan {
            seed: 1,
            rules: vec!["SetTaskStatus:drop-after:nth=1".parse().unwrap()],
        },
        ..Config::default()
    })
    .await
    .expect("the service starts");
    let client = patient_client_for(&service.endpoint_url());
    let pipeline = submit(
        &client,
        "unconfirmed",
        vec![
            on_demand_default("unconfirmed"),
            activity("Work", vec![string("myActivity", "work")]),
        ],
    )
    .await;
    let work = |_ctx: TaskContext| async { Outcome::Finished };
    let running = Running::start(
        runner_for(&client, "unconfirmed")
            .activity_for_field("myActivity", "work", work)
            .build()
            .unwrap(),
    );
    let status = wait_for_status(
        &client,
        &pipeline,
        "Work",
        &["FINISHED", "FAILED"],
        std::time::Duration::from_secs(30),
    )
    .await;
    assert_eq!(status, "FINISHED");
    let summary = running.stop().await;
    assert_eq!(
        (
            summary.finished,
            summary.status_failures,
            summary.statuses_unconfirmed
        ),
        (0, 0, 1),
        "{summary:?}"
    );
    let audit = service.audit();
    assert_eq!(
        (audit.statuses_accepted, audit.stale_statuses),
        (1, 1),
        "{audit:?}"
    );
    service.shutdown().await;
}
