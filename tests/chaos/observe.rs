//! Reading what the service says about the run through the SDK: pipeline
//! states, and the status of every instance and attempt. Every call is
//! retried, since the service injects faults into these calls too.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_datapipeline::Client;

use super::workload::Submitted;

/// Runs `call` until it succeeds (at most 50 tries).
pub(crate) async fn retried<T, E, F, Fut>(what: &str, mut call: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut last = None;
    for _ in 0..50 {
        match call().await {
            Ok(value) => return value,
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} keeps failing: {last:?}");
}

/// `@pipelineState` of each pipeline, by id.
pub(crate) async fn pipeline_states(
    client: &Client,
    pipelines: &[Submitted],
) -> BTreeMap<String, String> {
    let ids: Vec<String> = pipelines
        .iter()
        .map(|pipeline| pipeline.id.clone())
        .collect();
    states_of(client, &ids).await
}

/// `@pipelineState` of pipeline `id`.
pub(crate) async fn pipeline_state(client: &Client, id: &str) -> String {
    let mut states = states_of(client, &[id.to_owned()]).await;
    states.remove(id).unwrap_or_default()
}

async fn states_of(client: &Client, ids: &[String]) -> BTreeMap<String, String> {
    let mut states = BTreeMap::new();
    for chunk in ids.chunks(25) {
        let described = retried("DescribePipelines", || {
            client
                .describe_pipelines()
                .set_pipeline_ids(Some(chunk.to_vec()))
                .send()
        })
        .await;
        for description in described.pipeline_description_list {
            let state = description
                .fields
                .iter()
                .find(|field| field.key == "@pipelineState")
                .and_then(|field| field.string_value.clone())
                .unwrap_or_default();
            states.insert(description.pipeline_id, state);
        }
    }
    states
}

/// One instance or attempt as the service describes it.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    /// `@status`.
    pub(crate) status: String,
    /// `@componentParent`.
    pub(crate) component: String,
}

/// Every object of `sphere` (`INSTANCE` or `ATTEMPT`) in `pipeline`, by id.
pub(crate) async fn objects(
    client: &Client,
    pipeline: &str,
    sphere: &str,
) -> BTreeMap<String, Described> {
    let mut ids = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = retried("QueryObjects", || {
            client
                .query_objects()
                .pipeline_id(pipeline)
                .sphere(sphere)
                .limit(100)
                .set_marker(marker.clone())
                .send()
        })
        .await;
        ids.extend(page.ids.unwrap_or_default());
        match page.marker.filter(|next| !next.is_empty()) {
            Some(next) if page.has_more_results => marker = Some(next),
            _ => break,
        }
    }
    describe(client, pipeline, &ids).await
}

/// The objects `ids` of `pipeline`, by id.
pub(crate) async fn describe(
    client: &Client,
    pipeline: &str,
    ids: &[String],
) -> BTreeMap<String, Described> {
    let mut described = BTreeMap::new();
    for chunk in ids.chunks(25) {
        let page = retried("DescribeObjects", || {
            client
                .describe_objects()
                .pipeline_id(pipeline)
                .set_object_ids(Some(chunk.to_vec()))
                .send()
        })
        .await;
        for object in page.pipeline_objects {
            let field = |key: &str| {
                object
                    .fields
                    .iter()
                    .find(|field| field.key == key)
                    .and_then(|field| field.string_value.clone().or(field.ref_value.clone()))
                    .unwrap_or_default()
            };
            let entry = Described {
                status: field("@status"),
                component: field("@componentParent"),
            };
            described.insert(object.id, entry);
        }
    }
    described
}
