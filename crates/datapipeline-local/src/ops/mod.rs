//! The service's operations: one module each, and the enum that dispatches on
//! the name in `X-Amz-Target`.
//!
//! Every module has an `Input` (all members optional, as on the wire) and a
//! `handle` that checks the input against the model before it changes any
//! state, then answers the output as JSON.

mod activate_pipeline;
mod add_tags;
mod common;
mod create_pipeline;
mod deactivate_pipeline;
mod definition_wire;
mod delete_pipeline;
mod describe_objects;
mod describe_pipelines;
mod evaluate_expression;
mod get_pipeline_definition;
mod list_pipelines;
mod poll_for_task;
mod put_pipeline_definition;
mod query_objects;
mod remove_tags;
mod report_task_progress;
mod report_task_runner_heartbeat;
mod set_status;
mod set_task_status;
mod validate_pipeline_definition;

use std::fmt;

use serde_json::Value;

use crate::error::{ServiceError, ServiceResult};
use crate::protocol::request::decode;
use crate::service::Core;

macro_rules! operations {
    (async: $($async_variant:ident => $async_module:ident),*; sync: $($variant:ident => $module:ident),* $(,)?) => {
        /// An operation of the Data Pipeline API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($async_variant), "`.")]
                $async_variant,
            )*
            $(
                #[doc = concat!("`", stringify!($variant), "`.")]
                $variant,
            )*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Operation::$async_variant,)* $(Operation::$variant),*];

            /// The operation's name as `X-Amz-Target` carries it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$async_variant => stringify!($async_variant),)*
                    $(Operation::$variant => stringify!($variant),)*
                }
            }

            /// The operation named `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($async_variant) => Some(Operation::$async_variant),)*
                    $(stringify!($variant) => Some(Operation::$variant),)*
                    _ => None,
                }
            }
        }

        /// Decodes the body for `operation` and runs it.
        pub(crate) async fn dispatch(core: &Core, operation: Operation, body: &[u8]) -> ServiceResult<Value> {
            match operation {
                $(Operation::$async_variant => $async_module::handle(core, decode(body)?).await,)*
                $(
                    Operation::$variant => {
                        let input = decode(body)?;
                        core.with_state_committed(|state| $module::handle(state, input))
                    }
                )*
            }
        }
    };
}

operations! {
    async: PollForTask => poll_for_task;
    sync:
    ActivatePipeline => activate_pipeline,
    AddTags => add_tags,
    CreatePipeline => create_pipeline,
    DeactivatePipeline => deactivate_pipeline,
    DeletePipeline => delete_pipeline,
    DescribeObjects => describe_objects,
    DescribePipelines => describe_pipelines,
    EvaluateExpression => evaluate_expression,
    GetPipelineDefinition => get_pipeline_definition,
    ListPipelines => list_pipelines,
    PutPipelineDefinition => put_pipeline_definition,
    QueryObjects => query_objects,
    RemoveTags => remove_tags,
    ReportTaskProgress => report_task_progress,
    ReportTaskRunnerHeartbeat => report_task_runner_heartbeat,
    SetStatus => set_status,
    SetTaskStatus => set_task_status,
    ValidatePipelineDefinition => validate_pipeline_definition,
}

impl fmt::Display for Operation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The operation named by a target, or UnknownOperationException.
pub(crate) fn operation(name: &str) -> ServiceResult<Operation> {
    Operation::from_name(name).ok_or_else(|| {
        ServiceError::UnknownOperation(format!("DataPipeline has no operation named '{name}'"))
    })
}
