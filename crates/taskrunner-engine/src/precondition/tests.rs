//! The retry loop's timing, on paused tokio time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taskrunner_activity::{Outcome, Route, Router, TaskContext};
use taskrunner_api::{CancelReason, Cancellation, Field, Task, TaskObject};
use tokio::time::Instant;

use super::*;

/// A precondition task with these extra fields on its attempt object.
fn task(fields: &[(&str, &str)]) -> Task {
    let mut attempt = TaskObject::new("@Ready_Attempt=1", "Ready")
        .with_field(Field::string("type", "ShellCommandPrecondition"));
    for (key, value) in fields {
        attempt = attempt.with_field(Field::string(*key, *value));
    }
    Task::new("t", "df-1", "@Ready_Attempt=1").with_object(attempt)
}

/// A route whose check holds from its `holds_on`-th call on (never when 0),
/// and the counter of its calls.
fn check(holds_on: u32) -> (Route, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let activity = move |_ctx: TaskContext| {
        let call = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move { holds_on != 0 && call >= holds_on }
    };
    let router = Router::builder()
        .activity_for_type("ShellCommandPrecondition", activity)
        .build();
    let route = router.route(&task(&[])).expect("routed");
    (route, calls)
}

fn context(task: Task) -> TaskContext {
    TaskContext::builder(task).build()
}

#[tokio::test(start_paused = true)]
async fn checks_every_retry_delay_and_finishes_as_soon_as_it_holds() {
    let (route, calls) = check(3);
    let task = task(&[
        ("retryDelay", "1 minutes"),
        ("preconditionTimeout", "1 hours"),
    ]);
    let started = Instant::now();
    let outcome = check_until_holds(&route, context(task), 1.0).await;
    assert_eq!(outcome, Outcome::Finished);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(2 * 60));
}

#[tokio::test(start_paused = true)]
async fn reports_false_when_the_timeout_is_spent_after_a_last_check_at_it() {
    let (route, calls) = check(0);
    let task = task(&[
        ("retryDelay", "2 minutes"),
        ("preconditionTimeout", "5 minutes"),
    ]);
    let started = Instant::now();
    let outcome = check_until_holds(&route, context(task), 1.0).await;
    assert_eq!(outcome, Outcome::PreconditionFalse);
    // Checks at 0, 2, 4 and 5 minutes.
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(started.elapsed(), Duration::from_secs(5 * 60));
}

#[tokio::test(start_paused = true)]
async fn without_a_timeout_checks_once_and_leaves_retries_to_the_service() {
    let (route, calls) = check(0);
    let started = Instant::now();
    let outcome =
        check_until_holds(&route, context(task(&[("retryDelay", "1 minutes")])), 1.0).await;
    assert_eq!(outcome, Outcome::PreconditionFalse);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_retry_delay_defaults_to_ten_minutes() {
    let (route, calls) = check(2);
    let started = Instant::now();
    let task = task(&[("preconditionTimeout", "1 hours")]);
    let outcome = check_until_holds(&route, context(task), 1.0).await;
    assert_eq!(outcome, Outcome::Finished);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(started.elapsed(), DEFAULT_PRECONDITION_RETRY_DELAY);
}

#[tokio::test(start_paused = true)]
async fn a_time_scale_compresses_both_periods() {
    let (route, calls) = check(0);
    let task = task(&[
        ("retryDelay", "10 minutes"),
        ("preconditionTimeout", "1 hours"),
    ]);
    let started = Instant::now();
    let outcome = check_until_holds(&route, context(task), 600.0).await;
    assert_eq!(outcome, Outcome::PreconditionFalse);
    // 1 s apart for 6 s: checks at 0..=6.
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(started.elapsed(), Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_period_fails_naming_its_field() {
    for (key, value) in [
        ("retryDelay", "soon"),
        ("preconditionTimeout", "90 seconds"),
    ] {
        let (route, _) = check(0);
        let task = task(&[(key, value)]);
        let outcome = check_until_holds(&route, context(task), 1.0).await;
        let Outcome::Failed(failure) = outcome else {
            panic!("expected a failure, got {outcome:?}");
        };
        assert_eq!(failure.error_id, "InvalidTaskFields");
        assert!(failure.message.contains(key), "{failure}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_activity_that_does_not_answer_false_runs_once_whatever_its_fields() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let router = Router::builder()
        .activity_for_type("ShellCommandPrecondition", move |_ctx: TaskContext| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Outcome::failed("Broken", "no") }
        })
        .build();
    let task = task(&[("retryDelay", "soon"), ("preconditionTimeout", "1 hours")]);
    let route = router.route(&task).expect("routed");
    let outcome = check_until_holds(&route, context(task), 1.0).await;
    assert_eq!(outcome, Outcome::failed("Broken", "no"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_cancel_ends_the_wait_between_checks_at_once() {
    let (route, calls) = check(0);
    let cancellation = Cancellation::new();
    let task = task(&[
        ("retryDelay", "10 minutes"),
        ("preconditionTimeout", "1 hours"),
    ]);
    let context = TaskContext::builder(task)
        .cancellation(cancellation.clone())
        .build();
    let started = Instant::now();
    let tripper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        cancellation.trip(CancelReason::CanceledByService);
    });
    let outcome = check_until_holds(&route, context, 1.0).await;
    let cancelled = Cancelled::new(CancelReason::CanceledByService);
    assert_eq!(outcome, Failure::from(cancelled).into());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    tripper.await.expect("trips");
}
