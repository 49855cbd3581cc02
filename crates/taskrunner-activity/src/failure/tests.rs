use taskrunner_api::{CancelReason, TaskStatus};

use super::*;

#[derive(Debug, thiserror::Error)]
#[error("copy failed")]
struct CopyFailed(#[source] std::io::Error);

#[derive(Debug, thiserror::Error)]
#[error("step 2")]
struct Step(#[source] Box<dyn Error + Send + Sync>);

#[test]
fn a_failure_comes_back_as_it_was() {
    let failure = Failure::new("Mine", "m").with_stack_trace("t");
    assert_eq!(Failure::from_error(Box::new(failure.clone())), failure);
}

#[test]
fn any_error_reports_its_chain() {
    let error = CopyFailed(std::io::Error::other("disk full"));
    let failure = Failure::from_error(Box::new(error));
    assert_eq!(failure.error_id, ACTIVITY_ERROR_ID);
    assert_eq!(failure.message, "copy failed: disk full");
    assert_eq!(failure.stack_trace.as_deref(), Some("disk full"));

    let lone = Failure::from_error("plain".into());
    assert_eq!(lone, Failure::new(ACTIVITY_ERROR_ID, "plain"));
}

#[test]
fn known_errors_name_their_error_id_from_anywhere_in_the_chain() {
    let fields = FieldsError::MissingField {
        field: "myTable".into(),
    };
    let failure = Failure::from_error(Box::new(fields.clone()));
    assert_eq!(failure.error_id, INVALID_TASK_FIELDS_ERROR_ID);
    assert!(failure.message.contains("myTable"), "{}", failure.message);

    let wrapped = Step(Box::new(fields));
    assert_eq!(
        Failure::from_error(Box::new(wrapped)).error_id,
        INVALID_TASK_FIELDS_ERROR_ID
    );
    let wrapped = Step(Box::new(Failure::new("Inner", "inner")));
    let failure = Failure::from_error(Box::new(wrapped));
    assert_eq!(failure.error_id, "Inner");
    assert_eq!(failure.message, "step 2: inner");

    let cancelled = Cancelled::new(CancelReason::Shutdown);
    assert_eq!(
        Failure::from_error(Box::new(cancelled)).error_id,
        CANCELLED_ERROR_ID
    );
    let elapsed = tower::timeout::error::Elapsed::new();
    assert_eq!(
        Failure::from_error(Box::new(elapsed)).error_id,
        ATTEMPT_TIMEOUT_ERROR_ID
    );
}

#[test]
fn reports_carry_every_part() {
    let report = Failure::new("E", "m")
        .with_stack_trace("t")
        .into_status_report();
    assert_eq!(report.status, TaskStatus::Failed);
    assert_eq!(report.error_id.as_deref(), Some("E"));
    assert_eq!(report.error_message.as_deref(), Some("m"));
    assert_eq!(report.error_stack_trace.as_deref(), Some("t"));
    let report = StatusReport::from(Failure::new("E", "m"));
    assert_eq!(report.error_stack_trace, None);
}
