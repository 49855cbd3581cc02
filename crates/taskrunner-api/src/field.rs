//! [`Field`] and [`FieldValue`]: the key/value pairs pipeline objects are
//! made of.

/// One key/value pair of a pipeline object, or one progress field.
///
/// Keys may repeat within an object: a definition's list `["a", "b"]` becomes
/// two fields with the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field name, e.g. `command` or `myActivity` (1–256 characters on the
    /// wire).
    pub key: String,
    /// The value: a string or a reference to another object.
    pub value: FieldValue,
}

impl Field {
    /// A field holding a string value (`stringValue` on the wire).
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: FieldValue::String(value.into()),
        }
    }

    /// A field referring to another object by id (`refValue` on the wire).
    pub fn reference(key: impl Into<String>, object_id: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: FieldValue::Ref(object_id.into()),
        }
    }
}

/// The value of a [`Field`]: exactly one of `stringValue` and `refValue`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// A plain string (`stringValue`, at most 10,240 characters).
    String(String),
    /// The id of another pipeline object (`refValue`).
    Ref(String),
}

impl FieldValue {
    /// The string, or the referenced object's id.
    pub fn as_str(&self) -> &str {
        match self {
            Self::String(value) | Self::Ref(value) => value,
        }
    }

    /// The referenced object's id, if this is a reference.
    pub fn as_ref_id(&self) -> Option<&str> {
        match self {
            Self::Ref(id) => Some(id),
            Self::String(_) => None,
        }
    }

    /// Whether this is a reference to another object.
    pub fn is_ref(&self) -> bool {
        matches!(self, Self::Ref(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_pick_the_variant() {
        let string = Field::string("command", "echo hi");
        assert_eq!(string.value, FieldValue::String("echo hi".into()));
        assert!(!string.value.is_ref());
        let reference = Field::reference("schedule", "DefaultSchedule");
        assert_eq!(reference.value.as_ref_id(), Some("DefaultSchedule"));
        assert_eq!(reference.value.as_str(), "DefaultSchedule");
    }
}
