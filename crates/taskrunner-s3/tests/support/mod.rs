//! A real S3 server for the tests: `s3s-fs` (S3 over a local directory)
//! served by hyper on 127.0.0.1:0, and the real `aws-sdk-s3` client
//! pointed at it.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use taskrunner_s3::S3Storage;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const ACCESS_KEY: &str = "AKIDTASKRUNNERTEST";
const SECRET_KEY: &str = "taskrunner-test-secret";

/// The bucket every server starts with.
pub const BUCKET: &str = "test-bucket";

/// An S3 server over a temporary directory, and a client for it.
#[derive(Debug)]
pub struct S3Server {
    /// The directory holding the buckets (one subdirectory each).
    pub root: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// A client for the server (path-style, static credentials).
    pub client: aws_sdk_s3::Client,
    accept: JoinHandle<()>,
}

impl S3Server {
    /// Starts a server with the bucket [`BUCKET`].
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("s3 root");
        let filesystem = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let service = {
            let mut builder = S3ServiceBuilder::new(filesystem);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let client = client(&endpoint);
        let server = Self {
            root,
            endpoint,
            client,
            accept,
        };
        server.create_bucket(BUCKET).await;
        server
    }

    /// A storage over this server.
    pub fn storage(&self) -> Arc<S3Storage> {
        Arc::new(S3Storage::new(self.client.clone()))
    }

    /// Creates `bucket`.
    pub async fn create_bucket(&self, bucket: &str) {
        self.client
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("CreateBucket");
    }

    /// Puts `contents` at `key` of [`BUCKET`] through the S3 API.
    pub async fn put(&self, key: &str, contents: impl Into<Vec<u8>>) {
        self.client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(contents.into()))
            .send()
            .await
            .unwrap_or_else(|error| panic!("PutObject {key}: {error:?}"));
    }

    /// The object at `key` of [`BUCKET`], read through the S3 API.
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let response = self
            .client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .ok()?;
        Some(
            response
                .body
                .collect()
                .await
                .expect("the body")
                .into_bytes()
                .to_vec(),
        )
    }

    /// The object at `key` of [`BUCKET`] as text.
    pub async fn get_text(&self, key: &str) -> Option<String> {
        self.get(key)
            .await
            .map(|bytes| String::from_utf8(bytes).expect("UTF-8"))
    }

    /// Every key of [`BUCKET`] under `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("ListObjectsV2");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_owned)),
            );
        }
        keys.sort();
        keys
    }

    /// Where the server keeps `key` of [`BUCKET`] on disk (to create many
    /// objects quickly).
    pub fn disk_path(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A client for the server at `endpoint`.
pub fn client(endpoint: &str) -> aws_sdk_s3::Client {
    client_with_secret(endpoint, SECRET_KEY)
}

/// A client for the server at `endpoint` signing with `secret`.
pub fn client_with_secret(endpoint: &str, secret: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(ACCESS_KEY, secret, None, None, "tests"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
