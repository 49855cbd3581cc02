//! A socket-free entry point to the service's request handling, for the
//! fuzz suites: one request body for one operation, through the same
//! pipeline a request over HTTP takes (target, content type, faults, the
//! operation), without hyper and a TCP connection per case.
//!
//! Enabled by the `testkit` feature and hidden from the docs: it is a test
//! instrument, not an API.

use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::protocol::request::TARGET_PREFIX;
use crate::service::{Core, Reply};

/// What one handled request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarnessReply {
    /// An HTTP response: its status and body.
    Respond {
        /// The HTTP status code.
        status: u16,
        /// The response body.
        body: Bytes,
    },
    /// The connection would have been closed without an answer (an injected
    /// fault).
    Drop,
}

/// A service core with its timer driver, answering requests without a
/// socket. Must be created inside a tokio runtime; dropping it stops the
/// timer driver.
#[derive(Debug)]
pub struct RequestHarness {
    core: Arc<Core>,
    timers: JoinHandle<()>,
}

impl RequestHarness {
    /// A service configured by `config`, with its timer driver running on the
    /// current runtime.
    pub fn new(config: &Config) -> Self {
        let core = Arc::new(Core::new(config));
        let timers = tokio::spawn(core.clone().drive_timers());
        Self { core, timers }
    }

    /// Handles `body` as a request for the operation named `operation` (the
    /// part of `X-Amz-Target` after `DataPipeline.`, which need not name a
    /// real operation), with the content type the SDKs send.
    pub async fn handle(&self, operation: &str, body: &[u8]) -> HarnessReply {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        if let Ok(target) = HeaderValue::from_str(&format!("{TARGET_PREFIX}{operation}")) {
            headers.insert("x-amz-target", target);
        }
        let body = Bytes::copy_from_slice(body);
        match self.core.handle(&Method::POST, &headers, &body).await {
            Reply::Respond(response) => HarnessReply::Respond {
                status: response.status().as_u16(),
                body: response.into_body(),
            },
            Reply::Drop => HarnessReply::Drop,
        }
    }
}

impl Drop for RequestHarness {
    fn drop(&mut self) {
        self.core.shutdown.cancel();
        self.timers.abort();
    }
}
