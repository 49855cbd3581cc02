//! ReportTaskRunnerHeartbeat: records the runner and answers whether it was
//! asked to terminate.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ServiceResult;
use crate::protocol::shape::{ID, STRING};
use crate::state::{RunnerRecord, State};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    taskrunner_id: Option<String>,
    worker_group: Option<String>,
    hostname: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = ID
        .required("taskrunnerId", input.taskrunner_id.as_deref())?
        .to_owned();
    STRING.check_optional("workerGroup", input.worker_group.as_deref())?;
    ID.check_optional("hostname", input.hostname.as_deref())?;
    let now = state.clock.now();
    let record = state
        .runners
        .records
        .entry(id.clone())
        .or_insert_with(|| RunnerRecord {
            taskrunner_id: id.clone(),
            worker_group: None,
            hostname: None,
            first_seen: now,
            last_seen: now,
            heartbeats: 0,
        });
    record.worker_group = input.worker_group.or(record.worker_group.take());
    record.hostname = input.hostname.or(record.hostname.take());
    record.last_seen = now;
    record.heartbeats += 1;
    let terminate = state.runners.terminate.contains(&id);
    Ok(json!({ "terminate": terminate }))
}
