//! AddTags: a key already present takes the new value.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{pipeline_id, tags, WireTag, MAX_TAGS};
use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::missing;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    tags: Option<Vec<WireTag>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let added = tags(input.tags.ok_or_else(|| missing("tags"))?)?;
    let pipeline = state.pipeline_mut(id)?;
    let mut merged = pipeline.tags.clone();
    for tag in added {
        match merged.iter_mut().find(|existing| existing.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => merged.push(tag),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(ServiceError::invalid(format!(
            "tags: a pipeline has at most {MAX_TAGS} tags, and this would make {}",
            merged.len()
        )));
    }
    pipeline.tags = merged;
    Ok(json!({}))
}
