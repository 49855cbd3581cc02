//! CreatePipeline: idempotent on (name, uniqueId).

use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{tags, WireTag};
use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::{ID, STRING};
use crate::state::{Pipeline, State};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    name: Option<String>,
    unique_id: Option<String>,
    description: Option<String>,
    tags: Option<Vec<WireTag>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let name = ID.required("name", input.name.as_deref())?.to_owned();
    let unique_id = ID
        .required("uniqueId", input.unique_id.as_deref())?
        .to_owned();
    STRING.check_optional("description", input.description.as_deref())?;
    let tags = tags(input.tags.unwrap_or_default())?;
    if let Some(id) = state.unique_ids.get(&(name.clone(), unique_id.clone())) {
        return Ok(json!({ "pipelineId": id }));
    }
    if state.pipelines.len() >= state.limits.pipelines {
        return Err(ServiceError::invalid(format!(
            "the account already has {} pipelines, the limit: delete one first",
            state.pipelines.len()
        )));
    }
    let id = loop {
        let id = new_pipeline_id();
        if !state.pipelines.contains_key(&id) && !state.deleted.contains(&id) {
            break id;
        }
    };
    let mut pipeline = Pipeline::new(
        id.clone(),
        name.clone(),
        unique_id.clone(),
        state.clock.now(),
    );
    pipeline.description = input.description;
    pipeline.tags = tags;
    state.pipelines.insert(id.clone(), pipeline);
    state.unique_ids.insert((name, unique_id), id.clone());
    Ok(json!({ "pipelineId": id }))
}

/// `df-` and 19 upper-case letters and digits, as AWS's pipeline ids.
fn new_pipeline_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut random = rand::rng();
    let suffix: String = (0..19)
        .map(|_| char::from(ALPHABET[random.random_range(0..ALPHABET.len())]))
        .collect();
    format!("df-{suffix}")
}
