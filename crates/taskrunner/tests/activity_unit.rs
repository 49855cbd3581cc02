//! Testing an activity without a service: a hand-made `Task` in a
//! `TaskContext` built with `TaskContext::builder` (as docs/ACTIVITIES.md
//! shows), run through `Handler::run` so the framework's parameter reading
//! is tested too.

use std::time::Duration;

use serde::Deserialize;
use taskrunner::activity::Handler;
use taskrunner::lease::{Cancellation, ProgressSink};
use taskrunner::task::{Field, Task, TaskObject, TaskStatus};
use taskrunner::{BoxError, CancelReason, Cancelled, Failure, Outcome, TaskContext};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    my_image: Vec<String>,
    my_width: u32,
}

async fn resize_images(params: Params, ctx: TaskContext) -> Result<(), BoxError> {
    if params.my_width == 0 {
        return Err(Failure::new("InvalidWidth", "myWidth must be positive").into());
    }
    for (done, _image) in params.my_image.iter().enumerate() {
        ctx.until_cancelled(tokio::time::sleep(Duration::from_millis(10)))
            .await?;
        ctx.progress().set("myResized", (done + 1).to_string());
    }
    Ok(())
}

fn task(fields: Vec<Field>) -> Task {
    let mut attempt = TaskObject::new("@Resize_Attempt=1", "Resize");
    attempt.fields = fields;
    Task::new("opaque-task-id", "df-EXAMPLE", "@Resize_Attempt=1").with_object(attempt)
}

#[tokio::test]
async fn resizes_every_image_and_reports_progress() {
    let progress = ProgressSink::new();
    let ctx = TaskContext::builder(task(vec![
        Field::string("myImage", "a.png"),
        Field::string("myImage", "b.png"),
        Field::string("myWidth", "640"),
    ]))
    .progress(progress.clone())
    .build();
    assert_eq!(resize_images.run(ctx).await, Outcome::Finished);
    assert_eq!(progress.snapshot(), [Field::string("myResized", "2")]);
}

#[tokio::test]
async fn a_missing_field_is_invalid_task_fields() {
    let ctx = TaskContext::builder(task(vec![Field::string("myImage", "a.png")])).build();
    let report = resize_images.run(ctx).await.into_status_report();
    assert_eq!(report.status, TaskStatus::Failed);
    assert_eq!(report.error_id.as_deref(), Some("InvalidTaskFields"));
    assert!(report.error_message.unwrap_or_default().contains("myWidth"));
}

#[tokio::test]
async fn a_failure_keeps_its_error_id() {
    let ctx = TaskContext::builder(task(vec![
        Field::string("myImage", "a.png"),
        Field::string("myWidth", "0"),
    ]))
    .build();
    assert_eq!(
        resize_images.run(ctx).await,
        Outcome::failed("InvalidWidth", "myWidth must be positive")
    );
}

#[tokio::test]
async fn stops_when_cancelled() {
    let cancellation = Cancellation::new();
    let ctx = TaskContext::builder(task(vec![
        Field::string("myImage", "a.png"),
        Field::string("myWidth", "1"),
    ]))
    .cancellation(cancellation.clone())
    .build();
    cancellation.trip(CancelReason::CanceledByService);
    let cancelled = Cancelled::new(CancelReason::CanceledByService);
    assert_eq!(
        resize_images.run(ctx).await,
        Failure::from(cancelled).into()
    );
}
