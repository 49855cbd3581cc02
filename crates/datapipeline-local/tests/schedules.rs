//! Schedules: one instance per period, cron and timeseries, bounded by
//! occurrences or endDateTime, periods appearing as pipeline time passes;
//! and expressions evaluated before objects reach a runner.

use crate::support;

use std::time::Duration;

use aws_sdk_datapipeline::types::{
    Field, ParameterAttribute, ParameterObject, ParameterValue, PipelineObject,
};
use chrono::{NaiveDateTime, TimeDelta, Timelike, Utc};
use datapipeline_local::Timing;
use support::*;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// Real-time pipeline clock: schedules in the past are backfilled at once
/// and no new period comes due during a test.
fn real_time() -> Timing {
    Timing {
        time_scale: 1.0,
        ..Timing::fast()
    }
}

/// Now, to the minute, minus `minutes`.
fn minutes_ago(minutes: i64) -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_second(0)
        .and_then(|time| time.with_nanosecond(0))
        .expect("a valid time")
        - TimeDelta::minutes(minutes)
}

fn format(time: NaiveDateTime) -> String {
    time.format(FORMAT).to_string()
}

fn scheduled(schedule_type: &str, schedule: Vec<Field>) -> Vec<PipelineObject> {
    let mut schedule_fields = vec![string("type", "Schedule"), string("period", "15 minutes")];
    schedule_fields.extend(schedule);
    vec![
        object(
            "Default",
            vec![
                string("scheduleType", schedule_type),
                string("workerGroup", "sched"),
                reference("schedule", "Every15"),
            ],
        ),
        object("Every15", schedule_fields),
        shell(
            "Act",
            "echo #{format(@scheduledStartTime,'YYYY-MM-dd')} #{@scheduledStartTime}",
            vec![],
        ),
    ]
}

async fn instance_ids(client: &aws_sdk_datapipeline::Client, pipeline: &str) -> Vec<String> {
    let mut ids = client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere("INSTANCE")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    ids.sort();
    ids
}

fn expected_ids(start: NaiveDateTime, count: i64) -> Vec<String> {
    (0..count)
        .map(|index| format!("@Act_{}", format(start + TimeDelta::minutes(15 * index))))
        .collect()
}

#[tokio::test]
async fn cron_creates_one_instance_per_period_until_end_date_time() {
    let Bench { service, client } = bench_timing(real_time()).await;
    let start = minutes_ago(45);
    let end = start + TimeDelta::minutes(45);
    let pipeline = activate(
        &client,
        "cron",
        scheduled(
            "cron",
            vec![
                string("startDateTime", &format(start)),
                string("endDateTime", &format(end)),
            ],
        ),
    )
    .await;
    assert_eq!(
        instance_ids(&client, &pipeline).await,
        expected_ids(start, 3)
    );

    // Each period's task carries its own times, expressions evaluated.
    let mut seen = Vec::new();
    while let Some(task) = poll(&client, "sched").await {
        let scheduled_start = task
            .field("@scheduledStartTime")
            .expect("@scheduledStartTime")
            .to_owned();
        let scheduled_end = task
            .field("@scheduledEndTime")
            .expect("@scheduledEndTime")
            .to_owned();
        let begins = NaiveDateTime::parse_from_str(&scheduled_start, FORMAT).expect("a wire time");
        assert_eq!(scheduled_end, format(begins + TimeDelta::minutes(15)));
        assert_eq!(task.attempt_id, format!("@Act_{scheduled_start}_Attempt=1"));
        assert_eq!(
            task.field("command"),
            Some(format!("echo {} {scheduled_start}", begins.format("%Y-%m-%d")).as_str())
        );
        finish(
            &client,
            &task,
            aws_sdk_datapipeline::types::TaskStatus::Finished,
        )
        .await;
        seen.push(scheduled_start);
    }
    seen.sort();
    assert_eq!(
        seen,
        (0..3)
            .map(|index| format(start + TimeDelta::minutes(15 * index)))
            .collect::<Vec<_>>()
    );
    let described = client
        .describe_pipelines()
        .pipeline_ids(&pipeline)
        .send()
        .await
        .expect("describe");
    let state = described.pipeline_description_list[0]
        .fields
        .iter()
        .find(|field| field.key == "@pipelineState")
        .and_then(|field| field.string_value.clone());
    assert_eq!(
        state.as_deref(),
        Some("FINISHED"),
        "the schedule ended and every instance finished"
    );
    service.shutdown().await;
}

#[tokio::test]
async fn cron_stops_after_its_occurrences() {
    let Bench { service, client } = bench_timing(real_time()).await;
    let start = minutes_ago(60);
    let pipeline = activate(
        &client,
        "occurrences",
        scheduled(
            "cron",
            vec![
                string("startDateTime", &format(start)),
                string("occurrences", "2"),
            ],
        ),
    )
    .await;
    assert_eq!(
        instance_ids(&client, &pipeline).await,
        expected_ids(start, 2)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn without_an_end_every_period_due_so_far_is_backfilled() {
    let Bench { service, client } = bench_timing(real_time()).await;
    let start = minutes_ago(45);
    let pipeline = activate(
        &client,
        "backfill",
        scheduled("cron", vec![string("startDateTime", &format(start))]),
    )
    .await;
    // Periods starting 45, 30, 15 and 0 minutes ago; the next is 15 minutes away.
    assert_eq!(
        instance_ids(&client, &pipeline).await,
        expected_ids(start, 4)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn timeseries_runs_each_period_at_its_end() {
    let Bench { service, client } = bench_timing(real_time()).await;
    let start = minutes_ago(45);
    let pipeline = activate(
        &client,
        "timeseries",
        scheduled("timeseries", vec![string("startDateTime", &format(start))]),
    )
    .await;
    // Periods that ended 30 and 15 minutes ago and now; the current one has not ended.
    assert_eq!(
        instance_ids(&client, &pipeline).await,
        expected_ids(start, 3)
    );
    let task = poll(&client, "sched").await.expect("task");
    assert!(task
        .field("@scheduledStartTime")
        .is_some_and(|time| time <= format(start + TimeDelta::minutes(30)).as_str()));
    service.shutdown().await;
}

#[tokio::test]
async fn with_fast_pipeline_time_new_periods_appear_as_time_passes() {
    // 9000×: a 15-minute period passes in 100 ms.
    let timing = Timing {
        time_scale: 9000.0,
        ..Timing::fast()
    };
    let Bench { service, client } = bench_timing(timing).await;
    let pipeline = activate(
        &client,
        "live",
        scheduled(
            "cron",
            vec![string("startAt", "FIRST_ACTIVATION_DATE_TIME")],
        ),
    )
    .await;
    let first = instance_ids(&client, &pipeline).await;
    assert!(
        !first.is_empty() && first.len() <= 2,
        "the first period starts at activation: {first:?}"
    );
    let ids = eventually("five periods", Duration::from_secs(5), || {
        let client = client.clone();
        let pipeline = pipeline.clone();
        async move {
            let ids = instance_ids(&client, &pipeline).await;
            (ids.len() >= 5).then_some(ids)
        }
    })
    .await;
    let starts: Vec<NaiveDateTime> = ids
        .iter()
        .map(|id| {
            NaiveDateTime::parse_from_str(id.trim_start_matches("@Act_"), FORMAT)
                .expect("an instance id with its start")
        })
        .collect();
    assert_eq!(format!("@Act_{}", format(starts[0])), first[0]);
    for pair in starts.windows(2) {
        assert_eq!(pair[1] - pair[0], TimeDelta::minutes(15), "{ids:?}");
    }
    service.shutdown().await;
}

#[tokio::test]
async fn expressions_and_parameters_are_evaluated_before_a_runner_sees_them() {
    let Bench { service, client } = bench_timing(real_time()).await;
    let start = minutes_ago(30);
    let id = client
        .create_pipeline()
        .name("expr")
        .unique_id("expr")
        .send()
        .await
        .expect("create")
        .pipeline_id;
    let mut objects = scheduled(
        "cron",
        vec![
            string("startDateTime", &format(start)),
            string("occurrences", "1"),
        ],
    );
    objects[2] = shell(
        "Act",
        "echo #{myName} #{format(@scheduledStartTime,'YYYY-MM-dd')}",
        vec![string(
            "myDay",
            "#{format(plusDays(@scheduledStartTime, 1),'YYYY-MM-dd')}",
        )],
    );
    let parameter = ParameterObject::builder()
        .id("myName")
        .attributes(
            ParameterAttribute::builder()
                .key("type")
                .string_value("String")
                .build()
                .expect("attribute"),
        )
        .build()
        .expect("parameter");
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects))
        .parameter_objects(parameter)
        .parameter_values(
            ParameterValue::builder()
                .id("myName")
                .string_value("defined")
                .build()
                .expect("value"),
        )
        .send()
        .await
        .expect("put");
    assert!(!put.errored, "{put:?}");
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .parameter_values(
            ParameterValue::builder()
                .id("myName")
                .string_value("activated")
                .build()
                .expect("value"),
        )
        .send()
        .await
        .expect("activate");
    let task = poll(&client, "sched").await.expect("task");
    let day = start.format("%Y-%m-%d").to_string();
    let next_day = (start + TimeDelta::days(1)).format("%Y-%m-%d").to_string();
    assert_eq!(
        task.field("command"),
        Some(format!("echo activated {day}").as_str()),
        "activation values beat definition values"
    );
    assert_eq!(task.field("myDay"), Some(next_day.as_str()));
    for object in task.objects.values() {
        for field in &object.fields {
            let value = field.string_value.as_deref().unwrap_or_default();
            // The component itself keeps its template; what the runner acts on is the attempt.
            if object.id == task.attempt_id {
                assert!(
                    !value.contains("#{"),
                    "{}.{} = {value}",
                    object.id,
                    field.key
                );
            }
        }
    }
    let instance = task.field("@instanceParent").expect("instance").to_owned();
    let described = client
        .describe_objects()
        .pipeline_id(&id)
        .object_ids(&instance)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        field(&described.pipeline_objects[0], "command"),
        Some(format!("echo activated {day}").as_str())
    );
    service.shutdown().await;
}
