//! The pipelines page: every pipeline with its state, health, last run
//! and how many of its instances are in each status.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::clock::format_time;
use crate::state::{Pipeline, State};

use super::secrets::Secrets;

/// Every live pipeline, in id order (the page sorts and filters).
pub(crate) fn list(state: &State) -> Value {
    let pipelines: Vec<Value> = state
        .pipelines
        .values()
        .map(|pipeline| Secrets::of(pipeline).masked(summary(pipeline)))
        .collect();
    json!({ "pipelines": pipelines })
}

fn summary(pipeline: &Pipeline) -> Value {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for instance in pipeline.run.instances.values() {
        *counts.entry(instance.status.as_str()).or_default() += 1;
    }
    let health = pipeline
        .description_fields()
        .into_iter()
        .find(|field| field.key == "@healthStatus")
        .map(|field| field.value.as_str().to_owned());
    let objects = pipeline
        .active
        .as_ref()
        .or(pipeline.latest.as_ref())
        .map_or(0, |definition| definition.objects.len());
    json!({
        "id": pipeline.id,
        "name": pipeline.name,
        "state": pipeline.state.as_str(),
        "health": health,
        "created": format_time(pipeline.created),
        "lastRun": pipeline.last_activation.map(format_time),
        "objects": objects,
        "instances": pipeline.run.instances.len(),
        "counts": counts,
    })
}
