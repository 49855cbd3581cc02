//! SetStatus: PAUSE / RESUME components, TRY_CANCEL / RERUN / MARK_FINISHED
//! instances.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::pipeline_id;
use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::{missing, ID, STRING};
use crate::scheduler::Control;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    object_ids: Option<Vec<String>>,
    status: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let ids = input.object_ids.ok_or_else(|| missing("objectIds"))?;
    for (index, object) in ids.iter().enumerate() {
        ID.check(&format!("objectIds[{index}]"), object)?;
    }
    let status = STRING.required("status", input.status.as_deref())?;
    let control = Control::parse(status).ok_or_else(|| {
        ServiceError::invalid(format!(
            "status: '{status}' is not one of PAUSE, RESUME, TRY_CANCEL, RERUN, MARK_FINISHED"
        ))
    })?;
    let mut scheduler = state.scheduler(id)?;
    scheduler.check_control(&ids, control)?;
    scheduler.apply_control(&ids, control);
    Ok(json!({}))
}
