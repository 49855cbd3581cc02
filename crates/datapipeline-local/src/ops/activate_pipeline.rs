//! ActivatePipeline: parameter values and an optional start time.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use super::definition_wire::{values, WireParameterValue};
use crate::error::{ServiceError, ServiceResult};
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    parameter_values: Option<Vec<WireParameterValue>>,
    /// Epoch seconds: the only timestamp on this API's wire.
    start_timestamp: Option<f64>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let overrides = match input.parameter_values {
        Some(given) => Some(values(Some(given))?),
        None => None,
    };
    let start = match input.start_timestamp {
        None => None,
        Some(seconds) => {
            let time = (seconds.is_finite())
                .then(|| DateTime::from_timestamp(seconds.trunc() as i64, 0))
                .flatten()
                .ok_or_else(|| {
                    ServiceError::invalid(format!("startTimestamp: {seconds} is not a time"))
                })?;
            Some(time.naive_utc())
        }
    };
    let activated = state.scheduler(id)?.activate(overrides.as_deref(), start);
    // Activation replaces the active definition, components and parameters
    // (also when it fails part way): `--state` writes them only when told.
    if let Ok(pipeline) = state.pipeline_mut(id) {
        pipeline.definitions_changed = true;
    }
    activated?;
    Ok(json!({}))
}
