//! DescribeObjects: at most 25 ids, from any sphere.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{marker, objects_json, page_members, pipeline_id};
use crate::error::ServiceResult;
use crate::protocol::shape::{check_count, missing, ID, STRING};
use crate::state::State;

/// At most this many ids per call.
const MAX_IDS: usize = 25;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    object_ids: Option<Vec<String>>,
    /// Expressions are evaluated when instances are created, so objects are
    /// always described evaluated; the flag is accepted for compatibility.
    #[allow(dead_code)]
    evaluate_expressions: Option<bool>,
    marker: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let ids = input.object_ids.ok_or_else(|| missing("objectIds"))?;
    check_count("objectIds", &ids, MAX_IDS)?;
    for (index, object) in ids.iter().enumerate() {
        ID.check(&format!("objectIds[{index}]"), object)?;
    }
    STRING.check_optional("marker", input.marker.as_deref())?;
    let start = marker(input.marker.as_deref())?;
    let pipeline = state.pipeline(id)?;
    let objects: Vec<_> = ids
        .iter()
        .skip(start)
        .filter_map(|object| pipeline.object(object))
        .collect();
    let (next, more) = page_members(ids.len(), ids.len());
    let mut output = json!({ "pipelineObjects": objects_json(&objects), "hasMoreResults": more });
    if !next.is_null() {
        output["marker"] = next;
    }
    Ok(output)
}
