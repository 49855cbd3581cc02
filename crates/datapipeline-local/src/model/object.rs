//! Pipeline objects and their fields, as the wire and the definition store
//! them.

use serde::{Deserialize, Serialize};

use crate::error::{ServiceError, ServiceResult};
use crate::protocol::shape::{self, FIELD_NAME, FIELD_VALUE, ID};

/// The value of a field: a string or a reference to another object's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// A `stringValue`.
    String(String),
    /// A `refValue`: the id of another object.
    Ref(String),
}

impl FieldValue {
    /// The value as text, whichever kind it is.
    pub fn as_str(&self) -> &str {
        match self {
            Self::String(value) | Self::Ref(value) => value,
        }
    }

    /// The referenced id, if this is a reference.
    pub fn as_ref_id(&self) -> Option<&str> {
        match self {
            Self::Ref(id) => Some(id),
            Self::String(_) => None,
        }
    }
}

/// One key-value pair of an object. Keys may repeat: a repeated key is a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name.
    pub key: String,
    /// The field's value.
    pub value: FieldValue,
}

impl Field {
    /// A string field.
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: FieldValue::String(value.into()),
        }
    }

    /// A reference field.
    pub fn reference(key: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: FieldValue::Ref(id.into()),
        }
    }
}

/// A pipeline object: a component of a definition, an instance or an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PipelineObject {
    /// The object's id, unique within its pipeline.
    pub id: String,
    /// The object's name.
    pub name: String,
    /// The object's fields in the order given.
    pub fields: Vec<Field>,
}

impl PipelineObject {
    /// The first value of `key`, as text.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|field| field.key == key)
            .map(|field| field.value.as_str())
    }

    /// Every value of `key`, in order.
    pub fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a FieldValue> + 'a {
        self.fields
            .iter()
            .filter(move |field| field.key == key)
            .map(|field| &field.value)
    }

    /// The object's `type` field.
    pub fn type_name(&self) -> Option<&str> {
        self.field("type")
    }

    /// Replaces every value of `key` by one string value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.fields.retain(|field| field.key != key);
        self.fields.push(Field::string(key, value));
    }

    /// Replaces every value of `key` by one reference.
    pub fn set_ref(&mut self, key: &str, id: impl Into<String>) {
        self.fields.retain(|field| field.key != key);
        self.fields.push(Field::reference(key, id));
    }
}

/// A field as it crosses the wire: `{"key", "stringValue" | "refValue"}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireField {
    /// The field's name.
    pub key: Option<String>,
    /// A string value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// A reference value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ref_value: Option<String>,
}

/// An object as it crosses the wire.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct WireObject {
    /// The object's id.
    pub id: Option<String>,
    /// The object's name.
    pub name: Option<String>,
    /// The object's fields.
    #[serde(default)]
    pub fields: Option<Vec<WireField>>,
}

impl WireField {
    /// Validates the field against the model and converts it; `member` is its
    /// path in the request, e.g. `pipelineObjects[2].fields[0]`.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] naming the member.
    pub fn into_field(self, member: &str) -> ServiceResult<Field> {
        let key = FIELD_NAME
            .required(&format!("{member}.key"), self.key.as_deref())?
            .to_owned();
        let value = match (self.string_value, self.ref_value) {
            (Some(value), None) => {
                FIELD_VALUE.check(&format!("{member}.stringValue"), &value)?;
                FieldValue::String(value)
            }
            (None, Some(id)) => {
                FIELD_NAME.check(&format!("{member}.refValue"), &id)?;
                FieldValue::Ref(id)
            }
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(format!(
                    "{member}: field '{key}' has both stringValue and refValue; give one"
                )))
            }
            (None, None) => {
                return Err(ServiceError::invalid(format!(
                    "{member}: field '{key}' has neither stringValue nor refValue"
                )))
            }
        };
        Ok(Field { key, value })
    }
}

impl From<&Field> for WireField {
    fn from(field: &Field) -> Self {
        let (string_value, ref_value) = match &field.value {
            FieldValue::String(value) => (Some(value.clone()), None),
            FieldValue::Ref(id) => (None, Some(id.clone())),
        };
        Self {
            key: Some(field.key.clone()),
            string_value,
            ref_value,
        }
    }
}

impl WireObject {
    /// Validates the object against the model and converts it; `member` is its
    /// path in the request.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] naming the member.
    pub fn into_object(self, member: &str) -> ServiceResult<PipelineObject> {
        let id = ID
            .required(&format!("{member}.id"), self.id.as_deref())?
            .to_owned();
        let name = ID
            .required(&format!("{member}.name"), self.name.as_deref())?
            .to_owned();
        let fields = self
            .fields
            .ok_or_else(|| shape::missing(&format!("{member}.fields")))?;
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(index, field)| field.into_field(&format!("{member}.fields[{index}]")))
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok(PipelineObject { id, name, fields })
    }
}

impl From<&PipelineObject> for WireObject {
    fn from(object: &PipelineObject) -> Self {
        Self {
            id: Some(object.id.clone()),
            name: Some(object.name.clone()),
            fields: Some(object.fields.iter().map(WireField::from).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_needs_exactly_one_value() {
        let both = WireField {
            key: Some("k".into()),
            string_value: Some("a".into()),
            ref_value: Some("b".into()),
        };
        let error = both.into_field("pipelineObjects[0].fields[3]").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("pipelineObjects[0].fields[3]"),
            "{error}"
        );
        let neither = WireField {
            key: Some("k".into()),
            ..WireField::default()
        };
        assert!(neither.into_field("f").is_err());
    }

    #[test]
    fn objects_round_trip_through_the_wire_form() {
        let object = PipelineObject {
            id: "A".into(),
            name: "A".into(),
            fields: vec![
                Field::string("type", "ShellCommandActivity"),
                Field::reference("schedule", "S"),
            ],
        };
        let wire = WireObject::from(&object);
        assert_eq!(wire.into_object("o").unwrap(), object);
    }
}
