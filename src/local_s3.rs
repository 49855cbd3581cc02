//! `s3://` in `taskrunner local`: an embedded S3-compatible store over a
//! local directory (s3s-fs), started for the run unless `--s3-endpoint`
//! names a store of the user's own.
//!
//! Both sides of a local run use the store: the shell activities (scriptUri,
//! staging of S3 data nodes, stdout/stderr to `s3://`) through the
//! runner's storage, and the embedded Data Pipeline service, which checks
//! the system-managed preconditions (`S3KeyExists`, `S3PrefixNotEmpty`)
//! against it itself, as AWS does.
//!
//! The embedded store keeps bucket `b`'s key `k` in the file `ROOT/b/k`,
//! so a user can put inputs in place with `cp` and read outputs the same
//! way. A bucket is created on first use (its directory made), so any
//! `s3://bucket/…` in a definition works with no setup.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use datapipeline_local::{Credentials, S3Access};
use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use taskrunner_s3::{aws_sdk_s3, S3Storage};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::settings::LocalStore;

/// The access key id of the embedded store. s3s checks signatures, so its
/// clients (the runner's storage, the service) sign with this pair; it
/// guards nothing, the store listening on 127.0.0.1 only.
pub(crate) const ACCESS_KEY_ID: &str = "taskrunner-local";
/// The secret access key of the embedded store; see [`ACCESS_KEY_ID`].
pub(crate) const SECRET_ACCESS_KEY: &str = "taskrunner-local-secret";
/// Where in the embedded store the runner copies each attempt's stdout and
/// stderr (laid out as `pipelineLogUri`), so that the service's web console
/// can show them: the file `S3_ROOT/taskrunner-local/attempt-logs/…`.
pub(crate) const ATTEMPT_LOGS: &str = "s3://taskrunner-local/attempt-logs";
/// The region the embedded store's clients sign for.
const REGION: &str = "us-east-1";

/// The S3 store of a local run, and how the service reaches it.
#[derive(Debug)]
pub(crate) struct LocalS3 {
    /// What the embedded service is configured with.
    access: S3Access,
    /// The runner's client for the store, for the shell activities.
    storage: Arc<S3Storage>,
    /// The embedded store's directory; `None` with `--s3-endpoint`.
    root: Option<PathBuf>,
    /// The embedded store's accept loop, stopped when the run ends.
    accept: Option<JoinHandle<()>>,
}

impl LocalS3 {
    /// Starts the run's store: the user's own (`--s3-endpoint`), or an
    /// embedded store over a directory.
    ///
    /// # Errors
    /// The store's directory cannot be made or its port bound.
    pub(crate) async fn for_run(store: &LocalStore) -> anyhow::Result<Self> {
        let root = match store {
            LocalStore::Endpoint(endpoint) => {
                let mut access = S3Access::new(endpoint.clone());
                if let Some(credentials) = credentials_from_environment() {
                    access = access.with_credentials(credentials);
                }
                return Ok(Self {
                    access,
                    storage: crate::activities::local_s3_storage(endpoint).await,
                    root: None,
                    accept: None,
                });
            }
            LocalStore::Embedded(root) => root,
        };
        let (endpoint, accept) = serve(root).await?;
        let access = S3Access::new(endpoint.clone()).with_credentials(Credentials {
            access_key_id: ACCESS_KEY_ID.to_owned(),
            secret_access_key: SECRET_ACCESS_KEY.to_owned(),
        });
        Ok(Self {
            access,
            storage: storage(&endpoint),
            root: Some(root.clone()),
            accept: Some(accept),
        })
    }

    /// The runner's client for the store.
    pub(crate) fn storage(&self) -> Arc<S3Storage> {
        self.storage.clone()
    }

    /// How the embedded Data Pipeline service reaches the store.
    pub(crate) fn access(&self) -> S3Access {
        self.access.clone()
    }

    /// Where the runner copies attempt logs for the web console
    /// ([`ATTEMPT_LOGS`]): in the embedded store only, never in a store of
    /// the user's own (`--s3-endpoint`).
    pub(crate) fn attempt_logs(&self) -> Option<String> {
        self.root.as_ref().map(|_| ATTEMPT_LOGS.to_owned())
    }

    /// One line for the user: where `s3://` goes.
    pub(crate) fn describe(&self) -> String {
        match &self.root {
            Some(root) => format!(
                "s3:// is served from {} (bucket/key as directory/file) at {}",
                root.display(),
                self.access.endpoint_url
            ),
            None => format!("s3:// goes to {}", self.access.endpoint_url),
        }
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        if let Some(accept) = &self.accept {
            accept.abort();
        }
    }
}

/// Serves an s3s-fs store over `root` on 127.0.0.1 and a free port;
/// answers its endpoint URL and its accept loop.
async fn serve(root: &Path) -> anyhow::Result<(String, JoinHandle<()>)> {
    std::fs::create_dir_all(root)
        .with_context(|| format!("cannot make the S3 root {}", root.display()))?;
    let filesystem = s3s_fs::FileSystem::new(root)
        .map_err(|error| anyhow::anyhow!("cannot serve S3 from {}: {error:?}", root.display()))?;
    let store = {
        let mut builder = S3ServiceBuilder::new(filesystem);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
        builder.build()
    };
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot bind the embedded S3 store")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let root = root.to_path_buf();
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors and the like: the next accept may work.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let store = store.clone();
            let root = root.clone();
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    create_bucket_on_first_use(&root, request.uri().path());
                    hyper::service::Service::call(&store, request)
                },
            );
            tokio::spawn(async move {
                // Errors here are clients going away mid-request.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((endpoint, accept))
}

/// Makes the directory of the bucket a path-style request names, so that
/// every `s3://bucket/…` works without a CreateBucket first. Names that are
/// not valid bucket names (S3's rules: 3–63 of `a-z 0-9 . -`, starting and
/// ending with a letter or digit) are left to the store to refuse.
fn create_bucket_on_first_use(root: &Path, path: &str) {
    let Some(bucket) = path.trim_start_matches('/').split('/').next() else {
        return;
    };
    if !is_bucket_name(bucket) {
        return;
    }
    let directory = root.join(bucket);
    if !directory.is_dir() {
        if let Err(error) = std::fs::create_dir_all(&directory) {
            tracing::warn!(%error, bucket, "cannot create the bucket's directory");
        }
    }
}

fn is_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b".-".contains(byte))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("..")
}

/// The runner's storage for the embedded store at `endpoint`.
fn storage(endpoint: &str) -> Arc<S3Storage> {
    let credentials = aws_sdk_s3::config::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "taskrunner-local",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(credentials)
        // The store is on 127.0.0.1: never through HTTP_PROXY.
        .http_client(crate::proxy::direct_client())
        .build();
    Arc::new(S3Storage::new(aws_sdk_s3::Client::from_conf(config)))
}

/// The static credentials of the environment (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`), for the service's checks against a
/// `--s3-endpoint` store.
fn credentials_from_environment() -> Option<Credentials> {
    let variable = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    Some(Credentials {
        access_key_id: variable("AWS_ACCESS_KEY_ID")?,
        secret_access_key: variable("AWS_SECRET_ACCESS_KEY")?,
    })
}

#[cfg(test)]
mod tests {
    use super::is_bucket_name;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in ["my-bucket", "logs.2026", "abc"] {
            assert!(is_bucket_name(good), "{good}");
        }
        for bad in [
            "ab",
            "..",
            "a..b",
            "Upper",
            "-dash",
            "dash-",
            "has_underscore",
            "",
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }
}
