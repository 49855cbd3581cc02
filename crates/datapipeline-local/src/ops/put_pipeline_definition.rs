//! PutPipelineDefinition: validated, and stored as the `latest` version only
//! when it has no errors.

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
    let report = validate(&definition);
    if !report.errored() {
        let pipeline = state.pipeline_mut(id)?;
        pipeline.latest = Some(definition);
        pipeline.definitions_changed = true;
    }
    Ok(report_json(&report))
}
