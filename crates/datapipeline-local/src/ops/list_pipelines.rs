//! ListPipelines: pages of 25 ids.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{marker, page_members};
use crate::error::ServiceResult;
use crate::protocol::shape::STRING;
use crate::state::State;

/// Ids per page.
const PAGE: usize = 25;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    marker: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    STRING.check_optional("marker", input.marker.as_deref())?;
    let start = marker(input.marker.as_deref())?;
    let total = state.pipelines.len();
    let page: Vec<Value> = state
        .pipelines
        .values()
        .skip(start)
        .take(PAGE)
        .map(|pipeline| json!({ "id": pipeline.id, "name": pipeline.name }))
        .collect();
    let (next, more) = page_members(start.saturating_add(page.len()), total);
    let mut output = json!({ "pipelineIdList": page, "hasMoreResults": more });
    if !next.is_null() {
        output["marker"] = next;
    }
    Ok(output)
}
