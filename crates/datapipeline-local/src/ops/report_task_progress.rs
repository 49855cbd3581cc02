//! ReportTaskProgress: acknowledges a lease or keeps it alive, and tells the
//! holder whether to stop.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ServiceResult;
use crate::model::WireField;
use crate::protocol::shape::TASK_ID;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    task_id: Option<String>,
    fields: Option<Vec<WireField>>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let task_id = TASK_ID.required("taskId", input.task_id.as_deref())?;
    let fields = input
        .fields
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, field)| field.into_field(&format!("fields[{index}]")))
        .collect::<ServiceResult<Vec<_>>>()?;
    let canceled = state.report_progress(task_id, fields)?;
    Ok(json!({ "canceled": canceled }))
}
