//! The documented errors of every operation, as the SDK's modeled variants:
//! PipelineNotFoundException, PipelineDeletedException,
//! TaskNotFoundException, InvalidRequestException and InternalServiceError.

use crate::support;

use aws_sdk_datapipeline::operation as op;
use aws_sdk_datapipeline::types::{Operator, OperatorType, Query, Selector, Tag, TaskStatus};
use datapipeline_local::{Config, FaultPlan, Timing};
use support::*;

const UNKNOWN: &str = "df-0000000000NOSUCHID";

/// Asserts that `$call` fails with the service error `$pattern`.
macro_rules! assert_fails {
    ($call:expr, $pattern:pat) => {{
        let error = $call
            .send()
            .await
            .expect_err(stringify!($call))
            .into_service_error();
        assert!(
            matches!(error, $pattern),
            "{}: {error:?}",
            stringify!($pattern)
        );
        error
    }};
}

fn tag() -> Tag {
    Tag::builder().key("k").value("v").build().expect("tag")
}

fn selector(kind: &str) -> Selector {
    let operator = Operator::builder()
        .r#type(OperatorType::from(kind))
        .values("x")
        .build();
    Selector::builder()
        .field_name("type")
        .operator(operator)
        .build()
}

/// Checks every call about pipeline `$id` fails with `$variant` of each
/// operation's error type.
macro_rules! every_pipeline_call_fails {
    ($client:expr, $id:expr, $variant:ident) => {{
        let client = &$client;
        let id: &str = $id;
        assert_fails!(
            client.activate_pipeline().pipeline_id(id),
            op::activate_pipeline::ActivatePipelineError::$variant(_)
        );
        assert_fails!(
            client.add_tags().pipeline_id(id).tags(tag()),
            op::add_tags::AddTagsError::$variant(_)
        );
        assert_fails!(
            client.deactivate_pipeline().pipeline_id(id),
            op::deactivate_pipeline::DeactivatePipelineError::$variant(_)
        );
        assert_fails!(
            client
                .describe_objects()
                .pipeline_id(id)
                .object_ids("Default"),
            op::describe_objects::DescribeObjectsError::$variant(_)
        );
        assert_fails!(
            client.describe_pipelines().pipeline_ids(id),
            op::describe_pipelines::DescribePipelinesError::$variant(_)
        );
        assert_fails!(
            client
                .evaluate_expression()
                .pipeline_id(id)
                .object_id("Default")
                .expression("#{1}"),
            op::evaluate_expression::EvaluateExpressionError::$variant(_)
        );
        assert_fails!(
            client.get_pipeline_definition().pipeline_id(id),
            op::get_pipeline_definition::GetPipelineDefinitionError::$variant(_)
        );
        assert_fails!(
            client
                .put_pipeline_definition()
                .pipeline_id(id)
                .pipeline_objects(on_demand_default("w")),
            op::put_pipeline_definition::PutPipelineDefinitionError::$variant(_)
        );
        assert_fails!(
            client.query_objects().pipeline_id(id).sphere("INSTANCE"),
            op::query_objects::QueryObjectsError::$variant(_)
        );
        assert_fails!(
            client.remove_tags().pipeline_id(id).tag_keys("k"),
            op::remove_tags::RemoveTagsError::$variant(_)
        );
        assert_fails!(
            client
                .set_status()
                .pipeline_id(id)
                .object_ids("Act")
                .status("PAUSE"),
            op::set_status::SetStatusError::$variant(_)
        );
        assert_fails!(
            client
                .validate_pipeline_definition()
                .pipeline_id(id)
                .pipeline_objects(on_demand_default("w")),
            op::validate_pipeline_definition::ValidatePipelineDefinitionError::$variant(_)
        );
    }};
}

#[tokio::test]
async fn calls_about_an_unknown_pipeline_answer_pipeline_not_found() {
    let Bench { service, client } = bench().await;
    every_pipeline_call_fails!(client, UNKNOWN, PipelineNotFoundException);
    assert_fails!(
        client.delete_pipeline().pipeline_id(UNKNOWN),
        op::delete_pipeline::DeletePipelineError::PipelineNotFoundException(_)
    );
    let error = assert_fails!(
        client.describe_pipelines().pipeline_ids(UNKNOWN),
        op::describe_pipelines::DescribePipelinesError::PipelineNotFoundException(_)
    );
    assert!(
        error.to_string().contains(UNKNOWN) || format!("{error:?}").contains(UNKNOWN),
        "the message names the id: {error:?}"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn calls_about_a_deleted_pipeline_answer_pipeline_deleted() {
    let Bench { service, client } = bench().await;
    let id = activate(
        &client,
        "doomed",
        vec![on_demand_default("doomed"), shell("Act", "echo", vec![])],
    )
    .await;
    client
        .delete_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("delete");
    every_pipeline_call_fails!(client, &id, PipelineDeletedException);
    // DeletePipeline declares no PipelineDeletedException: deleting again
    // answers the modeled PipelineNotFoundException.
    assert_fails!(
        client.delete_pipeline().pipeline_id(&id),
        op::delete_pipeline::DeletePipelineError::PipelineNotFoundException(_)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn task_calls_with_an_unknown_task_id_answer_task_not_found() {
    let Bench { service, client } = bench().await;
    assert_fails!(
        client.report_task_progress().task_id("no-such-task"),
        op::report_task_progress::ReportTaskProgressError::TaskNotFoundException(_)
    );
    assert_fails!(
        client
            .set_task_status()
            .task_id("no-such-task")
            .task_status(TaskStatus::Finished),
        op::set_task_status::SetTaskStatusError::TaskNotFoundException(_)
    );
    // A task that ended is no longer held.
    activate(
        &client,
        "ended",
        vec![on_demand_default("ended"), shell("Act", "echo", vec![])],
    )
    .await;
    let task = poll(&client, "ended").await.expect("task");
    finish(&client, &task, TaskStatus::Finished).await;
    assert_fails!(
        client.report_task_progress().task_id(&task.task_id),
        op::report_task_progress::ReportTaskProgressError::TaskNotFoundException(_)
    );
    assert_fails!(
        client
            .set_task_status()
            .task_id(&task.task_id)
            .task_status(TaskStatus::Finished),
        op::set_task_status::SetTaskStatusError::TaskNotFoundException(_)
    );
    let audit = service.audit();
    assert_eq!(
        (
            audit.stale_reports,
            audit.stale_statuses,
            audit.statuses_accepted
        ),
        (2, 2, 1)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn requests_that_break_the_rules_answer_invalid_request() {
    let Bench { service, client } = bench().await;
    use op::*;
    let id = client
        .create_pipeline()
        .name("rules")
        .unique_id("rules")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    let long = "x".repeat(1025);
    assert_fails!(
        client.create_pipeline().name(&long).unique_id("u"),
        create_pipeline::CreatePipelineError::InvalidRequestException(_)
    );
    let error = assert_fails!(
        client.activate_pipeline().pipeline_id(&id),
        activate_pipeline::ActivatePipelineError::InvalidRequestException(_)
    );
    assert!(format!("{error:?}").contains("no definition"), "{error:?}");
    let eleven: Vec<Tag> = (0..11)
        .map(|index| {
            Tag::builder()
                .key(format!("k{index}"))
                .value("v")
                .build()
                .expect("tag")
        })
        .collect();
    assert_fails!(
        client.add_tags().pipeline_id(&id).set_tags(Some(eleven)),
        add_tags::AddTagsError::InvalidRequestException(_)
    );
    assert_fails!(
        client.deactivate_pipeline().pipeline_id(&long),
        deactivate_pipeline::DeactivatePipelineError::InvalidRequestException(_)
    );
    assert_fails!(
        client.delete_pipeline().pipeline_id(&long),
        delete_pipeline::DeletePipelineError::InvalidRequestException(_)
    );
    let ids: Vec<String> = (0..26).map(|index| format!("Object{index}")).collect();
    assert_fails!(
        client
            .describe_objects()
            .pipeline_id(&id)
            .set_object_ids(Some(ids)),
        describe_objects::DescribeObjectsError::InvalidRequestException(_)
    );
    let ids: Vec<String> = (0..26).map(|_| id.clone()).collect();
    assert_fails!(
        client.describe_pipelines().set_pipeline_ids(Some(ids)),
        describe_pipelines::DescribePipelinesError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .evaluate_expression()
            .pipeline_id(&id)
            .object_id("NoSuchObject")
            .expression("#{1}"),
        evaluate_expression::EvaluateExpressionError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .get_pipeline_definition()
            .pipeline_id(&id)
            .version("oldest"),
        get_pipeline_definition::GetPipelineDefinitionError::InvalidRequestException(_)
    );
    assert_fails!(
        client.list_pipelines().marker("not-a-marker"),
        list_pipelines::ListPipelinesError::InvalidRequestException(_)
    );
    assert_fails!(
        client.poll_for_task().worker_group("bad\u{1}group"),
        poll_for_task::PollForTaskError::InvalidRequestException(_)
    );
    let both = aws_sdk_datapipeline::types::Field::builder()
        .key("k")
        .string_value("a")
        .ref_value("b")
        .build()
        .expect("field");
    let object = aws_sdk_datapipeline::types::PipelineObject::builder()
        .id("A")
        .name("A")
        .fields(both)
        .build()
        .expect("object");
    assert_fails!(
        client
            .put_pipeline_definition()
            .pipeline_id(&id)
            .pipeline_objects(object.clone()),
        put_pipeline_definition::PutPipelineDefinitionError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .validate_pipeline_definition()
            .pipeline_id(&id)
            .pipeline_objects(object),
        validate_pipeline_definition::ValidatePipelineDefinitionError::InvalidRequestException(_)
    );
    assert_fails!(
        client.query_objects().pipeline_id(&id).sphere("PIPELINE"),
        query_objects::QueryObjectsError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .query_objects()
            .pipeline_id(&id)
            .sphere("COMPONENT")
            .query(Query::builder().selectors(selector("LIKE")).build()),
        query_objects::QueryObjectsError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .query_objects()
            .pipeline_id(&id)
            .sphere("COMPONENT")
            .limit(0),
        query_objects::QueryObjectsError::InvalidRequestException(_)
    );
    assert_fails!(
        client.remove_tags().pipeline_id(&id).tag_keys(&long),
        remove_tags::RemoveTagsError::InvalidRequestException(_)
    );
    assert_fails!(
        client.report_task_progress().task_id("x".repeat(2049)),
        report_task_progress::ReportTaskProgressError::InvalidRequestException(_)
    );
    assert_fails!(
        client.report_task_runner_heartbeat().taskrunner_id(""),
        report_task_runner_heartbeat::ReportTaskRunnerHeartbeatError::InvalidRequestException(_)
    );
    assert_fails!(
        client
            .set_status()
            .pipeline_id(&id)
            .object_ids("Act")
            .status("EXPLODE"),
        set_status::SetStatusError::InvalidRequestException(_)
    );
    let error = assert_fails!(
        client
            .set_task_status()
            .task_id("t")
            .task_status(TaskStatus::Failed)
            .error_id("Service_Reserved"),
        set_task_status::SetTaskStatusError::InvalidRequestException(_)
    );
    assert!(format!("{error:?}").contains("errorId"), "{error:?}");
    assert_fails!(
        client
            .set_task_status()
            .task_id("t")
            .task_status(TaskStatus::from("DONE")),
        set_task_status::SetTaskStatusError::InvalidRequestException(_)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn every_operation_answers_internal_service_error_when_injected() {
    let faults = FaultPlan {
        seed: 1,
        rules: vec!["*:error:1.0".parse().expect("rule")],
    };
    let Bench { service, client } = bench_with(Config {
        timing: Timing::fast(),
        faults,
        ..Config::default()
    })
    .await;
    use op::*;
    let id = "df-00000000000000000X";
    assert_fails!(
        client.activate_pipeline().pipeline_id(id),
        activate_pipeline::ActivatePipelineError::InternalServiceError(_)
    );
    assert_fails!(
        client.add_tags().pipeline_id(id).tags(tag()),
        add_tags::AddTagsError::InternalServiceError(_)
    );
    assert_fails!(
        client.create_pipeline().name("n").unique_id("u"),
        create_pipeline::CreatePipelineError::InternalServiceError(_)
    );
    assert_fails!(
        client.deactivate_pipeline().pipeline_id(id),
        deactivate_pipeline::DeactivatePipelineError::InternalServiceError(_)
    );
    assert_fails!(
        client.delete_pipeline().pipeline_id(id),
        delete_pipeline::DeletePipelineError::InternalServiceError(_)
    );
    assert_fails!(
        client.describe_objects().pipeline_id(id).object_ids("A"),
        describe_objects::DescribeObjectsError::InternalServiceError(_)
    );
    assert_fails!(
        client.describe_pipelines().pipeline_ids(id),
        describe_pipelines::DescribePipelinesError::InternalServiceError(_)
    );
    assert_fails!(
        client
            .evaluate_expression()
            .pipeline_id(id)
            .object_id("A")
            .expression("#{1}"),
        evaluate_expression::EvaluateExpressionError::InternalServiceError(_)
    );
    assert_fails!(
        client.get_pipeline_definition().pipeline_id(id),
        get_pipeline_definition::GetPipelineDefinitionError::InternalServiceError(_)
    );
    assert_fails!(
        client.list_pipelines(),
        list_pipelines::ListPipelinesError::InternalServiceError(_)
    );
    assert_fails!(
        client.poll_for_task().worker_group("w"),
        poll_for_task::PollForTaskError::InternalServiceError(_)
    );
    assert_fails!(
        client
            .put_pipeline_definition()
            .pipeline_id(id)
            .pipeline_objects(on_demand_default("w")),
        put_pipeline_definition::PutPipelineDefinitionError::InternalServiceError(_)
    );
    assert_fails!(
        client.query_objects().pipeline_id(id).sphere("INSTANCE"),
        query_objects::QueryObjectsError::InternalServiceError(_)
    );
    assert_fails!(
        client.remove_tags().pipeline_id(id).tag_keys("k"),
        remove_tags::RemoveTagsError::InternalServiceError(_)
    );
    assert_fails!(
        client.report_task_progress().task_id("t"),
        report_task_progress::ReportTaskProgressError::InternalServiceError(_)
    );
    assert_fails!(
        client.report_task_runner_heartbeat().taskrunner_id("r"),
        report_task_runner_heartbeat::ReportTaskRunnerHeartbeatError::InternalServiceError(_)
    );
    assert_fails!(
        client
            .set_status()
            .pipeline_id(id)
            .object_ids("A")
            .status("PAUSE"),
        set_status::SetStatusError::InternalServiceError(_)
    );
    assert_fails!(
        client
            .set_task_status()
            .task_id("t")
            .task_status(TaskStatus::Finished),
        set_task_status::SetTaskStatusError::InternalServiceError(_)
    );
    assert_fails!(
        client
            .validate_pipeline_definition()
            .pipeline_id(id)
            .pipeline_objects(on_demand_default("w")),
        validate_pipeline_definition::ValidatePipelineDefinitionError::InternalServiceError(_)
    );
    assert!(
        service.audit() == datapipeline_local::Audit::default(),
        "nothing reached the state"
    );
    service.shutdown().await;
}
