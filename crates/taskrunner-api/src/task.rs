//! [`Task`] and [`TaskObject`]: what PollForTask delivers.

use crate::{Field, TaskId};

/// A task leased from PollForTask: one attempt of one activity instance, plus
/// the pipeline objects the service sent along with it.
///
/// The attempt object (keyed by [`Task::attempt_id`]) carries the activity's
/// fields merged in (`type`, `command`, `workerGroup`, user `my…` fields,
/// runtime `@…` fields). Whether referenced objects (data nodes,
/// preconditions, schedules) are included is undocumented, so code must cope
/// with [`Task::object`] returning `None` for a referenced id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The opaque lease handle used by every later call about this task.
    pub task_id: TaskId,
    /// The pipeline the task belongs to (`df-…`).
    pub pipeline_id: String,
    /// The id of the attempt object, e.g. `@SayHello_2012-12-12T00:00:00_Attempt=1`.
    pub attempt_id: String,
    /// Every object the service sent, in no particular order; ids are
    /// unique. A task carries a handful of objects, so a list searched by id
    /// costs less memory than a map (a held lease keeps its task).
    pub objects: Vec<TaskObject>,
}

impl Task {
    /// A task with no objects yet; add them with [`Task::with_object`].
    pub fn new(
        task_id: impl Into<TaskId>,
        pipeline_id: impl Into<String>,
        attempt_id: impl Into<String>,
    ) -> Self {
        Self {
            task_id: task_id.into(),
            pipeline_id: pipeline_id.into(),
            attempt_id: attempt_id.into(),
            objects: Vec::new(),
        }
    }

    /// Adds (or replaces) an object, keyed by its id.
    #[must_use]
    pub fn with_object(mut self, object: TaskObject) -> Self {
        match self.objects.iter_mut().find(|known| known.id == object.id) {
            Some(known) => *known = object,
            None => self.objects.push(object),
        }
        self
    }

    /// The attempt object, `objects[attempt_id]`; `None` only when the
    /// service sent a task without it.
    pub fn attempt(&self) -> Option<&TaskObject> {
        self.object(&self.attempt_id)
    }

    /// The object with the given id, if the task carries it.
    pub fn object(&self, id: &str) -> Option<&TaskObject> {
        self.objects.iter().find(|object| object.id == id)
    }
}

/// One pipeline object (`PipelineObject` on the wire): an id, a display name
/// and an ordered list of fields in which keys may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskObject {
    /// The object id, unique within the pipeline.
    pub id: String,
    /// The display name (the id when the definition gave none).
    pub name: String,
    /// The fields in the order the service sent them.
    pub fields: Vec<Field>,
}

impl TaskObject {
    /// An object with no fields; add them with [`TaskObject::with_field`].
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            fields: Vec::new(),
        }
    }

    /// Appends a field (keys may repeat).
    #[must_use]
    pub fn with_field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// The first value of `key` (a string, or a reference's object id).
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|field| field.key == key)
            .map(|field| field.value.as_str())
    }

    /// Every value of `key`, in order (strings and reference ids alike).
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields_named(key).map(|field| field.value.as_str())
    }

    /// Every field named `key`, in order, with its value kind intact.
    pub fn fields_named<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields.iter().filter(move |field| field.key == key)
    }

    /// The object's `type` field, e.g. `ShellCommandActivity`.
    pub fn object_type(&self) -> Option<&str> {
        self.field("type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> Task {
        Task::new("t", "df-1", "@A_Attempt=1").with_object(
            TaskObject::new("@A_Attempt=1", "A")
                .with_field(Field::string("type", "ShellCommandActivity"))
                .with_field(Field::string("scriptArgument", "a"))
                .with_field(Field::string("scriptArgument", "b"))
                .with_field(Field::reference("input", "In")),
        )
    }

    #[test]
    fn attempt_and_lookups() {
        let task = task();
        let attempt = task.attempt().expect("attempt present");
        assert_eq!(attempt.object_type(), Some("ShellCommandActivity"));
        assert_eq!(attempt.field("scriptArgument"), Some("a"));
        assert_eq!(
            attempt.values("scriptArgument").collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(attempt.field("input"), Some("In"));
        assert_eq!(attempt.field("missing"), None);
        assert!(task.object("In").is_none());
    }

    #[test]
    fn an_object_with_a_known_id_replaces_it() {
        let task = task().with_object(TaskObject::new("@A_Attempt=1", "renamed"));
        assert_eq!(task.objects.len(), 1);
        assert_eq!(
            task.attempt().map(|object| object.name.as_str()),
            Some("renamed")
        );
    }

    #[test]
    fn missing_attempt_is_none() {
        assert!(Task::new("t", "df-1", "@X").attempt().is_none());
    }
}
