//! A precondition that does not hold yet: Outcome::PreconditionFalse
//! reports FALSE, the service retries the precondition, and once it holds
//! the activity it guards runs.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use taskrunner::{activity_fn, Outcome, TaskContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_false_precondition_is_retried_until_it_holds_then_the_activity_runs() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "guarded",
        vec![
            on_demand_default("guarded"),
            object(
                "InputReady",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    string("command", "test -e /data/ready"),
                    string("preconditionTimeout", "1 hours"),
                    string("retryDelay", "2 minutes"),
                ],
            ),
            activity(
                "Guarded",
                vec![
                    string("myActivity", "guarded"),
                    reference("precondition", "InputReady"),
                ],
            ),
        ],
    )
    .await;
    let checks = Arc::new(AtomicU32::new(0));
    let guarded_runs = Arc::new(AtomicU32::new(0));
    // Holds on its third check.
    let precondition = activity_fn({
        let checks = checks.clone();
        move |_ctx: TaskContext| {
            let check = checks.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                Ok(if check < 3 {
                    Outcome::PreconditionFalse
                } else {
                    Outcome::Finished
                })
            }
        }
    });
    let guarded = activity_fn({
        let (checks, guarded_runs) = (checks.clone(), guarded_runs.clone());
        move |_ctx: TaskContext| {
            assert_eq!(
                checks.load(Ordering::SeqCst),
                3,
                "the activity runs only once its precondition holds"
            );
            guarded_runs.fetch_add(1, Ordering::SeqCst);
            async { Ok(Outcome::Finished) }
        }
    });
    let running = Running::start(
        runner_for(&client, "guarded")
            .activity("ShellCommandPrecondition", precondition)
            .activity_for_field("myActivity", "guarded", guarded)
            .build()
            .unwrap(),
    );

    assert_eq!(
        wait_for_status(
            &client,
            &pipeline,
            "Guarded",
            &["FINISHED", "FAILED", "CASCADE_FAILED"],
            Duration::from_secs(15)
        )
        .await,
        "FINISHED"
    );
    assert_eq!(guarded_runs.load(Ordering::SeqCst), 1);
    let precondition_instance = instance_of(&client, &pipeline, "InputReady").await;
    assert_eq!(
        field_of(&client, &pipeline, &precondition_instance, "@status")
            .await
            .as_deref(),
        Some("FINISHED")
    );
    assert_eq!(
        field_of(&client, &pipeline, &precondition_instance, "@attemptCount")
            .await
            .as_deref(),
        Some("3")
    );
    // The FALSE attempts are recorded as failed with the service's errorId.
    let first = format!("{precondition_instance}_Attempt=1");
    assert_eq!(
        field_of(&client, &pipeline, &first, "@status")
            .await
            .as_deref(),
        Some("FAILED")
    );
    assert_eq!(
        field_of(&client, &pipeline, &first, "errorId")
            .await
            .as_deref(),
        Some("PreconditionNotMet")
    );

    let summary = running.stop().await;
    assert_eq!(
        (summary.precondition_false, summary.finished, summary.failed),
        (2, 2, 0),
        "{summary:?}"
    );
    service.shutdown().await;
}
