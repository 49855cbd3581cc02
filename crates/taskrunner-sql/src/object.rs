//! [`Objects`]: the pipeline objects a task carries, as plain data.
//!
//! The activity code reads its fields through this type rather than the
//! framework's task types, so that the copy and script logic can be called
//! and tested without a runner.

use std::collections::HashMap;

use crate::error::FieldError;

/// One pipeline object: its id and its fields in order (keys may repeat;
/// a reference's value is the referenced object's id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object {
    /// The object id.
    pub id: String,
    /// `(key, value)` pairs in the order the service sent them.
    pub fields: Vec<(String, String)>,
}

impl Object {
    /// An object with no fields.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            fields: Vec::new(),
        }
    }

    /// Appends a field.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// The first value of `key`, if any and not empty.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// Every value of `key`, in order.
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// The value of a required field.
    ///
    /// # Errors
    ///
    /// [`FieldError::Missing`] naming the object and the field.
    pub fn required(&self, key: &str) -> Result<&str, FieldError> {
        self.field(key).ok_or_else(|| FieldError::Missing {
            object: self.id.clone(),
            field: key.to_owned(),
        })
    }

    /// The object's `type`.
    pub fn object_type(&self) -> &str {
        self.field("type").unwrap_or("")
    }
}

/// The attempt object of a task and the other objects it carries.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    attempt: Object,
    others: HashMap<String, Object>,
}

impl Objects {
    /// The objects of a task whose attempt object is `attempt`.
    pub fn new(attempt: Object, others: impl IntoIterator<Item = Object>) -> Self {
        Self {
            attempt,
            others: others
                .into_iter()
                .map(|object| (object.id.clone(), object))
                .collect(),
        }
    }

    /// The attempt object (the activity's fields).
    pub fn attempt(&self) -> &Object {
        &self.attempt
    }

    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&Object> {
        self.others.get(id)
    }

    /// The object that `from`'s field `key` refers to.
    ///
    /// # Errors
    ///
    /// [`FieldError::Missing`] when `from` has no such field,
    /// [`FieldError::Dangling`] when the task does not carry the object.
    pub fn referenced(&self, from: &Object, key: &str) -> Result<&Object, FieldError> {
        let id = from.required(key)?;
        self.get(id).ok_or_else(|| FieldError::Dangling {
            object: from.id.clone(),
            field: key.to_owned(),
            target: id.to_owned(),
        })
    }

    /// The object that `from`'s field `key` refers to, when the field is set.
    ///
    /// # Errors
    ///
    /// [`FieldError::Dangling`] when the task does not carry the object.
    pub fn optional_reference(
        &self,
        from: &Object,
        key: &str,
    ) -> Result<Option<&Object>, FieldError> {
        match from.field(key) {
            Some(_) => self.referenced(from, key).map(Some),
            None => Ok(None),
        }
    }
}
