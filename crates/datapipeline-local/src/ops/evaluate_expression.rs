//! EvaluateExpression: a `#{…}` template evaluated in the scope of one
//! object.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use crate::error::{ServiceError, ServiceResult};
use crate::expression::{evaluate_template, Scope};
use crate::protocol::shape::{ID, LONG_STRING};
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    object_id: Option<String>,
    expression: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let object_id = ID.required("objectId", input.object_id.as_deref())?;
    let expression = LONG_STRING.required("expression", input.expression.as_deref())?;
    let pipeline = state.pipeline(id)?;
    let object = pipeline.object(object_id).ok_or_else(|| {
        ServiceError::invalid(format!("objectId: pipeline {id} has no object {object_id}"))
    })?;
    let scope = Scope {
        object: &object,
        objects: &pipeline.run.components,
        parameters: &pipeline.run.parameters,
    };
    let value = evaluate_template(expression, &scope)
        .map_err(|error| ServiceError::invalid(format!("expression: {error}")))?;
    Ok(json!({ "evaluatedExpression": value }))
}
