//! Conversions between this crate's types and `aws_sdk_datapipeline::types`.

use aws_sdk_datapipeline::types as sdk;

use crate::{Field, FieldValue, InstanceIdentity, Task, TaskId, TaskObject, TaskStatus};

/// A polled task object that cannot become a [`Task`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidTask {
    /// The service sent a task without a `taskId`: it can be neither
    /// acknowledged nor reported, so it is dropped and expires on its own.
    MissingTaskId,
}

/// Builds a [`Task`] from the SDK's `TaskObject`, taking ownership to avoid
/// copying the (possibly large) objects.
///
/// A missing `pipelineId` or `attemptId` becomes an empty string (the task
/// is still reportable; [`Task::attempt`] then returns `None`). A field with
/// both values keeps the reference; one with neither becomes an empty string.
pub(crate) fn task_from_sdk(task: sdk::TaskObject) -> Result<Task, InvalidTask> {
    let task_id = task.task_id.ok_or(InvalidTask::MissingTaskId)?;
    let objects = task
        .objects
        .unwrap_or_default()
        .into_iter()
        .map(|(key, object)| object_from_sdk(key, object))
        .collect();
    Ok(Task {
        task_id: TaskId::new(task_id),
        pipeline_id: task.pipeline_id.unwrap_or_default(),
        attempt_id: task.attempt_id.unwrap_or_default(),
        objects,
    })
}

/// The object the service sent under `key`. The key is what the task's
/// `attemptId` and references name, so it is the object's id even in the
/// (malformed) case that the object's own `id` disagrees.
fn object_from_sdk(key: String, object: sdk::PipelineObject) -> TaskObject {
    // Collected into a list of its own size: collecting in place would keep
    // the SDK's larger allocation for as long as the task is held.
    let mut fields = Vec::with_capacity(object.fields.len());
    fields.extend(object.fields.into_iter().map(field_from_sdk));
    TaskObject {
        id: key,
        name: object.name,
        fields,
    }
}

pub(crate) fn field_from_sdk(field: sdk::Field) -> Field {
    let value = match (field.ref_value, field.string_value) {
        (Some(id), _) => FieldValue::Ref(id),
        (None, Some(value)) => FieldValue::String(value),
        (None, None) => FieldValue::String(String::new()),
    };
    Field {
        key: field.key,
        value,
    }
}

/// Builds the SDK's `Field`.
///
/// The SDK's builder only fails when `key` is unset, and it is always set;
/// should it fail anyway the error is returned rather than panicking.
pub(crate) fn field_to_sdk(
    field: &Field,
) -> Result<sdk::Field, aws_sdk_datapipeline::error::BuildError> {
    let builder = sdk::Field::builder().key(field.key.clone());
    let builder = match &field.value {
        FieldValue::String(value) => builder.string_value(value.clone()),
        FieldValue::Ref(id) => builder.ref_value(id.clone()),
    };
    builder.build()
}

pub(crate) fn identity_to_sdk(identity: &InstanceIdentity) -> sdk::InstanceIdentity {
    sdk::InstanceIdentity::builder()
        .document(identity.document.clone())
        .signature(identity.signature.clone())
        .build()
}

pub(crate) fn status_to_sdk(status: TaskStatus) -> sdk::TaskStatus {
    match status {
        TaskStatus::Finished => sdk::TaskStatus::Finished,
        TaskStatus::Failed => sdk::TaskStatus::Failed,
        TaskStatus::False => sdk::TaskStatus::False,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk_field(key: &str, string: Option<&str>, reference: Option<&str>) -> sdk::Field {
        sdk::Field::builder()
            .key(key)
            .set_string_value(string.map(str::to_owned))
            .set_ref_value(reference.map(str::to_owned))
            .build()
            .expect("key is set")
    }

    #[test]
    fn task_round_trip_from_sdk() {
        let object = sdk::PipelineObject::builder()
            .id("@A_Attempt=1")
            .name("A")
            .fields(sdk_field("type", Some("ShellCommandActivity"), None))
            .fields(sdk_field("input", None, Some("In")))
            .fields(sdk_field("both", Some("s"), Some("R")))
            .fields(sdk_field("neither", None, None))
            .build()
            .expect("required members set");
        let task = sdk::TaskObject::builder()
            .task_id("opaque")
            .pipeline_id("df-1")
            .attempt_id("@A_Attempt=1")
            .objects("@A_Attempt=1", object)
            .build();
        let task = task_from_sdk(task).expect("valid task");
        assert_eq!(task.task_id.as_str(), "opaque");
        let attempt = task.attempt().expect("attempt present");
        assert_eq!(attempt.name, "A");
        assert_eq!(
            attempt.fields[0],
            Field::string("type", "ShellCommandActivity")
        );
        assert_eq!(attempt.fields[1], Field::reference("input", "In"));
        assert_eq!(attempt.fields[2], Field::reference("both", "R"));
        assert_eq!(attempt.fields[3], Field::string("neither", ""));
    }

    #[test]
    fn task_without_id_is_rejected() {
        let task = sdk::TaskObject::builder().pipeline_id("df-1").build();
        assert_eq!(task_from_sdk(task), Err(InvalidTask::MissingTaskId));
    }

    #[test]
    fn fields_and_status_to_sdk() {
        let field = field_to_sdk(&Field::reference("k", "Id")).expect("builds");
        assert_eq!(
            (field.key(), field.ref_value(), field.string_value()),
            ("k", Some("Id"), None)
        );
        let field = field_to_sdk(&Field::string("k", "v")).expect("builds");
        assert_eq!(field.string_value(), Some("v"));
        assert_eq!(status_to_sdk(TaskStatus::False), sdk::TaskStatus::False);
        let identity = identity_to_sdk(&InstanceIdentity {
            document: "d".into(),
            signature: "s".into(),
        });
        assert_eq!(identity.document(), Some("d"));
    }
}
