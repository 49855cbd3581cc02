//! `taskrunner local DEFINITION.json`: a pipeline run end to end on an
//! embedded `datapipeline-local`, with no AWS account.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_datapipeline::types::{
    Field, ParameterAttribute, ParameterObject, ParameterValue, PipelineObject,
};
use aws_sdk_datapipeline::Client;
use datapipeline_local::definition::{parse_definition_file, Definition};
use datapipeline_local::{start_on, Config, Timing};
use taskrunner::Runner;
use tokio_util::sync::CancellationToken;

use crate::local_s3::LocalS3;
use crate::parameter_inputs::{self, ParameterFlags};
use crate::secrets::mask;
use crate::settings::LocalSettings;
use crate::view::{Snapshot, View};
use crate::{activities, endless_schedules, placement, secrets};

/// The exit code when an activity did not finish.
const SOME_FAILED: u8 = 1;
/// The exit code when the definition was refused.
const INVALID_DEFINITION: u8 = 2;
/// The exit code when the run did not end within `--timeout`.
const TIMED_OUT: u8 = 3;

/// Runs the pipeline; answers 0 only if every activity finished.
///
/// # Errors
/// The definition cannot be read, or the embedded service cannot start.
pub(crate) async fn run(settings: LocalSettings) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&settings.definition).with_context(|| {
        format!(
            "cannot read the definition {}",
            settings.definition.display()
        )
    })?;
    let mut definition = match parse_definition_file(&text) {
        Ok(definition) => definition,
        Err(error) => {
            eprintln!("taskrunner: {}: {error}", settings.definition.display());
            return Ok(ExitCode::from(INVALID_DEFINITION));
        }
    };
    let flags = ParameterFlags {
        values: &settings.parameter_values,
        values_file: settings.parameter_values_uri.as_deref(),
        objects_file: settings.parameter_objects.as_deref(),
    };
    if let Err(error) = parameter_inputs::apply(&mut definition, flags) {
        eprintln!("taskrunner: {}", mask(&error.to_string()));
        return Ok(ExitCode::from(INVALID_DEFINITION));
    }
    // Before anything is printed or logged about the definition.
    secrets::register(secrets::encrypted_values(&definition));
    let bounded = endless_schedules::bound(
        &mut definition,
        settings.periods,
        chrono::Utc::now().naive_utc(),
    );

    let s3 = LocalS3::for_run(&settings.store).await?;
    let timing = Timing {
        long_poll_wait: Duration::from_secs(1),
        retry_delay_floor: Duration::ZERO,
        time_scale: settings.time_scale,
        ..Timing::default()
    };
    let service = start_on(
        SocketAddr::from(([127, 0, 0, 1], settings.port)),
        Config {
            timing,
            s3: Some(s3.access()),
            attempt_logs: s3.attempt_logs(),
            ..Config::default()
        },
    )
    .await?;
    let client = local_client(&service.endpoint_url());
    let name = &settings.name;

    let pipeline = client
        .create_pipeline()
        .name(name)
        .unique_id(name)
        .send()
        .await
        .context("CreatePipeline")?
        .pipeline_id;
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&pipeline)
        .set_pipeline_objects(Some(objects(&definition)?))
        .set_parameter_objects(Some(parameter_objects(&definition)?))
        .set_parameter_values(Some(parameter_values(&definition.parameter_values)?))
        .send()
        .await
        .context("PutPipelineDefinition")?;
    for warning in put.validation_warnings() {
        for message in warning.warnings() {
            eprintln!(
                "warning: {}: {}",
                warning.id().unwrap_or("?"),
                mask(message)
            );
        }
    }
    if put.errored {
        for error in put.validation_errors() {
            for message in error.errors() {
                eprintln!("error: {}: {}", error.id().unwrap_or("?"), mask(message));
            }
        }
        eprintln!(
            "taskrunner: the service refused {}",
            settings.definition.display()
        );
        return Ok(ExitCode::from(INVALID_DEFINITION));
    }
    // After the service's validation, whose messages (an unknown type, a
    // missing field) say more about a definition with no runnable activity.
    let placements = placement::placements(&definition);
    let worker_groups = placement::worker_groups(&placements);
    if worker_groups.is_empty() {
        eprintln!(
            "taskrunner: {}: no activity names a workerGroup or runsOn, so no runner could take its tasks",
            settings.definition.display()
        );
        return Ok(ExitCode::from(INVALID_DEFINITION));
    }
    // The values go again with the activation, as the AWS CLI user who
    // activates with --parameter-values sends them.
    let mut activate = client.activate_pipeline().pipeline_id(&pipeline);
    if !definition.parameter_values.is_empty() {
        activate =
            activate.set_parameter_values(Some(parameter_values(&definition.parameter_values)?));
    }
    if let Err(error) = activate.send().await {
        let error = aws_sdk_datapipeline::error::DisplayErrorContext(&error).to_string();
        eprintln!(
            "taskrunner: ActivatePipeline refused the pipeline: {}",
            mask(&error)
        );
        return Ok(ExitCode::from(INVALID_DEFINITION));
    }

    println!(
        "taskrunner local: {} as {pipeline} on {} (worker groups: {}, pipeline time ×{})",
        settings.definition.display(),
        service.endpoint_url(),
        worker_groups.iter().cloned().collect::<Vec<_>>().join(", "),
        settings.time_scale
    );
    for schedule in &bounded {
        println!("{schedule}");
    }
    for placement in placements
        .iter()
        .filter(|placement| placement.worth_telling())
    {
        println!("{placement}");
    }
    println!("{}", s3.describe());
    if settings.serve {
        println!("web console: {}", service.console_url());
    }
    // Keep every command's output where the user can read it.
    let logs = settings.attempt_logs(&pipeline);
    let mut builder = Runner::builder(client.clone())
        .concurrency(settings.tasks)
        .heartbeat_interval(Duration::from_secs(60))
        // Preconditions wait in pipeline time, as the service does.
        .precondition_time_scale(settings.time_scale);
    for group in &worker_groups {
        builder = builder.worker_group(group);
    }
    let mut shell = settings.shell_for(&pipeline);
    // Copied into the store too, where the web console reads them.
    shell.attempt_log_copies.extend(s3.attempt_logs());
    let runner = activities::tune(
        // No RDS API here: `local` needs no AWS account (the override
        // TASKRUNNER_RDS_ENDPOINT_<id> names RdsDatabase endpoints).
        activities::register(builder, &shell, Some(s3.storage()), None),
        &settings.runner,
    )
    .build()?;
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run_until({
        let stop = stop.clone();
        async move { stop.cancelled().await }
    }));

    let mut view = View::new();
    let deadline = tokio::time::Instant::now() + settings.timeout;
    let interrupted = crate::signals::shutdown_requested();
    tokio::pin!(interrupted);
    let ended = loop {
        let snapshot = Snapshot::take(&client, &pipeline).await?;
        view.show(&snapshot);
        if snapshot.finished {
            break true;
        }
        if tokio::time::Instant::now() >= deadline {
            break false;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            () = &mut interrupted => break false,
        }
    };
    stop.cancel();
    let _summary = running.await;
    let snapshot = Snapshot::take(&client, &pipeline).await?;
    view.finish(&snapshot);
    if logs.exists() {
        println!(
            "command output: {}/<component>/<instance>/<attempt>/{{StdOutput,StdError}}",
            logs.display()
        );
    }
    let code = if !ended {
        eprintln!(
            "taskrunner: the run did not end within {}",
            humantime::format_duration(settings.timeout)
        );
        ExitCode::from(TIMED_OUT)
    } else if snapshot.all_activities_finished() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(SOME_FAILED)
    };
    if settings.serve {
        println!(
            "serving {pipeline} on {}; try: aws --endpoint-url {} datapipeline list-runs --pipeline-id {pipeline}   (Ctrl-C stops)",
            service.endpoint_url(),
            service.endpoint_url()
        );
        crate::signals::shutdown_requested().await;
    }
    service.shutdown().await;
    Ok(code)
}

/// An SDK client for the embedded service. Credentials are placeholders:
/// the local service does not check signatures unless told to.
fn local_client(endpoint: &str) -> Client {
    let credentials =
        aws_credential_types::Credentials::new("local", "local", None, None, "taskrunner-local");
    let config = aws_sdk_datapipeline::Config::builder()
        .behavior_version(aws_sdk_datapipeline::config::BehaviorVersion::latest())
        .region(aws_sdk_datapipeline::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        // The service is on 127.0.0.1: never through HTTP_PROXY.
        .http_client(crate::proxy::direct_client())
        .build();
    Client::from_conf(config)
}

fn objects(definition: &Definition) -> anyhow::Result<Vec<PipelineObject>> {
    definition
        .objects
        .iter()
        .map(|object| {
            let fields = object
                .fields
                .iter()
                .map(|field| {
                    let builder = Field::builder().key(&field.key);
                    let builder = match &field.value {
                        datapipeline_local::model::FieldValue::String(value) => {
                            builder.string_value(value)
                        }
                        datapipeline_local::model::FieldValue::Ref(id) => builder.ref_value(id),
                    };
                    builder.build().map_err(anyhow::Error::from)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(PipelineObject::builder()
                .id(&object.id)
                .name(&object.name)
                .set_fields(Some(fields))
                .build()?)
        })
        .collect()
}

fn parameter_objects(definition: &Definition) -> anyhow::Result<Vec<ParameterObject>> {
    definition
        .parameter_objects
        .iter()
        .map(|parameter| {
            let attributes = parameter
                .attributes
                .iter()
                .map(|attribute| {
                    ParameterAttribute::builder()
                        .key(&attribute.key)
                        .string_value(&attribute.value)
                        .build()
                        .map_err(anyhow::Error::from)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(ParameterObject::builder()
                .id(&parameter.id)
                .set_attributes(Some(attributes))
                .build()?)
        })
        .collect()
}

fn parameter_values(
    values: &[datapipeline_local::definition::ParameterValue],
) -> anyhow::Result<Vec<ParameterValue>> {
    values
        .iter()
        .map(|value| {
            Ok(ParameterValue::builder()
                .id(&value.id)
                .string_value(&value.value)
                .build()?)
        })
        .collect()
}
