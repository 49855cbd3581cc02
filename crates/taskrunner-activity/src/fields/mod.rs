//! Typed access to a task's fields through serde.
//!
//! [`TaskContext::fields`](crate::TaskContext::fields) deserializes the
//! attempt object's fields into any `T: DeserializeOwned`:
//!
//! - a key that appears once is a scalar, or a one-element `Vec`;
//!   a repeated key (a definition's list) needs a `Vec` (or tuple);
//! - strings parse into numbers and booleans (`"5"` → `5u32`, `"true"` → `true`);
//! - an absent key is `None` for an `Option`, the default with
//!   `#[serde(default)]`, and a [`FieldsError::MissingField`] otherwise;
//! - a reference deserializes as the referenced object's id into a string,
//!   or as the referenced object's own fields into a struct or map, when the
//!   task carries that object (followed at most [`MAX_REFERENCE_DEPTH`] deep);
//! - keys are the pipeline's (`camelCase`, `@scheduledStartTime`, `myParam`):
//!   use `#[serde(rename_all = "camelCase")]` and `#[serde(rename = "…")]`.
//!
//! Unknown fields are ignored unless the type says `#[serde(deny_unknown_fields)]`
//! — the attempt object carries many runtime fields (`@status`, …).

mod de;
mod error;

use serde::de::DeserializeOwned;
use taskrunner_api::{Task, TaskObject};

pub use de::MAX_REFERENCE_DEPTH;
pub(crate) use error::quote;
pub use error::FieldsError;

/// Deserializes the attempt object's fields of `task`.
pub(crate) fn attempt_fields<T: DeserializeOwned>(task: &Task) -> Result<T, FieldsError> {
    let object = task.attempt().ok_or_else(|| FieldsError::NoAttemptObject {
        attempt_id: task.attempt_id.clone(),
    })?;
    object_fields(task, object)
}

/// Deserializes `object`'s fields, following references into `task`.
pub(crate) fn object_fields<T: DeserializeOwned>(
    task: &Task,
    object: &TaskObject,
) -> Result<T, FieldsError> {
    T::deserialize(de::ObjectDeserializer {
        task,
        object,
        depth: 0,
    })
}

#[cfg(test)]
mod tests;
