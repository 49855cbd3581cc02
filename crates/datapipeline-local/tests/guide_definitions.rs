//! What the Developer Guide's own definitions use, through the real SDK:
//! enumerated values in any case, encrypted fields and parameters, values
//! for undeclared parameters, and every documented object type (issue #11,
//! points 1 to 4).

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::types::{
    ParameterAttribute, ParameterObject, ParameterValue, PipelineObject,
};
use aws_sdk_datapipeline::Client;
use datapipeline_local::definition::{requirements, Requirement, SlotType};
use support::*;

fn parameter_value(id: &str, value: &str) -> ParameterValue {
    ParameterValue::builder()
        .id(id)
        .string_value(value)
        .build()
        .expect("id and value are set")
}

/// A parameter declaration with no attribute but its type.
fn declared(id: &str) -> ParameterObject {
    let attribute = ParameterAttribute::builder()
        .key("type")
        .string_value("String")
        .build()
        .expect("attribute");
    ParameterObject::builder()
        .id(id)
        .attributes(attribute)
        .build()
        .expect("parameter")
}

/// Creates a pipeline named `name` and answers its id.
async fn create(client: &Client, name: &str) -> String {
    client
        .create_pipeline()
        .name(name)
        .unique_id(name)
        .send()
        .await
        .expect("create")
        .pipeline_id
}

/// The objects GetPipelineDefinition answers for the latest definition.
async fn stored_objects(client: &Client, pipeline: &str) -> Vec<PipelineObject> {
    client
        .get_pipeline_definition()
        .pipeline_id(pipeline)
        .send()
        .await
        .expect("get")
        .pipeline_objects()
        .to_vec()
}

/// Every warning message of a put answer, prefixed with its object's id.
fn warnings(
    put: &aws_sdk_datapipeline::operation::put_pipeline_definition::PutPipelineDefinitionOutput,
) -> Vec<String> {
    put.validation_warnings()
        .iter()
        .flat_map(|warning| {
            let id = warning.id.clone().unwrap_or_default();
            warning
                .warnings()
                .iter()
                .map(move |message| format!("{id}: {message}"))
        })
        .collect()
}

#[tokio::test]
async fn enumerated_values_are_accepted_in_any_case_and_returned_as_given() {
    let Bench { service, client } = bench().await;
    let id = create(&client, "cases").await;
    let objects = vec![
        object(
            "Default",
            vec![
                string("scheduleType", "ONDEMAND"),
                string("failureAndRerunMode", "CASCADE"),
                string("workerGroup", "cases"),
            ],
        ),
        shell("Work", "echo hi", vec![]),
    ];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects.clone()))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    assert_eq!(stored_objects(&client, &id).await, objects);
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate");
    // The scheduler reads `ONDEMAND` as on-demand: the work is ready at once.
    let task = poll_until_task(&client, "cases", Duration::from_secs(10)).await;
    assert_eq!(task.field("command"), Some("echo hi"));

    let wrong = vec![object(
        "Default",
        vec![string("scheduleType", "Hourly"), string("workerGroup", "w")],
    )];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(wrong))
        .send()
        .await
        .expect("put");
    assert!(put.errored);
    let message = put.validation_errors()[0].errors()[0].clone();
    assert_eq!(
        message,
        "field 'scheduleType': 'Hourly' is not one of cron, ondemand, timeseries (in any case)"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn encrypted_fields_and_parameters_reach_the_runner_unchanged() {
    let Bench { service, client } = bench().await;
    let id = create(&client, "secrets").await;
    let objects = vec![
        on_demand_default("secrets"),
        object(
            "Database",
            vec![
                string("type", "RdsDatabase"),
                string("rdsInstanceId", "db1"),
                string("username", "admin"),
                string("*password", "#{*myRedshiftPassword}"),
            ],
        ),
        shell(
            "Work",
            "login #{*myRedshiftPassword}",
            vec![
                string("*myToken", "t0ken"),
                reference("database", "Database"),
            ],
        ),
    ];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects.clone()))
        .parameter_objects(declared("*myRedshiftPassword"))
        .parameter_values(parameter_value("*myRedshiftPassword", "s3cr3t"))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    let definition = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .send()
        .await
        .expect("get");
    assert_eq!(definition.pipeline_objects(), objects);
    assert_eq!(definition.parameter_objects()[0].id, "*myRedshiftPassword");
    assert_eq!(definition.parameter_values()[0].string_value, "s3cr3t");
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate");
    let task = poll_until_task(&client, "secrets", Duration::from_secs(10)).await;
    assert_eq!(task.field("command"), Some("login s3cr3t"));
    assert_eq!(task.field("*myToken"), Some("t0ken"));
    // A refused request is logged with its error, so errors never show an
    // encrypted value.
    for expression in ["#{*myRedshiftPassword * 2}", "#{-database.*password}"] {
        let error = client
            .evaluate_expression()
            .pipeline_id(&id)
            .object_id("Work")
            .expression(expression)
            .send()
            .await
            .expect_err("the expression fails");
        let message = format!("{:?}", error.into_service_error());
        assert!(message.contains("(encrypted)"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }
    service.shutdown().await;
}

#[tokio::test]
async fn values_for_undeclared_parameters_are_used_with_a_warning() {
    let Bench { service, client } = bench().await;
    let id = create(&client, "undeclared").await;
    let objects = vec![
        on_demand_default("undeclared"),
        shell("Work", "echo #{myLogUri}", vec![]),
    ];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects))
        .parameter_values(parameter_value("myLogUri", "s3://logs/"))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    assert_eq!(
        warnings(&put),
        ["myLogUri: no parameter object declares 'myLogUri'; it is taken as a String"]
    );
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate");
    let task = poll_until_task(&client, "undeclared", Duration::from_secs(10)).await;
    assert_eq!(task.field("command"), Some("echo s3://logs/"));

    // A value given at activation replaces the definition's, as for a
    // declared parameter.
    let other = create(&client, "undeclared-at-activation").await;
    let objects = vec![
        on_demand_default("at-activation"),
        shell("Work", "echo #{myLogUri}", vec![]),
    ];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&other)
        .set_pipeline_objects(Some(objects))
        .parameter_values(parameter_value("myLogUri", "s3://put/"))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    client
        .activate_pipeline()
        .pipeline_id(&other)
        .parameter_values(parameter_value("myLogUri", "s3://activation/"))
        .send()
        .await
        .expect("activate");
    let task = poll_until_task(&client, "at-activation", Duration::from_secs(10)).await;
    assert_eq!(task.field("command"), Some("echo s3://activation/"));
    service.shutdown().await;
}

#[tokio::test]
async fn every_documented_type_is_known_and_undocumented_fields_only_warn() {
    let Bench { service, client } = bench().await;
    let id = create(&client, "types").await;
    // Every type the Guide documents, as an object with the fields its rules
    // require filled in, all in one pipeline.
    let mut objects = vec![on_demand_default("types")];
    for doc in datapipeline_local::definition::object_types() {
        let mut fields = vec![string("type", doc.name)];
        // One field for each rule: the field itself, or the first of a group.
        let required = requirements(doc.name)
            .into_iter()
            .filter_map(|rule| match rule {
                Requirement::Field(key) => Some(key),
                Requirement::AnyOf(keys) | Requirement::ExactlyOne(keys) => keys.first().copied(),
                _ => None,
            });
        for key in required {
            let is_reference = doc
                .field(key)
                .is_some_and(|field| field.slot == SlotType::Reference);
            if fields.iter().any(|field| field.key == key) {
                continue;
            }
            fields.push(if is_reference {
                reference(key, "Cluster")
            } else {
                string(key, required_value(key))
            });
        }
        objects.push(object(&format!("A{}", doc.name), fields));
    }
    objects.push(object("Cluster", vec![string("type", "EmrCluster")]));
    objects.push(shell("Typo", "true", vec![string("comand", "true")]));
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects))
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{:#?}", put.validation_errors());
    let typo = "Typo: field 'comand' is not a documented field of ShellCommandActivity \
                (dp-object-shellcommandactivity.md); custom fields start with 'my'";
    assert!(
        warnings(&put).iter().any(|warning| warning == typo),
        "{put:#?}"
    );
    service.shutdown().await;
}

/// A value that passes validation for a required string field.
fn required_value(key: &str) -> &'static str {
    match key {
        "period" => "1 day",
        "startAt" => "FIRST_ACTIVATION_DATE_TIME",
        "startDateTime" => "2024-01-01T00:00:00",
        "insertMode" => "APPEND",
        _ => "value",
    }
}
