//! DeactivatePipeline: `cancelActive` defaults to true.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use crate::error::ServiceResult;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    cancel_active: Option<bool>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    state
        .scheduler(id)?
        .deactivate(input.cancel_active.unwrap_or(true));
    Ok(json!({}))
}
