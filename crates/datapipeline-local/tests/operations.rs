//! Every operation of the API through the real SDK client, on its success
//! path: what each answers and what it changes.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::primitives::DateTime;
use aws_sdk_datapipeline::types::{
    Operator, OperatorType, ParameterAttribute, ParameterObject, ParameterValue, Query, Selector,
    Tag, TaskStatus,
};
use support::*;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value are set")
}

fn parameter_value(id: &str, value: &str) -> ParameterValue {
    ParameterValue::builder()
        .id(id)
        .string_value(value)
        .build()
        .expect("id and value are set")
}

fn selector(field: &str, kind: OperatorType, values: &[&str]) -> Selector {
    let operator = Operator::builder()
        .r#type(kind)
        .set_values(Some(
            values.iter().map(|value| (*value).to_owned()).collect(),
        ))
        .build();
    Selector::builder()
        .field_name(field)
        .operator(operator)
        .build()
}

#[tokio::test]
async fn create_pipeline_is_idempotent_on_name_and_unique_id() {
    let Bench { service, client } = bench().await;
    let create = |name: &str, unique: &str| {
        let request = client
            .create_pipeline()
            .name(name)
            .unique_id(unique)
            .description("d")
            .tags(tag("team", "data"));
        async move { request.send().await.expect("create").pipeline_id }
    };
    let first = create("orders", "token-1").await;
    assert!(first.starts_with("df-") && first.len() == 22, "{first}");
    assert!(
        first[3..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{first}"
    );
    assert_eq!(
        create("orders", "token-1").await,
        first,
        "the same name and uniqueId answer the same pipeline"
    );
    let other_token = create("orders", "token-2").await;
    let other_name = create("invoices", "token-1").await;
    assert_ne!(other_token, first);
    assert_ne!(other_name, first);
    assert_ne!(other_name, other_token);
    let listed = client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list;
    assert_eq!(listed.len(), 3, "{listed:?}");
    service.shutdown().await;
}

#[tokio::test]
async fn definitions_are_validated_stored_as_latest_and_activated_as_active() {
    let Bench { service, client } = bench().await;
    let id = client
        .create_pipeline()
        .name("defs")
        .unique_id("defs")
        .send()
        .await
        .expect("create")
        .pipeline_id;

    // Errors: nothing is stored, and every problem is reported per object.
    let broken = vec![
        object(
            "Default",
            vec![
                string("scheduleType", "ondemand"),
                string("workerGroup", "w"),
            ],
        ),
        object("NoType", vec![string("command", "true")]),
        object("Bad", vec![string("type", "NoSuchActivity")]),
    ];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(broken.clone()))
        .send()
        .await
        .expect("put");
    assert!(put.errored);
    let errors = put.validation_errors();
    let ids: Vec<&str> = errors
        .iter()
        .filter_map(|error| error.id.as_deref())
        .collect();
    assert_eq!(ids, ["NoType", "Bad"], "{errors:?}");
    assert!(
        errors.iter().all(|error| !error.errors().is_empty()),
        "{errors:?}"
    );
    assert!(errors[0].errors()[0].contains("type"), "{errors:?}");
    let latest = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .send()
        .await
        .expect("get");
    assert!(
        latest.pipeline_objects().is_empty(),
        "an errored definition is not stored: {latest:?}"
    );

    // ValidatePipelineDefinition answers the same report and stores nothing.
    let validated = client
        .validate_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(broken))
        .send()
        .await
        .expect("validate");
    assert!(validated.errored);
    assert_eq!(validated.validation_errors().len(), 2);

    // Warnings only: stored, not errored.
    let warned = vec![
        object("Default", vec![string("workerGroup", "w")]),
        shell("Act", "echo one", vec![]),
    ];
    let validated = client
        .validate_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(warned.clone()))
        .send()
        .await
        .expect("validate");
    assert!(!validated.errored, "{validated:?}");
    assert!(
        client
            .get_pipeline_definition()
            .pipeline_id(&id)
            .send()
            .await
            .expect("get")
            .pipeline_objects()
            .is_empty(),
        "validate stores nothing"
    );
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(warned))
        .send()
        .await
        .expect("put");
    assert!(!put.errored);
    assert!(put.validation_errors().is_empty());
    let warnings = put.validation_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].id.as_deref(), Some("Act"));
    assert!(
        warnings[0].warnings()[0].contains("schedule"),
        "{warnings:?}"
    );

    // latest and active.
    let sound = vec![on_demand_default("w"), shell("Act", "echo two", vec![])];
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(sound))
        .send()
        .await
        .expect("put");
    assert!(
        !put.errored && put.validation_warnings().is_empty(),
        "{put:?}"
    );
    let active = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .version("active")
        .send()
        .await
        .expect("get active");
    assert!(
        active.pipeline_objects().is_empty(),
        "nothing is active before activation"
    );
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate");
    let newer = vec![on_demand_default("w"), shell("Act", "echo three", vec![])];
    client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(newer))
        .send()
        .await
        .expect("put");
    let command = |output: &aws_sdk_datapipeline::operation::get_pipeline_definition::GetPipelineDefinitionOutput| {
        output.pipeline_objects().iter().find(|object| object.id == "Act").and_then(|object| field(object, "command")).map(str::to_owned)
    };
    let latest = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .version("latest")
        .send()
        .await
        .expect("get latest");
    let default = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .send()
        .await
        .expect("get");
    let active = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .version("active")
        .send()
        .await
        .expect("get active");
    assert_eq!(command(&latest).as_deref(), Some("echo three"));
    assert_eq!(
        command(&default).as_deref(),
        Some("echo three"),
        "latest is the default version"
    );
    assert_eq!(command(&active).as_deref(), Some("echo two"));
    service.shutdown().await;
}

#[tokio::test]
async fn activation_takes_parameter_values_and_a_start_timestamp() {
    let Bench { service, client } = bench().await;
    let id = client
        .create_pipeline()
        .name("params")
        .unique_id("params")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    let declaration = ParameterObject::builder()
        .id("myName")
        .attributes(
            ParameterAttribute::builder()
                .key("type")
                .string_value("String")
                .build()
                .expect("attribute"),
        )
        .attributes(
            ParameterAttribute::builder()
                .key("default")
                .string_value("nobody")
                .build()
                .expect("attribute"),
        )
        .build()
        .expect("parameter");
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(vec![
            on_demand_default("params"),
            shell("Greet", "echo hello #{myName}", vec![]),
        ]))
        .parameter_objects(declaration)
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .parameter_values(parameter_value("myName", "world"))
        .start_timestamp(DateTime::from_secs(1_356_998_400)) // 2013-01-01T00:00:00
        .send()
        .await
        .expect("activate");
    let task = poll(&client, "params")
        .await
        .expect("a task is ready at once");
    assert_eq!(task.pipeline_id, id);
    assert_eq!(task.attempt_id, "@Greet_2013-01-01T00:00:00_Attempt=1");
    assert_eq!(task.field("command"), Some("echo hello world"));
    assert_eq!(
        task.field("@scheduledStartTime"),
        Some("2013-01-01T00:00:00")
    );
    assert_eq!(task.field("@sphere"), Some("ATTEMPT"));
    assert_eq!(task.field("@status"), Some("RUNNING"));
    let active = client
        .get_pipeline_definition()
        .pipeline_id(&id)
        .version("active")
        .send()
        .await
        .expect("get");
    assert_eq!(active.pipeline_objects().len(), 2);
    service.shutdown().await;
}

#[tokio::test]
async fn describe_list_tag_and_delete_pipelines() {
    let Bench { service, client } = bench().await;
    let id = client
        .create_pipeline()
        .name("described")
        .unique_id("u")
        .description("what it does")
        .tags(tag("team", "data"))
        .tags(tag("env", "test"))
        .send()
        .await
        .expect("create")
        .pipeline_id;
    let describe = || async {
        let mut list = client
            .describe_pipelines()
            .pipeline_ids(&id)
            .send()
            .await
            .expect("describe")
            .pipeline_description_list;
        assert_eq!(list.len(), 1);
        list.remove(0)
    };
    let description = describe().await;
    assert_eq!(description.pipeline_id, id);
    assert_eq!(description.name, "described");
    assert_eq!(description.description.as_deref(), Some("what it does"));
    let state = description
        .fields
        .iter()
        .find(|field| field.key == "@pipelineState")
        .and_then(|field| field.string_value.as_deref());
    assert_eq!(state, Some("PENDING"));
    let unique = description
        .fields
        .iter()
        .find(|field| field.key == "uniqueId")
        .and_then(|field| field.string_value.as_deref());
    assert_eq!(unique, Some("u"));
    let mut tags: Vec<(String, String)> = description
        .tags()
        .iter()
        .map(|tag| (tag.key.clone(), tag.value.clone()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("env".to_owned(), "test".to_owned()),
            ("team".to_owned(), "data".to_owned())
        ]
    );

    client
        .add_tags()
        .pipeline_id(&id)
        .tags(tag("team", "platform"))
        .tags(tag("owner", "me"))
        .send()
        .await
        .expect("add tags");
    client
        .remove_tags()
        .pipeline_id(&id)
        .tag_keys("env")
        .tag_keys("absent")
        .send()
        .await
        .expect("remove tags");
    let mut tags: Vec<(String, String)> = describe()
        .await
        .tags()
        .iter()
        .map(|tag| (tag.key.clone(), tag.value.clone()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("owner".to_owned(), "me".to_owned()),
            ("team".to_owned(), "platform".to_owned())
        ]
    );

    let listed = client.list_pipelines().send().await.expect("list");
    assert_eq!(listed.pipeline_id_list.len(), 1);
    assert_eq!(listed.pipeline_id_list[0].id.as_deref(), Some(id.as_str()));
    assert_eq!(
        listed.pipeline_id_list[0].name.as_deref(),
        Some("described")
    );
    assert!(!listed.has_more_results);

    client
        .delete_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("delete");
    assert!(client
        .list_pipelines()
        .send()
        .await
        .expect("list")
        .pipeline_id_list
        .is_empty());
    // The name and uniqueId are free again.
    let again = client
        .create_pipeline()
        .name("described")
        .unique_id("u")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    assert_ne!(again, id);
    service.shutdown().await;
}

#[tokio::test]
async fn list_pipelines_pages_through_every_pipeline() {
    let Bench { service, client } = bench().await;
    let mut created = Vec::new();
    for index in 0..60 {
        let name = format!("p{index}");
        created.push(
            client
                .create_pipeline()
                .name(&name)
                .unique_id(&name)
                .send()
                .await
                .expect("create")
                .pipeline_id,
        );
    }
    let first = client.list_pipelines().send().await.expect("list");
    assert_eq!(first.pipeline_id_list.len(), 25);
    assert!(first.has_more_results);
    assert!(first
        .marker
        .as_deref()
        .is_some_and(|marker| !marker.is_empty()));
    let pages: Vec<_> = client
        .list_pipelines()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 3);
    assert!(!pages[2].has_more_results);
    let items: Vec<_> = client
        .list_pipelines()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("items");
    let mut listed: Vec<String> = items.into_iter().filter_map(|item| item.id).collect();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
    service.shutdown().await;
}

#[tokio::test]
async fn describe_objects_covers_components_instances_and_attempts() {
    let Bench { service, client } = bench().await;
    let id = activate(
        &client,
        "objects",
        vec![
            on_demand_default("objects"),
            shell("Act", "echo hi", vec![string("myOwnField", "x")]),
        ],
    )
    .await;
    let task = poll(&client, "objects").await.expect("task");
    let instance = field(&task.attempt, "@instanceParent")
        .expect("@instanceParent")
        .to_owned();
    let described = client
        .describe_objects()
        .pipeline_id(&id)
        .object_ids("Act")
        .object_ids(&instance)
        .object_ids(&task.attempt_id)
        .object_ids("NoSuchObject")
        .evaluate_expressions(true)
        .send()
        .await
        .expect("describe");
    let objects = described.pipeline_objects;
    assert_eq!(
        objects
            .iter()
            .map(|object| object.id.as_str())
            .collect::<Vec<_>>(),
        ["Act", instance.as_str(), task.attempt_id.as_str()]
    );
    assert_eq!(field(&objects[0], "@sphere"), Some("COMPONENT"));
    assert_eq!(field(&objects[0], "myOwnField"), Some("x"));
    assert_eq!(field(&objects[1], "@sphere"), Some("INSTANCE"));
    assert_eq!(field(&objects[1], "@status"), Some("RUNNING"));
    assert_eq!(field(&objects[1], "@componentParent"), Some("Act"));
    assert_eq!(
        field(&objects[1], "@headAttempt"),
        Some(task.attempt_id.as_str())
    );
    assert_eq!(field(&objects[2], "@sphere"), Some("ATTEMPT"));
    assert_eq!(field(&objects[2], "hostname"), Some("test-host"));
    assert!(!described.has_more_results);
    service.shutdown().await;
}

#[tokio::test]
async fn query_objects_selects_by_sphere_and_selectors_and_pages() {
    let Bench { service, client } = bench().await;
    let mut objects = vec![on_demand_default("query")];
    for index in 0..5 {
        objects.push(shell(
            &format!("Act{index}"),
            &format!("echo {index}"),
            vec![string("myRank", &index.to_string())],
        ));
    }
    objects.push(shell(
        "Last",
        "echo last",
        vec![reference("dependsOn", "Act0")],
    ));
    let id = activate(&client, "query", objects).await;

    let query = |sphere: &str| client.query_objects().pipeline_id(&id).sphere(sphere);
    let components = query("COMPONENT")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    assert_eq!(components.len(), 7, "{components:?}");
    let instances = query("INSTANCE")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    assert_eq!(instances.len(), 6, "{instances:?}");
    let attempts = query("ATTEMPT")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    assert_eq!(
        attempts.len(),
        5,
        "Last waits on Act0 and has no attempt yet: {attempts:?}"
    );

    // Selectors.
    let by_type = query("COMPONENT").query(
        Query::builder()
            .selectors(selector(
                "type",
                OperatorType::Equal,
                &["ShellCommandActivity"],
            ))
            .build(),
    );
    assert_eq!(
        by_type
            .send()
            .await
            .expect("query")
            .ids
            .unwrap_or_default()
            .len(),
        6
    );
    let waiting = query("INSTANCE").query(
        Query::builder()
            .selectors(selector(
                "@status",
                OperatorType::Equal,
                &["WAITING_ON_DEPENDENCIES"],
            ))
            .build(),
    );
    let waiting = waiting.send().await.expect("query").ids.unwrap_or_default();
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].starts_with("@Last_"), "{waiting:?}");
    let depends = query("INSTANCE").query(
        Query::builder()
            .selectors(selector(
                "dependsOn",
                OperatorType::ReferenceEqual,
                &["Act0"],
            ))
            .build(),
    );
    assert_eq!(
        depends
            .send()
            .await
            .expect("query")
            .ids
            .unwrap_or_default()
            .len(),
        1
    );
    let ranked = query("COMPONENT").query(
        Query::builder()
            .selectors(selector("myRank", OperatorType::GreaterThanOrEqual, &["1"]))
            .selectors(selector("myRank", OperatorType::LessThanOrEqual, &["3"]))
            .build(),
    );
    assert_eq!(
        ranked.send().await.expect("query").ids.unwrap_or_default(),
        ["Act1", "Act2", "Act3"]
    );
    let between = query("COMPONENT").query(
        Query::builder()
            .selectors(selector("myRank", OperatorType::Between, &["2", "4"]))
            .build(),
    );
    assert_eq!(
        between.send().await.expect("query").ids.unwrap_or_default(),
        ["Act2", "Act3", "Act4"]
    );

    // limit and marker.
    let page = query("INSTANCE").limit(4).send().await.expect("query");
    assert_eq!(page.ids().len(), 4);
    assert!(page.has_more_results);
    let rest = query("INSTANCE")
        .limit(4)
        .marker(page.marker.clone().expect("marker"))
        .send()
        .await
        .expect("query");
    assert_eq!(rest.ids().len(), 2);
    assert!(!rest.has_more_results);
    assert!(rest.marker.as_deref().is_none_or(str::is_empty));
    let mut paged: Vec<String> = query("INSTANCE")
        .into_paginator()
        .page_size(2)
        .items()
        .send()
        .try_collect()
        .await
        .expect("items");
    paged.sort();
    let mut all = instances.clone();
    all.sort();
    assert_eq!(paged, all);
    service.shutdown().await;
}

#[tokio::test]
async fn evaluate_expression_answers_in_the_scope_of_an_object() {
    let Bench { service, client } = bench().await;
    let id = activate(
        &client,
        "expressions",
        vec![
            on_demand_default("expressions"),
            shell("Act", "echo", vec![string("myValue", "42")]),
        ],
    )
    .await;
    let evaluate = |object: &str, expression: &str| {
        let request = client
            .evaluate_expression()
            .pipeline_id(&id)
            .object_id(object)
            .expression(expression);
        async move { request.send().await.expect("evaluate").evaluated_expression }
    };
    assert_eq!(evaluate("Act", "value #{myValue}").await, "value 42");
    assert_eq!(evaluate("Act", "#{1 + 2}").await, "3");
    let task = poll(&client, "expressions").await.expect("task");
    let instance = field(&task.attempt, "@instanceParent")
        .expect("@instanceParent")
        .to_owned();
    let start = field(&task.attempt, "@scheduledStartTime")
        .expect("@scheduledStartTime")
        .to_owned();
    assert_eq!(evaluate(&instance, "#{@scheduledStartTime}").await, start);
    assert_eq!(
        evaluate(&instance, "#{format(@scheduledStartTime,'YYYY')}").await,
        start[..4]
    );
    service.shutdown().await;
}

#[tokio::test]
async fn poll_for_task_answers_at_once_or_after_the_long_poll() {
    let Bench { service, client } = bench().await;
    // Nothing queued: the poll waits out long_poll_wait (500 ms) and answers {}.
    let began = tokio::time::Instant::now();
    assert!(poll(&client, "idle").await.is_none());
    let waited = began.elapsed();
    assert!(waited >= Duration::from_millis(450), "{waited:?}");
    assert_eq!(service.audit().empty_polls, 1);

    // A waiting poll is answered as soon as a task is queued.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { poll(&client, "late").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    activate(
        &client,
        "late",
        vec![on_demand_default("late"), shell("Act", "echo late", vec![])],
    )
    .await;
    let task = waiting
        .await
        .expect("the poll task")
        .expect("the long poll gets the task");
    assert_eq!(task.field("command"), Some("echo late"));

    // A ready task is answered at once.
    activate(
        &client,
        "ready",
        vec![
            on_demand_default("ready"),
            shell("Act", "echo ready", vec![]),
        ],
    )
    .await;
    let began = tokio::time::Instant::now();
    let task = poll(&client, "ready").await.expect("task");
    assert!(
        began.elapsed() < Duration::from_millis(400),
        "{:?}",
        began.elapsed()
    );
    assert!(task.objects.contains_key(&task.attempt_id));
    assert!(task.task_id.len() > 100, "taskIds are long and opaque");
    service.shutdown().await;
}

#[tokio::test]
async fn concurrent_polls_on_one_worker_group_get_different_tasks() {
    let Bench { service, client } = bench().await;
    let mut objects = vec![on_demand_default("many")];
    for index in 0..8 {
        objects.push(shell(&format!("Act{index}"), "echo", vec![]));
    }
    activate(&client, "many", objects).await;
    let polls: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { poll(&client, "many").await })
        })
        .collect();
    let mut attempts = Vec::new();
    let mut task_ids = Vec::new();
    for handle in polls {
        if let Some(task) = handle.await.expect("poll task") {
            attempts.push(task.attempt_id);
            task_ids.push(task.task_id);
        }
    }
    attempts.sort();
    attempts.dedup();
    task_ids.sort();
    task_ids.dedup();
    assert_eq!(
        attempts.len(),
        8,
        "every task handed out once: {attempts:?}"
    );
    assert_eq!(task_ids.len(), 8);
    let audit = service.audit();
    assert_eq!(audit.tasks_polled, 8);
    assert_eq!(audit.empty_polls, 2);
    service.shutdown().await;
}

#[tokio::test]
async fn report_progress_and_set_task_status_record_on_the_attempt() {
    let Bench { service, client } = bench().await;
    let id = activate(
        &client,
        "report",
        vec![
            on_demand_default("report"),
            shell("Act", "false", vec![string("maximumRetries", "0")]),
        ],
    )
    .await;
    let task = poll(&client, "report").await.expect("task");
    let progress = client
        .report_task_progress()
        .task_id(&task.task_id)
        .fields(string("myProgress", "50%"))
        .send()
        .await
        .expect("report");
    assert!(!progress.canceled);
    let attempt = client
        .describe_objects()
        .pipeline_id(&id)
        .object_ids(&task.attempt_id)
        .send()
        .await
        .expect("describe")
        .pipeline_objects
        .remove(0);
    assert!(
        field(&attempt, "reportProgressTime").is_some(),
        "{attempt:?}"
    );
    client
        .set_task_status()
        .task_id(&task.task_id)
        .task_status(TaskStatus::Failed)
        .error_id("MyError")
        .error_message("it broke")
        .error_stack_trace("at line 1")
        .send()
        .await
        .expect("set task status");
    let attempt = client
        .describe_objects()
        .pipeline_id(&id)
        .object_ids(&task.attempt_id)
        .send()
        .await
        .expect("describe")
        .pipeline_objects
        .remove(0);
    assert_eq!(field(&attempt, "@status"), Some("FAILED"));
    assert_eq!(field(&attempt, "errorId"), Some("MyError"));
    assert_eq!(field(&attempt, "errorMessage"), Some("it broke"));
    assert_eq!(field(&attempt, "errorStackTrace"), Some("at line 1"));
    let instance = field(&attempt, "@instanceParent")
        .expect("@instanceParent")
        .to_owned();
    assert_eq!(status_of(&client, &id, &instance).await, "FAILED");
    let audit = service.audit();
    assert_eq!(
        (
            audit.acknowledgements,
            audit.progress_reports,
            audit.statuses_accepted,
            audit.attempts_failed
        ),
        (1, 1, 1, 1)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn heartbeats_are_recorded_and_answer_terminate_when_asked() {
    let Bench { service, client } = bench().await;
    let beat = || async {
        client
            .report_task_runner_heartbeat()
            .taskrunner_id("runner-1")
            .worker_group("w")
            .hostname("host-a")
            .send()
            .await
            .expect("heartbeat")
            .terminate
    };
    assert!(!beat().await);
    assert!(!beat().await);
    let runners = service.runners();
    assert_eq!(runners.len(), 1);
    assert_eq!(runners[0].taskrunner_id, "runner-1");
    assert_eq!(runners[0].worker_group.as_deref(), Some("w"));
    assert_eq!(runners[0].hostname.as_deref(), Some("host-a"));
    assert_eq!(runners[0].heartbeats, 2);
    service.terminate_runner("runner-1");
    assert!(beat().await);
    let other = client
        .report_task_runner_heartbeat()
        .taskrunner_id("runner-2")
        .send()
        .await
        .expect("heartbeat");
    assert!(
        !other.terminate,
        "only the named runner is told to terminate"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn deactivate_without_cancel_lets_running_attempts_finish() {
    let Bench { service, client } = bench().await;
    let id = activate(
        &client,
        "gentle",
        vec![
            on_demand_default("gentle"),
            shell("A", "echo a", vec![]),
            shell("B", "echo b", vec![]),
        ],
    )
    .await;
    let task = poll(&client, "gentle").await.expect("task");
    client
        .deactivate_pipeline()
        .pipeline_id(&id)
        .cancel_active(false)
        .send()
        .await
        .expect("deactivate");
    assert!(
        !ack(&client, &task).await,
        "the running attempt is not canceled"
    );
    assert!(
        poll(&client, "gentle").await.is_none(),
        "nothing new starts while inactive"
    );
    finish(&client, &task, TaskStatus::Finished).await;
    let described = client
        .describe_pipelines()
        .pipeline_ids(&id)
        .send()
        .await
        .expect("describe");
    let state = described.pipeline_description_list[0]
        .fields
        .iter()
        .find(|field| field.key == "@pipelineState")
        .and_then(|field| field.string_value.clone());
    assert_eq!(state.as_deref(), Some("INACTIVE"));
    // Activating again resumes: the other activity runs.
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .expect("activate");
    let next = poll(&client, "gentle").await.expect("the other task");
    assert_ne!(next.attempt_id, task.attempt_id);
    service.shutdown().await;
}
