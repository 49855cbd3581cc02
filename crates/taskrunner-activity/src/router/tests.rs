use std::time::Duration;

use taskrunner_api::{Field, TaskObject, TaskStatus};
use tower::ServiceBuilder;

use super::*;
use crate::{into_service, Activity, BoxError, Failure};

fn task(fields: Vec<Field>) -> Task {
    let mut attempt = TaskObject::new("@A_Attempt=1", "A");
    attempt.fields = fields;
    Task::new("opaque", "df-1", "@A_Attempt=1").with_object(attempt)
}

/// A stateful activity answering a failure named after it.
struct Named(&'static str);

impl Activity for Named {
    async fn run(&self, _ctx: TaskContext) -> Result<Outcome, BoxError> {
        Ok(Outcome::failed(self.0, ""))
    }
}

fn router() -> Router {
    Router::builder()
        .activity_for_type("ShellCommandActivity", Named("shell"))
        .activity_for_field("myActivity", "resize", Named("resize"))
        .activity_for_field("myActivity", "crop", Named("crop"))
        .build()
}

async fn run(router: &Router, task: Task) -> Outcome {
    let route = router.route(&task).expect("a route");
    route.call(TaskContext::builder(task).build()).await
}

#[tokio::test]
async fn routes_by_type() {
    let outcome = run(
        &router(),
        task(vec![Field::string("type", "ShellCommandActivity")]),
    )
    .await;
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
    assert_eq!(run(&router(), task).await, Outcome::failed("crop", ""));
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
    assert_eq!(Failure::from(error).error_id, "NoActivityForTask");
}

#[test]
fn later_registrations_replace_earlier_ones() {
    let router = Router::builder()
        .activity_for_field("myActivity", "x", Named("first"))
        .activity_for_field("myActivity", "x", Named("second"))
        .build();
    assert_eq!(router.route_names(), ["myActivity=x"]);
}

#[tokio::test]
async fn panics_are_caught_by_every_route() {
    async fn buggy(_ctx: TaskContext) {
        panic!("handler bug")
    }
    let router = Router::builder()
        .activity_for_type("ShellCommandActivity", buggy)
        .build();
    let outcome = run(
        &router,
        task(vec![Field::string("type", "ShellCommandActivity")]),
    )
    .await;
    assert_eq!(outcome, Outcome::failed("ActivityPanicked", "handler bug"));
}

async fn slow(_ctx: TaskContext) {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[tokio::test(start_paused = true)]
async fn a_user_timeout_layer_maps_to_attempt_timeout() {
    let service = ServiceBuilder::new()
        .timeout(Duration::from_secs(60))
        .service(into_service(slow));
    let router = Router::builder().activity_for_type("Slow", service).build();
    let outcome = run(&router, task(vec![Field::string("type", "Slow")])).await;
    let Outcome::Failed(failure) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(failure.error_id, "AttemptTimeout");
}

#[tokio::test(start_paused = true)]
async fn inner_failures_survive_the_timeout_layer() {
    async fn failing(_ctx: TaskContext) -> Result<(), Failure> {
        Err(Failure::new("SourceMissing", "no input"))
    }
    let service = ServiceBuilder::new()
        .timeout(Duration::from_secs(60))
        .service(into_service(failing));
    let router = Router::builder().activity_for_type("T", service).build();
    let outcome = run(&router, task(vec![Field::string("type", "T")])).await;
    assert_eq!(outcome, Outcome::failed("SourceMissing", "no input"));
}

#[tokio::test(start_paused = true)]
async fn builder_layers_wrap_routes_registered_before_and_after() {
    let router = Router::builder()
        .activity_for_type("Before", slow)
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(1)))
        .activity_for_type("After", slow)
        .build();
    for object_type in ["Before", "After"] {
        let outcome = run(&router, task(vec![Field::string("type", object_type)])).await;
        let Outcome::Failed(failure) = outcome else {
            panic!("expected a failure, got {outcome:?}");
        };
        assert_eq!(failure.error_id, "AttemptTimeout", "{object_type}");
    }
}
