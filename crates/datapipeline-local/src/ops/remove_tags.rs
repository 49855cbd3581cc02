//! RemoveTags: keys that are absent are ignored.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use crate::error::ServiceResult;
use crate::protocol::shape::{missing, STRING};
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let keys = input.tag_keys.ok_or_else(|| missing("tagKeys"))?;
    for (index, key) in keys.iter().enumerate() {
        STRING.check(&format!("tagKeys[{index}]"), key)?;
    }
    let pipeline = state.pipeline_mut(id)?;
    pipeline.tags.retain(|tag| !keys.contains(&tag.key));
    Ok(json!({}))
}
