//! ValidatePipelineDefinition: PutPipelineDefinition's checks, storing
//! nothing.

use serde::Deserialize;
use serde_json::Value;

use super::common::pipeline_id;
use super::definition_wire::{definition, report_json, WireParameterObject, WireParameterValue};
use crate::definition::validate;
use crate::error::ServiceResult;
use crate::model::WireObject;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    pipeline_objects: Option<Vec<WireObject>>,
    parameter_objects: Option<Vec<WireParameterObject>>,
    parameter_values: Option<Vec<WireParameterValue>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let definition = definition(
        input.pipeline_objects,
        input.parameter_objects,
        input.parameter_values,
    )?;
    state.pipeline(id)?;
    Ok(report_json(&validate(&definition)))
}
