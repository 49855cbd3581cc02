use std::time::Duration;

use taskrunner_api::{CancelReason, Field, LeaseGone, Task, TaskObject};
use tokio::sync::watch;
use tokio::time::Instant;

use super::*;

fn task() -> Task {
    Task::new("../../etc/passwd", "df-1", "@A_Attempt=1")
        .with_object(
            TaskObject::new("@A_Attempt=1", "A")
                .with_field(Field::string("scriptArgument", "x"))
                .with_field(Field::string("scriptArgument", "y"))
                .with_field(Field::reference("input", "In")),
        )
        .with_object(TaskObject::new("In", "In"))
}

#[test]
fn accessors() {
    let ctx = TaskContext::builder(task()).build();
    assert_eq!(ctx.pipeline_id(), "df-1");
    assert_eq!(ctx.attempt_id(), "@A_Attempt=1");
    assert_eq!(ctx.task_id().as_str(), "../../etc/passwd");
    assert_eq!(ctx.values("scriptArgument").collect::<Vec<_>>(), ["x", "y"]);
    assert_eq!(ctx.field("input"), Some("In"));
    assert!(ctx.object("In").is_some());
    assert_eq!(ctx.values("absent").count(), 0);
    assert!(ctx.deadline().is_none());
}

#[test]
fn no_attempt_object_is_not_a_panic() {
    let ctx = TaskContext::builder(Task::new("t", "df-1", "@Gone")).build();
    assert!(ctx.attempt().is_none());
    assert_eq!(ctx.field("x"), None);
    assert_eq!(ctx.values("x").count(), 0);
}

#[tokio::test]
async fn cancellation_is_shared() {
    let cancellation = Cancellation::new();
    let ctx = TaskContext::builder(task())
        .cancellation(cancellation.clone())
        .build();
    assert!(ctx.check_cancelled().is_ok());
    let waiter = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.cancelled().await })
    };
    let reason = CancelReason::LeaseLost(LeaseGone::PipelineDeleted);
    cancellation.trip(reason);
    assert_eq!(waiter.await.expect("waiter completes"), reason);
    assert!(ctx.is_cancelled());
    let error = ctx.check_cancelled().expect_err("cancelled");
    assert_eq!(error.reason(), reason);
    let work = ctx.until_cancelled(std::future::pending::<()>()).await;
    assert_eq!(work.map_err(|cancelled| cancelled.reason()), Err(reason));
}

#[tokio::test(start_paused = true)]
async fn deadline_follows_the_lease() {
    let (sender, receiver) = watch::channel(None);
    let ctx = TaskContext::builder(task()).deadline(receiver).build();
    assert_eq!(ctx.deadline(), None);
    let deadline = Instant::now() + Duration::from_secs(120);
    sender.send_replace(Some(deadline));
    assert_eq!(ctx.deadline(), Some(deadline));
}

#[tokio::test]
async fn scratch_dir_is_created_under_the_root() {
    let root =
        std::env::temp_dir().join(format!("taskrunner-activity-test-{}", std::process::id()));
    let ctx = TaskContext::builder(task())
        .scratch_root(root.as_path())
        .build();
    let dir = ctx.scratch_dir();
    assert_eq!(dir.parent(), Some(root.as_path()));
    assert!(!dir.to_string_lossy().contains("passwd"));
    let created = ctx.ensure_scratch_dir().await.expect("created");
    assert!(created.is_dir());
    // Idempotent.
    ctx.ensure_scratch_dir().await.expect("exists already");
    tokio::fs::remove_dir_all(&root).await.expect("cleanup");
}
