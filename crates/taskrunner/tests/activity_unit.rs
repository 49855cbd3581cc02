//! Testing an activity without a service: a hand-made `Task` in a
//! `TaskContext` built with `TaskContext::builder` (as docs/ACTIVITIES.md
//! shows).

use std::time::Duration;

use serde::Deserialize;
use taskrunner::{
    async_trait,
    lease::{Cancellation, ProgressSink},
    task::{Field, Task, TaskObject, TaskStatus},
    Activity, ActivityError, CancelReason, Outcome, TaskContext,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    my_image: Vec<String>,
    my_width: u32,
}

struct ResizeImages;

#[async_trait]
impl Activity for ResizeImages {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, ActivityError> {
        let params: Params = ctx.fields()?;
        if params.my_width == 0 {
            return Err(ActivityError::failed(
                "InvalidWidth",
                "myWidth must be positive",
            ));
        }
        for (done, _image) in params.my_image.iter().enumerate() {
            tokio::select! {
                () = ctx.cancelled() => return Err(ActivityError::cancelled(ctx.cancel_reason().unwrap_or(CancelReason::Shutdown))),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            ctx.progress().set("myResized", (done + 1).to_string());
        }
        Ok(Outcome::Finished)
    }
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
    assert_eq!(ResizeImages.run(ctx).await.unwrap(), Outcome::Finished);
    assert_eq!(progress.snapshot(), [Field::string("myResized", "2")]);
}

#[tokio::test]
async fn a_missing_field_is_invalid_task_fields() {
    let ctx = TaskContext::builder(task(vec![Field::string("myImage", "a.png")])).build();
    let report = ResizeImages
        .run(ctx)
        .await
        .unwrap_err()
        .into_status_report();
    assert_eq!(report.status, TaskStatus::Failed);
    assert_eq!(report.error_id.as_deref(), Some("InvalidTaskFields"));
    assert!(report.error_message.unwrap_or_default().contains("myWidth"));
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
    let error = ResizeImages.run(ctx).await.unwrap_err();
    assert!(
        matches!(
            error,
            ActivityError::Cancelled(CancelReason::CanceledByService)
        ),
        "{error}"
    );
}
