//! A precondition that does not hold yet is checked again inside the
//! runner, within one attempt, every `retryDelay` until it holds (then the
//! activity it guards runs) or its `preconditionTimeout` is spent (then one
//! FALSE, and the service fails the instance without retrying it).
//!
//! The service runs on fast timing (pipeline time ×600), and the runner
//! follows it with `precondition_time_scale(600.0)`: "2 minutes" is 0.2 s.

use crate::support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;
use taskrunner::{Outcome, TaskContext};

/// The service's fast timing: pipeline seconds per wall-clock second.
const SCALE: f64 = 600.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_false_precondition_is_checked_again_in_one_attempt_until_it_holds() {
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
    let precondition = {
        let checks = checks.clone();
        move |_ctx: TaskContext| {
            let check = checks.fetch_add(1, Ordering::SeqCst) + 1;
            async move { check >= 3 }
        }
    };
    let guarded = {
        let (checks, guarded_runs) = (checks.clone(), guarded_runs.clone());
        move |_ctx: TaskContext| {
            assert_eq!(
                checks.load(Ordering::SeqCst),
                3,
                "the activity runs only once its precondition holds"
            );
            guarded_runs.fetch_add(1, Ordering::SeqCst);
            async {}
        }
    };
    let running = Running::start(
        runner_for(&client, "guarded")
            .activity_for_type("ShellCommandPrecondition", precondition)
            .activity_for_field("myActivity", "guarded", guarded)
            .precondition_time_scale(SCALE)
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
        Some("1"),
        "the runner retried inside the attempt, the service did not"
    );
    let summary = running.stop().await;
    assert_eq!(
        (summary.precondition_false, summary.finished, summary.failed),
        (0, 2, 0),
        "{summary:?}"
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_that_never_holds_reports_false_once_at_its_timeout() {
    let Bench { service, client } = bench().await;
    let pipeline = submit(
        &client,
        "never",
        vec![
            on_demand_default("never"),
            object(
                "NeverReady",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    string("command", "false"),
                    // 0.3 s and 0.1 s at ×600: checks at 0, 0.1, 0.2, 0.3 s.
                    string("preconditionTimeout", "3 minutes"),
                    string("retryDelay", "1 minutes"),
                    string("maximumRetries", "3"),
                ],
            ),
            activity(
                "Guarded",
                vec![
                    string("myActivity", "guarded"),
                    reference("precondition", "NeverReady"),
                ],
            ),
        ],
    )
    .await;
    let checks = Arc::new(AtomicU32::new(0));
    let precondition = {
        let checks = checks.clone();
        move |_ctx: TaskContext| {
            checks.fetch_add(1, Ordering::SeqCst);
            async { Outcome::PreconditionFalse }
        }
    };
    async fn guarded(_ctx: TaskContext) {
        panic!("the guarded activity must not run");
    }
    let running = Running::start(
        runner_for(&client, "never")
            .activity_for_type("ShellCommandPrecondition", precondition)
            .activity_for_field("myActivity", "guarded", guarded)
            .precondition_time_scale(SCALE)
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
        "CASCADE_FAILED"
    );
    let instance = instance_of(&client, &pipeline, "NeverReady").await;
    for (key, expected) in [
        ("@status", "FAILED"),
        ("@attemptCount", "1"),
        ("errorId", "PreconditionTimeout"),
    ] {
        assert_eq!(
            field_of(&client, &pipeline, &instance, key)
                .await
                .as_deref(),
            Some(expected),
            "{key}"
        );
    }
    assert_eq!(
        checks.load(Ordering::SeqCst),
        4,
        "checks at 0, 1, 2 and 3 minutes"
    );

    let summary = running.stop().await;
    assert_eq!(
        (summary.precondition_false, summary.finished, summary.failed),
        (1, 0, 0),
        "{summary:?}"
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_precondition_runs_beside_a_long_activity_that_holds_the_only_slot() {
    let Bench { service, client } = bench().await;
    let release = Arc::new(tokio::sync::Notify::new());
    let long_running = Arc::new(AtomicU32::new(0));
    let long = {
        let (release, long_running) = (release.clone(), long_running.clone());
        move |ctx: TaskContext| {
            let (release, long_running) = (release.clone(), long_running.clone());
            async move {
                long_running.store(1, Ordering::SeqCst);
                tokio::select! {
                    () = release.notified() => {}
                    _ = ctx.cancelled() => {}
                }
                long_running.store(0, Ordering::SeqCst);
            }
        }
    };
    let checked_beside_long = Arc::new(AtomicU32::new(0));
    let precondition = {
        let (long_running, checked_beside_long) =
            (long_running.clone(), checked_beside_long.clone());
        move |_ctx: TaskContext| {
            checked_beside_long.fetch_add(long_running.load(Ordering::SeqCst), Ordering::SeqCst);
            async { true }
        }
    };
    let overlapped = Arc::new(AtomicU32::new(0));
    // One activity slot and the default two precondition slots.
    let running = Running::start(
        runner_for(&client, "busy")
            .concurrency(1)
            .pollers(1)
            .activity_for_type("ShellCommandPrecondition", precondition)
            .activity_for_field("myActivity", "long", long)
            .activity_for_field("myActivity", "guarded", {
                let (long_running, overlapped) = (long_running.clone(), overlapped.clone());
                move |_ctx: TaskContext| {
                    overlapped.fetch_add(long_running.load(Ordering::SeqCst), Ordering::SeqCst);
                    async {}
                }
            })
            .build()
            .unwrap(),
    );
    // The long activity takes the only activity slot first.
    let busy = submit(
        &client,
        "busy",
        vec![
            on_demand_default("busy"),
            activity("Long", vec![string("myActivity", "long")]),
        ],
    )
    .await;
    wait_for_status(
        &client,
        &busy,
        "Long",
        &["RUNNING"],
        Duration::from_secs(10),
    )
    .await;
    let guarded = submit(
        &client,
        "guarded",
        vec![
            on_demand_default("busy"),
            object(
                "Ready",
                vec![
                    string("type", "ShellCommandPrecondition"),
                    string("command", "true"),
                ],
            ),
            activity(
                "Guarded",
                vec![
                    string("myActivity", "guarded"),
                    reference("precondition", "Ready"),
                ],
            ),
        ],
    )
    .await;

    let ready = instance_of(&client, &guarded, "Ready").await;
    wait_until(
        "the precondition is checked",
        Duration::from_secs(10),
        || {
            let (client, guarded, ready) = (client.clone(), guarded.clone(), ready.clone());
            async move {
                field_of(&client, &guarded, &ready, "@status")
                    .await
                    .as_deref()
                    == Some("FINISHED")
            }
        },
    )
    .await;
    assert_eq!(
        checked_beside_long.load(Ordering::SeqCst),
        1,
        "checked while the long activity held the only activity slot"
    );
    assert_eq!(
        wait_for_status(
            &client,
            &busy,
            "Long",
            &["RUNNING", "FINISHED"],
            Duration::from_secs(1)
        )
        .await,
        "RUNNING"
    );
    // The guarded activity (polled in a precondition slot, or later in the
    // activity slot) runs only once the long one gives the slot back.
    release.notify_one();
    assert_eq!(
        wait_for_status(
            &client,
            &guarded,
            "Guarded",
            &["FINISHED", "FAILED"],
            Duration::from_secs(15)
        )
        .await,
        "FINISHED"
    );
    assert_eq!(
        overlapped.load(Ordering::SeqCst),
        0,
        "activities never exceed the activity slots"
    );
    let summary = running.stop().await;
    assert_eq!((summary.finished, summary.failed), (3, 0), "{summary:?}");
    service.shutdown().await;
}
