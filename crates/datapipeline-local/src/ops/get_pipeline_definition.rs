//! GetPipelineDefinition: the `latest` (default) or `active` version.

use serde::Deserialize;
use serde_json::Value;

use super::common::pipeline_id;
use super::definition_wire::definition_json;
use crate::definition::Definition;
use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::STRING;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    version: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    STRING.check_optional("version", input.version.as_deref())?;
    let pipeline = state.pipeline(id)?;
    let definition = match input.version.as_deref() {
        None | Some("latest") => pipeline.latest.as_ref(),
        Some("active") => pipeline.active.as_ref(),
        Some(other) => {
            return Err(ServiceError::invalid(format!(
                "version: '{other}' is neither 'latest' nor 'active'"
            )));
        }
    };
    Ok(definition_json(
        definition.unwrap_or(&Definition::default()),
    ))
}
