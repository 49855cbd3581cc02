//! PollForTask: a ready task at once, or a long poll that answers `{}`.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ServiceResult;
use crate::model::WireObject;
use crate::protocol::shape::{missing, ID, STRING};
use crate::scheduler::PolledTask;
use crate::service::Core;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    worker_group: Option<String>,
    hostname: Option<String>,
    instance_identity: Option<InstanceIdentity>,
}

#[derive(Debug, Deserialize)]
struct InstanceIdentity {
    document: Option<String>,
    signature: Option<String>,
}

pub(super) async fn handle(core: &Core, input: Input) -> ServiceResult<Value> {
    let worker_group = input.worker_group.ok_or_else(|| missing("workerGroup"))?;
    STRING.check("workerGroup", &worker_group)?;
    ID.check_optional("hostname", input.hostname.as_deref())?;
    if let Some(identity) = &input.instance_identity {
        STRING.check_optional("instanceIdentity.document", identity.document.as_deref())?;
        STRING.check_optional("instanceIdentity.signature", identity.signature.as_deref())?;
    }
    let hostname = input.hostname.as_deref();
    let deadline = tokio::time::Instant::now() + core.timing.long_poll_wait;
    loop {
        // Register interest before looking, so that a task queued between
        // the look and the wait still wakes this poll.
        let notify = core.with_state(|state| state.queues.notifier(&worker_group));
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // After shutdown nothing may be leased (see `Core::handle`).
        if core.shutdown.is_cancelled() {
            return Ok(json!({}));
        }
        let leased =
            core.with_state_committed(|state| Ok(state.lease_next(&worker_group, hostname)))?;
        if let Some(task) = leased {
            return Ok(task_json(&task));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {
                core.with_state(|state| state.audit.empty_polls += 1);
                return Ok(json!({}));
            }
            () = core.shutdown.cancelled() => return Ok(json!({})),
        }
    }
}

fn task_json(task: &PolledTask) -> Value {
    let objects: serde_json::Map<String, Value> = task
        .objects
        .iter()
        .map(|(id, object)| {
            let object = serde_json::to_value(WireObject::from(object)).unwrap_or(Value::Null);
            (id.clone(), object)
        })
        .collect();
    json!({
        "taskObject": {
            "taskId": &*task.task_id,
            "pipelineId": task.pipeline_id,
            "attemptId": task.attempt_id,
            "objects": objects,
        }
    })
}
