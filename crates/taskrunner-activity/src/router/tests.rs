use std::time::Duration;

use taskrunner_api::{Field, TaskObject, TaskStatus};
use tower::ServiceBuilder;

use super::*;
use crate::activity_fn;

fn task(fields: Vec<Field>) -> Task {
    let mut attempt = TaskObject::new("@A_Attempt=1", "A");
    attempt.fields = fields;
    Task::new("opaque", "df-1", "@A_Attempt=1").with_object(attempt)
}

fn named(name: &'static str) -> impl Activity {
    activity_fn(move |_ctx: TaskContext| async move { Ok(Outcome::failed(name, "")) })
}

fn router() -> Router {
    Router::builder()
        .activity_for_type("ShellCommandActivity", named("shell"))
        .activity_for_field("myActivity", "resize", named("resize"))
        .activity_for_field("myActivity", "crop", named("crop"))
        .build()
}

async fn run(router: &Router, task: Task) -> Result<Outcome, ActivityError> {
    let route = router.route(&task).expect("a route");
    route.call(TaskContext::builder(task).build()).await
}

#[tokio::test]
async fn routes_by_type() {
    let outcome = run(
        &router(),
        task(vec![Field::string("type", "ShellCommandActivity")]),
    )
    .await
    .expect("runs");
    assert_eq!(outcome, Outcome::failed("shell", ""));
}

#[tokio::test]
async fn field_routes_win_over_type_routes() {
    let task = task(vec![
        Field::string("type", "ShellCommandActivity"),
        Field::string("myActivity", "crop"),
    ]);
    assert_eq!(
        router().route(&task).expect("a route").name(),
        "myActivity=crop"
    );
    let outcome = run(&router(), task).await.expect("runs");
    assert_eq!(outcome, Outcome::failed("crop", ""));
}

#[test]
fn no_match_names_what_was_looked_for_and_what_is_known() {
    let task = task(vec![
        Field::string("type", "HiveActivity"),
        Field::string("myActivity", "rotate"),
    ]);
    let error = router().route(&task).expect_err("no route");
    assert_eq!(
        error.to_string(),
        "no activity for type \"HiveActivity\", myActivity \"rotate\"; known routes: \
         myActivity=resize, myActivity=crop, ShellCommandActivity"
    );
    let report = error.into_status_report();
    assert_eq!(report.status, TaskStatus::Failed);
    assert_eq!(report.error_id.as_deref(), Some("NoActivityForTask"));
}

#[test]
fn no_match_with_absent_fields_and_no_routes() {
    let error = Router::builder()
        .build()
        .route(&task(vec![]))
        .expect_err("no route");
    assert_eq!(
        error.to_string(),
        "no activity for type (absent); known routes: none"
    );
    let error = router()
        .route(&Task::new("t", "df-1", "@Missing"))
        .expect_err("no attempt");
    assert!(error
        .to_string()
        .starts_with("no activity for a task without an attempt object"));
    assert_eq!(ActivityError::from(error).error_id(), "NoActivityForTask");
}

#[test]
fn later_registrations_replace_earlier_ones() {
    let router = Router::builder()
        .activity_for_field("myActivity", "x", named("first"))
        .activity_for_field("myActivity", "x", named("second"))
        .build();
    assert_eq!(router.route_names(), ["myActivity=x"]);
}

#[tokio::test]
async fn panics_are_caught_by_every_route() {
    let router = Router::builder()
        .activity_for_type(
            "ShellCommandActivity",
            activity_fn(|_ctx: TaskContext| async { panic!("handler bug") }),
        )
        .build();
    let error = run(
        &router,
        task(vec![Field::string("type", "ShellCommandActivity")]),
    )
    .await
    .expect_err("panicked");
    assert!(matches!(error, ActivityError::Panicked(message) if message == "handler bug"));
}

#[tokio::test(start_paused = true)]
async fn user_timeout_layer_maps_to_timeout() {
    let slow = activity_fn(|_ctx: TaskContext| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(Outcome::Finished)
    });
    let service = ServiceBuilder::new()
        .timeout(Duration::from_secs(60))
        .service(ActivityService::new(slow));
    let router = Router::builder().service_for_type("Slow", service).build();
    let error = run(&router, task(vec![Field::string("type", "Slow")]))
        .await
        .expect_err("timed out");
    assert!(matches!(error, ActivityError::Timeout), "{error:?}");
    assert_eq!(error.error_id(), "AttemptTimeout");
}

#[tokio::test(start_paused = true)]
async fn inner_errors_survive_the_timeout_layer() {
    let failing = activity_fn(|_ctx: TaskContext| async {
        Err(ActivityError::failed("SourceMissing", "no input"))
    });
    let service = ServiceBuilder::new()
        .timeout(Duration::from_secs(60))
        .service(ActivityService::new(failing));
    let router = Router::builder().service_for_type("T", service).build();
    let error = run(&router, task(vec![Field::string("type", "T")]))
        .await
        .expect_err("fails");
    assert_eq!(error.error_id(), "SourceMissing");
}

#[tokio::test]
async fn route_service_is_a_box_clone_service() {
    let route = router()
        .route(&task(vec![Field::string("type", "ShellCommandActivity")]))
        .expect("a route");
    let service: BoxActivityService = route.service();
    let ctx = TaskContext::builder(task(vec![])).build();
    let outcome = service.oneshot(ctx).await.expect("runs");
    assert_eq!(outcome, Outcome::failed("shell", ""));
}
