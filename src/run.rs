//! `taskrunner --workerGroup …`: run tasks of the Data Pipeline service.

use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, Region};
use taskrunner::{PollerConfig, Runner, SdkTaskService};

use crate::activities;
use crate::cli::RunArgs;
use crate::credentials_file::CredentialsFile;
use crate::ec2;
use crate::log_upload::{self, LogUploads};
use crate::logging::LogGuard;
use crate::metrics_server::{self, Readiness};
use crate::proxy::Proxy;
use crate::proxy_check::{self, ProxyCheckError};
use crate::signals;

/// The exit code for flags that cannot be acted on (docs/GUIDE.md, "Exit
/// codes"), as clap exits for flags it refuses.
const BAD_FLAGS: u8 = 2;

/// The region the Java runner defaults to.
const DEFAULT_REGION: &str = "us-east-1";

/// Runs until a signal or `terminate: true`, then drains; then, with
/// `--logUri`, closes the log files (`log_guard`) and uploads them a last
/// time.
///
/// # Errors
/// Bad configuration (credentials file, log URI, metrics address, runner
/// settings). Proxy flags that cannot be acted on end with exit code 2
/// instead, as other bad flags do.
pub(crate) async fn run(
    mut arguments: RunArgs,
    output: Option<PathBuf>,
    log_guard: Option<LogGuard>,
) -> anyhow::Result<ExitCode> {
    warn_unsupported(&arguments);
    let proxy = match Proxy::from_arguments(&arguments) {
        Ok(proxy) => proxy,
        Err(error) => {
            eprintln!("taskrunner: {error}");
            return Ok(ExitCode::from(BAD_FLAGS));
        }
    };
    let file = match &arguments.config {
        Some(path) => CredentialsFile::read(path)?,
        None => CredentialsFile::default(),
    };
    for key in file.unknown.keys() {
        tracing::warn!(key = %key, "the credentials file has a key this runner does not use; ignored");
    }
    let worker_group = arguments.worker_group.clone().unwrap_or_default();
    let region = arguments.region.clone().or(file.region.clone());
    let endpoint = arguments.endpoint.clone().or(file.endpoint.clone());
    let access_id = arguments.access_id.clone().or(file.access_id.clone());
    let secret_key = arguments.secret_key.clone().or(file.private_key.clone());
    let log_uri = match (arguments.log_uri.clone(), file.log_uri.clone()) {
        (Some(uri), _) => Some((uri, log_upload::Source::Flag)),
        (None, Some(uri)) => Some((uri, log_upload::Source::CredentialsFile)),
        (None, None) => None,
    };
    if let Some((uri, source)) = &log_uri {
        log_upload::check(uri, *source)?;
    }

    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    loader = match region.clone() {
        Some(region) => loader.region(Region::new(region)),
        None => loader,
    };
    match (access_id, secret_key) {
        (Some(access_id), Some(secret_key)) => {
            let credentials = aws_credential_types::Credentials::new(
                access_id,
                secret_key,
                None,
                None,
                "taskrunner-flags",
            );
            loader = loader.credentials_provider(credentials);
        }
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("--accessId and --secretKey go together: give both, or neither to use the standard AWS credential chain");
        }
        (None, None) => {}
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
    let storage = activities::s3_storage(
        &config,
        arguments.tuning.s3_endpoint.as_deref(),
        proxy.s3_client(),
    );
    arguments.tuning.storage = Some(storage.clone());
    // Each attempt's output is kept under --output, and copied under the log
    // URI (and the pipeline's pipelineLogUri), as the Java runner does.
    arguments.tuning.attempt_log_uri = output
        .as_ref()
        .map(|directory| directory.display().to_string());
    arguments.tuning.attempt_log_copies = log_uri.iter().map(|(uri, _)| uri.clone()).collect();

    let tasks = usize::from(arguments.tasks);
    let mut poller = PollerConfig {
        concurrency: tasks,
        pollers: tasks,
        precondition_slots: usize::from(arguments.precondition_tasks),
        ..PollerConfig::new(&worker_group)
    };
    if ec2::on_ec2() {
        poller.instance_identity = ec2::instance_identity().await;
    }
    let mut builder = Runner::builder(SdkTaskService::new(client)).worker_group_config(poller);
    if let Some(id) = &arguments.taskrunner_id {
        builder = builder.taskrunner_id(id);
    }
    if let Some(hostname) = &arguments.hostname {
        builder = builder.hostname(hostname);
    }
    let builder = activities::tune(
        activities::register(builder, &arguments.tuning),
        &arguments.tuning,
    );
    let runner = builder.build()?;
    let log_uploads: Option<LogUploads> = match &log_uri {
        Some((uri, source)) => log_upload::start(
            uri,
            *source,
            output.as_deref(),
            storage,
            runner.taskrunner_id(),
        )?,
        None => None,
    };

    let readiness = Readiness::default();
    let stop_metrics = tokio_util::sync::CancellationToken::new();
    let metrics = match arguments.tuning.metrics_addr {
        Some(address) => {
            Some(metrics_server::serve(address, readiness.clone(), stop_metrics.clone()).await?)
        }
        None => None,
    };
    println!(
        "taskrunner: worker group {worker_group}, region {region}, endpoint {}, {}, concurrency {}, runner id {}{}",
        endpoint.as_deref().unwrap_or("(AWS default)"),
        proxy.describe(),
        arguments.tasks,
        runner.taskrunner_id(),
        metrics.map(|address| format!(", metrics http://{address}/metrics")).unwrap_or_default(),
    );
    // The Java runner says where its files go as it starts
    // (dp-how-task-runner-user-managed.md).
    if let Some(directory) = &output {
        let shown = std::path::absolute(directory).unwrap_or_else(|_| directory.clone());
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

/// Warns about the Java runner's flags that this runner accepts but does not
/// act on, so that nothing is ignored silently.
fn warn_unsupported(arguments: &RunArgs) {
    let unsupported = [(
        "--jdbcDriverS3Path",
        arguments.jdbc_driver_s3_path.is_some(),
        "only the built-in MySQL/MariaDB and PostgreSQL drivers are used",
    )];
    for (flag, given, why) in unsupported {
        if given {
            tracing::warn!("{flag} is accepted for compatibility but has no effect: {why}");
        }
    }
}
