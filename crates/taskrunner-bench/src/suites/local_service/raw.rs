//! Cycles as bare HTTP: the JSON bodies posted with hyper, no SDK and no
//! SigV4, to show how much of a cycle's cost is the service's own.

use anyhow::{bail, ensure, Context as _};
use bytes::Bytes;
use http::{header, Request, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use super::drive::{timed, CycleClient, CycleTiming};
use crate::pipelines::WORKER_GROUP;

/// One client with its own keep-alive connection, posting AWS JSON 1.1
/// requests by hand. The service checks no signatures unless it is told
/// to, so unsigned requests are served like signed ones.
#[derive(Debug)]
pub(super) struct RawCycles {
    /// A pooled hyper client: one connection, kept alive between calls.
    client: Client<HttpConnector, Full<Bytes>>,
    /// The service's `/`.
    endpoint: Uri,
    /// The hostname the runner reports in PollForTask.
    hostname: String,
}

impl RawCycles {
    /// A client for `endpoint` that polls as runner number `index`.
    pub(super) fn new(endpoint: &str, index: usize) -> anyhow::Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let endpoint = format!("{endpoint}/")
            .parse()
            .with_context(|| format!("{endpoint} is not a URI"))?;
        Ok(Self {
            client,
            endpoint,
            hostname: format!("bench-raw-{index}"),
        })
    }

    /// Posts `body` as operation `operation` and answers the JSON reply.
    async fn call(&self, operation: &str, body: &Value) -> anyhow::Result<Value> {
        let request = Request::post(self.endpoint.clone())
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
            .header("x-amz-target", format!("DataPipeline.{operation}"))
            .body(Full::new(Bytes::from(serde_json::to_vec(body)?)))?;
        let response = self
            .client
            .request(request)
            .await
            .with_context(|| format!("{operation}: the request failed"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("{operation}: the answer was cut"))?
            .to_bytes();
        if !status.is_success() {
            bail!(
                "{operation} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        if body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&body)
            .with_context(|| format!("{operation} answered malformed JSON"))
    }
}

impl CycleClient for RawCycles {
    async fn cycle(&self) -> anyhow::Result<CycleTiming> {
        let poll_body = json!({ "workerGroup": WORKER_GROUP, "hostname": self.hostname });
        let (polled, poll) = timed(self.call("PollForTask", &poll_body)).await;
        let polled = polled?;
        let task_id = polled
            .pointer("/taskObject/taskId")
            .and_then(Value::as_str)
            .context("PollForTask answered no task")?
            .to_owned();
        let (acknowledged, acknowledge) =
            timed(self.call("ReportTaskProgress", &json!({ "taskId": task_id }))).await;
        let canceled = acknowledged?
            .get("canceled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        ensure!(!canceled, "the acknowledgement answered canceled: true");
        let status_body = json!({ "taskId": task_id, "taskStatus": "FINISHED" });
        let (finished, finish) = timed(self.call("SetTaskStatus", &status_body)).await;
        finished?;
        Ok(CycleTiming {
            poll,
            acknowledge,
            finish,
        })
    }
}
