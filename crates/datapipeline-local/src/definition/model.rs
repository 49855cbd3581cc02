//! A pipeline definition as PutPipelineDefinition takes it and
//! GetPipelineDefinition gives it back: objects, parameter declarations and
//! parameter values.

use crate::model::PipelineObject;

/// A whole pipeline definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Definition {
    /// The pipeline objects (components), in the order given.
    pub objects: Vec<PipelineObject>,
    /// The declared parameters.
    pub parameter_objects: Vec<ParameterObject>,
    /// The values given for parameters; an id repeats for array parameters.
    pub parameter_values: Vec<ParameterValue>,
}

impl Definition {
    /// The first object with id `id`.
    pub fn object(&self, id: &str) -> Option<&PipelineObject> {
        self.objects.iter().find(|object| object.id == id)
    }

    /// The first declared parameter with id `id`.
    pub fn parameter(&self, id: &str) -> Option<&ParameterObject> {
        self.parameter_objects
            .iter()
            .find(|parameter| parameter.id == id)
    }

    /// Every value given for parameter `id`, in order.
    pub fn values_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        values_named(&self.parameter_values, id)
    }
}

/// Every value in `values` with id `id`, in order.
pub(crate) fn values_named<'a>(
    values: &'a [ParameterValue],
    id: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    values
        .iter()
        .filter(move |value| value.id == id)
        .map(|value| value.value.as_str())
}

/// A parameter declaration: its id (which starts with `my`) and attributes
/// such as `type`, `description`, `default`, `optional`, `allowedValues` and
/// `isArray`. Attribute keys may repeat (`allowedValues`, array defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterObject {
    /// The parameter's id, used in expressions as `#{id}`.
    pub id: String,
    /// The parameter's attributes, in the order given.
    pub attributes: Vec<ParameterAttribute>,
}

impl ParameterObject {
    /// A parameter with the given attributes.
    pub fn new(id: impl Into<String>, attributes: Vec<ParameterAttribute>) -> Self {
        Self {
            id: id.into(),
            attributes,
        }
    }

    /// The first value of attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .map(|attribute| attribute.value.as_str())
    }

    /// Every value of attribute `key`, in order.
    pub fn attributes_named<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |attribute| attribute.key == key)
            .map(|attribute| attribute.value.as_str())
    }

    /// The declared `type`; AWS defaults it to `String`.
    pub fn type_name(&self) -> &str {
        self.attribute("type").unwrap_or("String")
    }

    /// Whether the parameter may go without a value (`optional` is `true`).
    pub fn is_optional(&self) -> bool {
        self.attribute("optional").is_some_and(is_true)
    }

    /// Whether the parameter takes several values (`isArray` is `true`).
    pub fn is_array(&self) -> bool {
        self.attribute("isArray").is_some_and(is_true)
    }
}

/// Whether an attribute value means true; the CLI writes booleans as strings.
fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

/// One attribute of a parameter declaration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterAttribute {
    /// The attribute's name, e.g. `type`.
    pub key: String,
    /// The attribute's value, always a string.
    pub value: String,
}

impl ParameterAttribute {
    /// An attribute.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// One value given for a parameter. An array parameter has one of these per
/// element, all with the same id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterValue {
    /// The parameter's id.
    pub id: String,
    /// The value.
    pub value: String,
}

impl ParameterValue {
    /// A parameter value.
    pub fn new(id: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            value: value.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_attributes_read_as_documented() {
        let parameter = ParameterObject::new(
            "myColor",
            vec![
                ParameterAttribute::new("optional", "TRUE"),
                ParameterAttribute::new("allowedValues", "red"),
                ParameterAttribute::new("allowedValues", "blue"),
            ],
        );
        assert_eq!(parameter.type_name(), "String");
        assert!(parameter.is_optional());
        assert!(!parameter.is_array());
        assert_eq!(
            parameter
                .attributes_named("allowedValues")
                .collect::<Vec<_>>(),
            ["red", "blue"]
        );
    }

    #[test]
    fn repeated_values_are_returned_in_order() {
        let definition = Definition {
            parameter_values: vec![
                ParameterValue::new("myList", "a"),
                ParameterValue::new("myOther", "x"),
                ParameterValue::new("myList", "b"),
            ],
            ..Definition::default()
        };
        assert_eq!(
            definition.values_of("myList").collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(definition.parameter("myList").is_none());
    }
}
