//! DeletePipeline: later calls about the pipeline answer
//! PipelineDeletedException, its leases included.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use crate::error::{ServiceError, ServiceResult};
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    // DeletePipeline's model declares no PipelineDeletedException, so the
    // SDKs could not match it: deleting twice answers PipelineNotFound.
    let pipeline = state.pipeline(id).map_err(|error| match error {
        ServiceError::PipelineDeleted(message) => ServiceError::PipelineNotFound(message),
        other => other,
    })?;
    let key = (pipeline.name.clone(), pipeline.unique_id.clone());
    let task_ids: Vec<_> = pipeline
        .run
        .attempts
        .values()
        .filter_map(|attempt| attempt.lease.as_ref().map(|lease| lease.task_id.clone()))
        .collect();
    for task_id in task_ids {
        state.leases.remove(&task_id);
        state.ledger.pipeline_deleted(&task_id);
        state.deleted_leases.insert(task_id, id.to_owned());
    }
    state.unique_ids.remove(&key);
    state.pipelines.remove(id);
    state.deleted.insert(id.to_owned());
    Ok(json!({}))
}
