//! DescribePipelines: at most 25 ids.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{fields_json, tags_json};
use crate::error::ServiceResult;
use crate::protocol::shape::{check_count, missing, ID};
use crate::state::State;

/// At most this many ids per call.
const MAX_IDS: usize = 25;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_ids: Option<Vec<String>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let ids = input.pipeline_ids.ok_or_else(|| missing("pipelineIds"))?;
    check_count("pipelineIds", &ids, MAX_IDS)?;
    for (index, id) in ids.iter().enumerate() {
        ID.check(&format!("pipelineIds[{index}]"), id)?;
    }
    let mut descriptions = Vec::with_capacity(ids.len());
    for id in &ids {
        let pipeline = state.pipeline(id)?;
        let mut description = json!({
            "pipelineId": pipeline.id,
            "name": pipeline.name,
            "fields": fields_json(&pipeline.description_fields()),
            "tags": tags_json(&pipeline.tags),
        });
        if let Some(text) = &pipeline.description {
            description["description"] = json!(text);
        }
        descriptions.push(description);
    }
    Ok(json!({ "pipelineDescriptionList": descriptions }))
}
