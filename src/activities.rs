//! The built-in activities the binary runs.

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use taskrunner::{RunnerBuilder, TaskContext};
use taskrunner_s3::{aws_sdk_s3, S3Storage};
use taskrunner_shell::{ShellCommandActivity, ShellCommandPrecondition, ShellConfig};
use taskrunner_sql::{CopyActivity, RdsEndpoints, SqlActivity, SqlConfig, Store};

use crate::settings::{RunnerSettings, ShellSettings};

/// The region `local` mode's S3 client uses when the environment names none.
const LOCAL_DEFAULT_REGION: &str = "us-east-1";

/// Registers ShellCommandActivity, ShellCommandPrecondition, Exists,
/// SqlActivity and CopyActivity, with `storage` (if any) for `s3://` URIs,
/// `aws` (if any) for the RDS API, and an answer for the activity types
/// this runner does not run (see [`crate::not_built_in`]).
pub(crate) fn register(
    builder: RunnerBuilder,
    shell: &ShellSettings,
    storage: Option<Arc<S3Storage>>,
    aws: Option<&SdkConfig>,
) -> RunnerBuilder {
    let config = Arc::new(ShellConfig {
        pass_aws_credentials: shell.pass_aws_credentials,
        kill_grace: shell.kill_grace,
        storage: storage
            .clone()
            .map(|storage| storage as Arc<dyn taskrunner_shell::Storage>),
        attempt_log_uri: shell.attempt_log_uri.clone(),
        attempt_log_copies: shell.attempt_log_copies.clone(),
        max_output_bytes: shell.max_output_bytes,
        ..ShellConfig::default()
    });
    // SqlActivity, CopyActivity and Exists: the same S3 storage;
    // RdsDatabase endpoints from TASKRUNNER_RDS_ENDPOINT_<id>, else through
    // the RDS API with the runner's AWS config (docs/SQL.md).
    let rds = match aws {
        Some(aws) => RdsEndpoints::from_env().with_api(aws),
        None => RdsEndpoints::from_env(),
    };
    let sql_config = Arc::new(SqlConfig {
        store: Store::new(config.storage.clone()),
        rds: rds.clone(),
    });
    let builder = crate::not_built_in::register(builder)
        // In run mode the definition is never seen: the encrypted fields a
        // task carries are learnt as it starts, so that what is logged
        // about it from then on is masked.
        .layer(tower::util::MapRequestLayer::new(|ctx: TaskContext| {
            crate::secrets::register(crate::secrets::encrypted_task_fields(ctx.task()));
            ctx
        }));
    builder
        .activity_for_type(
            "ShellCommandActivity",
            ShellCommandActivity::new(config.clone()),
        )
        .activity_for_type(
            "ShellCommandPrecondition",
            ShellCommandPrecondition::new(config),
        )
        .activity_for_type(
            "Exists",
            crate::exists::ExistsPrecondition::new(storage, rds),
        )
        .activity_for_type("SqlActivity", SqlActivity::new(sql_config.clone()))
        .activity_for_type("CopyActivity", CopyActivity::new(sql_config))
}

/// Applies the runner settings every mode shares.
pub(crate) fn tune(builder: RunnerBuilder, runner: &RunnerSettings) -> RunnerBuilder {
    let lease = taskrunner::lease::LeaseConfig {
        progress_interval: runner.progress_interval,
        ..taskrunner::lease::LeaseConfig::default()
    };
    let builder = builder
        .lease_config(lease)
        .drain_timeout(runner.drain_timeout)
        .cancel_grace(runner.cancel_grace);
    match &runner.work_dir {
        Some(directory) => builder.scratch_root(directory),
        None => builder,
    }
}

/// The S3 storage of the shell activities (and the log upload): a client
/// with `config`'s region and credentials, and `endpoint` (with path-style
/// addressing, as S3-compatible stores want) when given. `config` must not
/// carry the Data Pipeline endpoint. `http_client` replaces `config`'s, for
/// a proxy of S3's own (`--s3NoProxy`).
pub(crate) fn s3_storage(
    config: &SdkConfig,
    endpoint: Option<&str>,
    http_client: Option<SharedHttpClient>,
) -> Arc<S3Storage> {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if let Some(http_client) = http_client {
        builder = builder.http_client(http_client);
    }
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint).force_path_style(true);
    }
    Arc::new(S3Storage::new(aws_sdk_s3::Client::from_conf(
        builder.build(),
    )))
}

/// `local` mode's S3 storage, for `--s3-endpoint`: credentials from the
/// standard AWS chain, the region from `AWS_REGION` or `AWS_DEFAULT_REGION`
/// (else us-east-1; no instance metadata lookup).
pub(crate) async fn local_s3_storage(endpoint: &str) -> Arc<S3Storage> {
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| LOCAL_DEFAULT_REGION.to_owned());
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .load()
        .await;
    s3_storage(&config, Some(endpoint), None)
}
