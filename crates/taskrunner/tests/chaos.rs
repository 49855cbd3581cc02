//! Injected 500s and throttling on every operation: every task still
//! reaches FINISHED, and the service accepts exactly one status per task.

use crate::support;

use std::time::Duration;

use datapipeline_local::{Config, FaultPlan};
use support::*;
use taskrunner::TaskContext;

const TASKS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_finishes_exactly_once_despite_errors_and_throttling() {
    let faults = FaultPlan {
        seed: 42,
        rules: vec![
            "*:error:0.2".parse().unwrap(),
            "*:throttle:0.2".parse().unwrap(),
        ],
    };
    let service = datapipeline_local::start(Config {
        timing: fast_timing(),
        faults,
        ..Config::default()
    })
    .await
    .expect("the service starts");
    // The test's own calls retry until they get through; the runner's client
    // retries once, so the runner's own backoff sees most faults.
    let control = patient_client_for(&service.endpoint_url());
    let runner_client = hasty_client_for(&service.endpoint_url());

    let components: Vec<String> = (1..=TASKS).map(|n| format!("Work{n}")).collect();
    let mut objects = vec![on_demand_default("chaos")];
    objects.extend(
        components
            .iter()
            .map(|id| activity(id, vec![string("myActivity", "work")])),
    );
    let pipeline = submit(&control, "chaos", objects).await;
    let work = |_ctx: TaskContext| tokio::time::sleep(Duration::from_millis(100));
    let running = Running::start(
        runner_for(&runner_client, "chaos")
            .concurrency(3)
            .activity_for_field("myActivity", "work", work)
            // 40 % of calls fail here: ten tries leave a status a 1-in-10,000
            // chance of failing for good; twenty make it negligible.
            .status_attempts(20)
            .build()
            .unwrap(),
    );

    for component in &components {
        let status = wait_for_status(
            &control,
            &pipeline,
            component,
            &["FINISHED", "FAILED", "TIMEDOUT"],
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(status, "FINISHED", "{component}");
    }
    let summary = running.stop().await;
    let audit = service.audit();
    let tasks = TASKS as u64;
    assert_eq!(
        audit.statuses_accepted, tasks,
        "one accepted status per task: {audit:?}"
    );
    assert_eq!(audit.attempts_finished, tasks, "{audit:?}");
    assert_eq!(
        (
            audit.attempts_failed,
            audit.stale_statuses,
            audit.statuses_after_cancel
        ),
        (0, 0, 0),
        "{audit:?}"
    );
    assert_eq!(
        (summary.finished, summary.failed, summary.status_failures),
        (tasks, 0, 0),
        "{summary:?}"
    );
    service.shutdown().await;
}
