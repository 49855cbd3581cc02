//! `taskrunner --workerGroup …`: run tasks of the Data Pipeline service.

use std::path::Path;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};
use taskrunner::{poll::PollerConfig, Runner};

use crate::activities;
use crate::ec2;
use crate::log_upload::{self, LogUploads};
use crate::logging::LogGuard;
use crate::metrics_server::{self, Readiness};
use crate::proxy::Proxy;
use crate::proxy_check::{self, ProxyCheckError};
use crate::settings::{RunSettings, DEFAULT_REGION};
use crate::signals;

/// Runs until a signal or `terminate: true`, then drains; then, with
/// `--logUri`, closes the log files (`log_guard`) of `output` and uploads
/// them a last time.
///
/// # Errors
/// The runner cannot start: a proxy refusing our credentials, the metrics
/// address in use, runner settings the runner refuses.
pub(crate) async fn run(
    settings: RunSettings,
    output: Option<&Path>,
    log_guard: Option<LogGuard>,
) -> anyhow::Result<ExitCode> {
    let RunSettings {
        worker_group,
        region,
        endpoint,
        credentials,
        log_uri,
        proxy,
        taskrunner_id,
        hostname,
        tasks,
        precondition_tasks,
        metrics_addr,
        s3_endpoint,
        runner: runner_settings,
        shell,
    } = settings;
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if let Some(credentials) = credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            credentials.access_id,
            credentials.secret_key,
            None,
            None,
            "taskrunner-flags",
        ));
    }
    // On the loader, so that the credential providers' calls (STS, SSO) take
    // the proxy as well.
    if let Some(http_client) = proxy.aws_client() {
        loader = loader.http_client(http_client);
    }
    // The Data Pipeline endpoint goes to its client only: S3 has its own
    // (--s3-endpoint).
    let config = loader.load().await;
    // The Java runner's default region, when neither flags nor the
    // environment name one.
    let config = if config.region().is_none() {
        config
            .into_builder()
            .region(Region::new(DEFAULT_REGION))
            .build()
    } else {
        config
    };
    let region = config
        .region()
        .map_or_else(|| DEFAULT_REGION.to_owned(), ToString::to_string);
    let data_pipeline_url = endpoint
        .clone()
        .unwrap_or_else(|| format!("https://datapipeline.{region}.amazonaws.com"));
    check_proxy(&proxy, &data_pipeline_url).await?;
    let mut pipeline_config = aws_sdk_datapipeline::config::Builder::from(&config);
    if let Some(endpoint) = &endpoint {
        pipeline_config = pipeline_config.endpoint_url(endpoint);
    }
    let client = aws_sdk_datapipeline::Client::from_conf(pipeline_config.build());
    let storage = activities::s3_storage(&config, s3_endpoint.as_deref(), proxy.s3_client());

    let mut poller = PollerConfig {
        concurrency: tasks,
        pollers: tasks,
        precondition_slots: precondition_tasks,
        ..PollerConfig::new(&worker_group)
    };
    if ec2::on_ec2() {
        poller.instance_identity = ec2::instance_identity().await;
    }
    let mut builder = Runner::builder(client).worker_group_config(poller);
    if let Some(id) = &taskrunner_id {
        builder = builder.taskrunner_id(id);
    }
    if let Some(hostname) = &hostname {
        builder = builder.hostname(hostname);
    }
    let builder = activities::tune(
        activities::register(builder, &shell, Some(storage.clone()), Some(&config)),
        &runner_settings,
    );
    let runner = builder.build()?;
    let log_uploads: Option<LogUploads> = match &log_uri {
        Some((uri, source)) => {
            log_upload::start(uri, *source, output, storage, runner.taskrunner_id())?
        }
        None => None,
    };

    let readiness = Readiness::default();
    let stop_metrics = tokio_util::sync::CancellationToken::new();
    let metrics = match metrics_addr {
        Some(address) => {
            Some(metrics_server::serve(address, readiness.clone(), stop_metrics.clone()).await?)
        }
        None => None,
    };
    println!(
        "taskrunner: worker group {worker_group}, region {region}, endpoint {}, {}, concurrency {}, runner id {}{}",
        endpoint.as_deref().unwrap_or("(AWS default)"),
        proxy.describe(),
        tasks,
        runner.taskrunner_id(),
        metrics.map(|address| format!(", metrics http://{address}/metrics")).unwrap_or_default(),
    );
    // The Java runner says where its files go as it starts
    // (dp-how-task-runner-user-managed.md).
    if let Some(directory) = output {
        let shown = std::path::absolute(directory).unwrap_or_else(|_| directory.to_owned());
        println!("Logging to {}", shown.display());
    }
    readiness.set(true);
    let shutdown = {
        let readiness = readiness.clone();
        async move {
            signals::shutdown_requested().await;
            readiness.set(false);
        }
    };
    let summary = runner.run_until(shutdown).await;
    stop_metrics.cancel();
    tracing::info!(
        finished = summary.finished,
        failed = summary.failed,
        canceled = summary.canceled,
        lost = summary.lost,
        shut_down = summary.shut_down,
        precondition_false = summary.precondition_false,
        abandoned = summary.abandoned,
        status_failures = summary.status_failures,
        statuses_unconfirmed = summary.statuses_unconfirmed,
        "taskrunner stopped"
    );
    if let Some(uploads) = log_uploads {
        uploads.finish(log_guard).await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Stops the start when the proxy in the way to `endpoint` refuses our
/// credentials; only warns when it cannot be asked, since the calls retry.
async fn check_proxy(proxy: &Proxy, endpoint: &str) -> anyhow::Result<()> {
    let Ok(target) = endpoint.parse::<hyper::Uri>() else {
        return Ok(());
    };
    match proxy_check::check(&proxy.matcher(), &target).await {
        Ok(()) => Ok(()),
        Err(error @ ProxyCheckError::Refused { .. }) => Err(error.into()),
        Err(error) => {
            tracing::warn!("{error}");
            Ok(())
        }
    }
}
