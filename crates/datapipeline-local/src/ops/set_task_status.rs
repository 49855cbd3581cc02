//! SetTaskStatus: the end of a lease.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::{ERROR_MESSAGE, STRING, TASK_ID};
use crate::scheduler::TaskStatus;
use crate::state::run::ErrorFields;
use crate::state::State;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    task_id: Option<String>,
    task_status: Option<String>,
    error_id: Option<String>,
    error_message: Option<String>,
    error_stack_trace: Option<String>,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let task_id = TASK_ID.required("taskId", input.task_id.as_deref())?;
    let status = STRING.required("taskStatus", input.task_status.as_deref())?;
    let status = match status {
        "FINISHED" => TaskStatus::Finished,
        "FAILED" => TaskStatus::Failed,
        "FALSE" => TaskStatus::False,
        other => {
            return Err(ServiceError::invalid(format!(
                "taskStatus: '{other}' is not one of FINISHED, FAILED, FALSE"
            )));
        }
    };
    STRING.check_optional("errorId", input.error_id.as_deref())?;
    if input
        .error_id
        .as_deref()
        .is_some_and(|id| id.starts_with("Service_"))
    {
        return Err(ServiceError::invalid(
            "errorId: the prefix 'Service_' is reserved for the service",
        ));
    }
    ERROR_MESSAGE.check_optional("errorMessage", input.error_message.as_deref())?;
    STRING.check_optional("errorStackTrace", input.error_stack_trace.as_deref())?;
    let error = ErrorFields {
        error_id: input.error_id,
        error_message: input.error_message,
        error_stack_trace: input.error_stack_trace,
    };
    state.set_task_status(task_id, status, error)?;
    Ok(json!({}))
}
