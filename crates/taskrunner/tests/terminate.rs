//! `terminate: true` in a heartbeat answer: the runner shuts down on its own.

use crate::support;

use std::time::Duration;

use support::*;
use taskrunner::{Outcome, TaskContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminate_answer_stops_the_runner() {
    let Bench { service, client } = bench().await;
    let runner = runner_for(&client, "terminate")
        .taskrunner_id("runner-to-terminate")
        .heartbeat_interval(Duration::from_millis(100))
        .activity_for_type("ShellCommandActivity", |_ctx: TaskContext| async {
            Outcome::Finished
        })
        .build()
        .unwrap();
    assert_eq!(runner.taskrunner_id(), "runner-to-terminate");
    let running = Running::start(runner);
    wait_until(
        "the runner has sent a heartbeat",
        Duration::from_secs(5),
        || async {
            service
                .runners()
                .iter()
                .any(|record| record.taskrunner_id == "runner-to-terminate")
        },
    )
    .await;
    assert!(!running.is_finished());

    service.terminate_runner("runner-to-terminate");
    // `join`, not `stop`: nothing but the service asks it to stop.
    let summary = tokio::time::timeout(Duration::from_secs(5), running.join())
        .await
        .expect("the runner stops after its next heartbeat");
    assert_eq!(summary.polled, 0, "{summary:?}");
    service.shutdown().await;
}
