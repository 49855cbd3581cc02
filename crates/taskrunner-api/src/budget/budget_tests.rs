//! Tests of the call budget with paused tokio time.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

#[tokio::test(start_paused = true)]
async fn documented_budget_allows_the_burst_then_paces_at_the_rate() {
    let budget = CallBudget::documented();
    let start = Instant::now();
    for _ in 0..100 {
        budget.acquire(Operation::ReportTaskProgress).await;
    }
    assert_eq!(Instant::now(), start, "the burst needs no waiting");
    for _ in 0..10 {
        budget.acquire(Operation::ReportTaskProgress).await;
    }
    assert_eq!(Instant::now() - start, Duration::from_secs(1));
    // PollForTask has its own, slower bucket, still full.
    assert!(budget.try_acquire(Operation::PollForTask));
}

#[tokio::test(start_paused = true)]
async fn heartbeat_budget_is_one_per_second_after_the_burst() {
    let budget = CallBudget::new([(
        Operation::ReportTaskRunnerHeartbeat,
        Quota::new(1.0, 1).unwrap(),
    )]);
    let start = Instant::now();
    for _ in 0..3 {
        budget.acquire(Operation::ReportTaskRunnerHeartbeat).await;
    }
    assert_eq!(Instant::now() - start, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn abandoned_waits_refund_their_token() {
    let budget = CallBudget::new([(Operation::SetTaskStatus, Quota::new(1.0, 1).unwrap())]);
    budget.acquire(Operation::SetTaskStatus).await;
    // Three waiters give up before their turn.
    for _ in 0..3 {
        let waited = tokio::time::timeout(
            Duration::from_millis(10),
            budget.acquire(Operation::SetTaskStatus),
        )
        .await;
        assert!(waited.is_err());
    }
    // Had their tokens not been refunded, this would wait four seconds.
    let start = Instant::now();
    budget.acquire(Operation::SetTaskStatus).await;
    assert!(Instant::now() - start <= Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn unlimited_budget_never_waits() {
    let budget = CallBudget::unlimited();
    let start = Instant::now();
    for _ in 0..10_000 {
        budget.acquire(Operation::ReportTaskProgress).await;
    }
    assert_eq!(Instant::now(), start);
    assert!(budget.try_acquire(Operation::PollForTask));
}

#[test]
fn quotas_are_validated() {
    assert_eq!(
        Quota::new(0.0, 1),
        Err(QuotaError::InvalidRate { per_second: 0.0 })
    );
    assert!(Quota::new(f64::NAN, 1).is_err());
    assert_eq!(Quota::new(1.0, 0), Err(QuotaError::ZeroBurst));
    let documented = Quota::documented(Operation::PollForTask).unwrap();
    assert_eq!((documented.per_second(), documented.burst()), (2.0, 100));
}
