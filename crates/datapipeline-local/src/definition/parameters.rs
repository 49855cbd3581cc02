//! Parameter values: which value each declared parameter takes.
//!
//! Precedence, as in AWS: values given at activation (`ActivatePipeline`'s
//! `parameterValues`) replace the definition's values, which replace the
//! declaration's `default`. A key replaces whole: an array parameter given
//! two values at activation takes exactly those two.
//!
//! Values for parameters the definition does not declare are used too, as
//! String values: AWS's sample pipelines are put with
//! `--parameter-values myLogUri=…` and no `parameters` section, and
//! `#{myLogUri}` then reads the value. Validation warns about them.
//!
//! Encrypted parameters (`*myPassword`, dp-pipeline-characters.md) resolve
//! like any other, but no message shows their values.

use std::collections::BTreeMap;

use super::catalogue::{is_encrypted_key, plain_key};
use super::error::DefinitionError;
use super::model::{values_named, Definition, ParameterObject, ParameterValue};

/// The parameter types AWS accepts.
const TYPES: [&str; 4] = ["String", "Integer", "Double", "AWS::S3::ObjectKey"];

/// Every parameter's values, keyed by id; an optional parameter with no value
/// and no default is left out.
///
/// # Errors
/// The first problem found, in declaration order: a
/// [`DefinitionError::InvalidParameterId`], [`DefinitionError::UnknownParameterType`],
/// [`DefinitionError::MissingParameterValue`], [`DefinitionError::NotAnArray`],
/// [`DefinitionError::InvalidParameterValue`] or
/// [`DefinitionError::ParameterValueNotAllowed`].
pub fn parameter_table(
    definition: &Definition,
    overrides: Option<&[ParameterValue]>,
) -> Result<BTreeMap<String, Vec<String>>, DefinitionError> {
    let resolution = resolve(definition, overrides);
    match resolution.problems.into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(resolution.table),
    }
}

/// The parameters resolved as far as possible, with every problem found.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    /// The values of the parameters that resolved.
    pub(crate) table: BTreeMap<String, Vec<String>>,
    /// Every problem, in declaration order.
    pub(crate) problems: Vec<DefinitionError>,
    /// The ids given values but declared by no parameter object, in the
    /// order first given; their values are in `table` as Strings.
    pub(crate) undeclared: Vec<String>,
}

/// Resolves every parameter, collecting all problems rather than stopping at
/// the first, so validation can report them all at once.
pub(crate) fn resolve(definition: &Definition, overrides: Option<&[ParameterValue]>) -> Resolution {
    let mut resolution = Resolution::default();
    for parameter in &definition.parameter_objects {
        let given = |values: &[ParameterValue]| -> Vec<String> {
            values_named(values, &parameter.id)
                .map(str::to_owned)
                .collect()
        };
        let mut values = overrides.map(given).unwrap_or_default();
        if values.is_empty() {
            values = given(&definition.parameter_values);
        }
        if values.is_empty() {
            values = parameter
                .attributes_named("default")
                .map(str::to_owned)
                .collect();
        }
        let problems = check_parameter(parameter, &values);
        if problems.is_empty() && !values.is_empty() {
            resolution.table.insert(parameter.id.clone(), values);
        }
        resolution.problems.extend(problems);
    }
    let declared = |id: &str| definition.parameter(id).is_some();
    let given = definition
        .parameter_values
        .iter()
        .chain(overrides.unwrap_or_default());
    for value in given {
        if declared(&value.id) || resolution.undeclared.contains(&value.id) {
            continue;
        }
        resolution.undeclared.push(value.id.clone());
        // Activation values replace the definition's, as for declared ones.
        let from_activation: Vec<String> = overrides
            .map(|values| values_named(values, &value.id).map(str::to_owned).collect())
            .unwrap_or_default();
        let values = if from_activation.is_empty() {
            definition.values_of(&value.id).map(str::to_owned).collect()
        } else {
            from_activation
        };
        resolution.table.insert(value.id.clone(), values);
    }
    resolution
}

/// Every problem with one parameter's declaration and resolved values.
fn check_parameter(parameter: &ParameterObject, values: &[String]) -> Vec<DefinitionError> {
    let id = || parameter.id.clone();
    let mut problems = Vec::new();
    if !plain_key(&parameter.id).starts_with("my") {
        problems.push(DefinitionError::InvalidParameterId { id: id() });
    }
    let type_name = parameter.type_name();
    if !TYPES.contains(&type_name) {
        problems.push(DefinitionError::UnknownParameterType {
            id: id(),
            type_name: type_name.to_owned(),
        });
    }
    if values.is_empty() && !parameter.is_optional() {
        problems.push(DefinitionError::MissingParameterValue { id: id() });
    }
    if values.len() > 1 && !parameter.is_array() {
        problems.push(DefinitionError::NotAnArray {
            id: id(),
            count: values.len(),
        });
    }
    let allowed: Vec<String> = parameter
        .attributes_named("allowedValues")
        .map(str::to_owned)
        .collect();
    let shown = |value: &String| {
        if is_encrypted_key(&parameter.id) {
            HIDDEN.to_owned()
        } else {
            value.clone()
        }
    };
    for value in values {
        if !fits_type(type_name, value) {
            problems.push(DefinitionError::InvalidParameterValue {
                id: id(),
                value: shown(value),
                expected: type_name.to_owned(),
            });
        }
        if !allowed.is_empty() && !allowed.contains(value) {
            problems.push(DefinitionError::ParameterValueNotAllowed {
                id: id(),
                value: shown(value),
                allowed: allowed.iter().map(shown).collect(),
            });
        }
    }
    problems
}

/// What messages show in place of an encrypted parameter's value.
const HIDDEN: &str = "(encrypted)";

/// Whether `value` is a valid value of the parameter type `type_name`;
/// unknown types are reported on their own, so they accept anything here.
fn fits_type(type_name: &str, value: &str) -> bool {
    match type_name {
        "Integer" => value.trim().parse::<i64>().is_ok(),
        "Double" => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::ParameterAttribute;
    use super::*;

    fn declared(id: &str, attributes: &[(&str, &str)]) -> ParameterObject {
        let attributes = attributes
            .iter()
            .map(|(key, value)| ParameterAttribute::new(*key, *value))
            .collect();
        ParameterObject::new(id, attributes)
    }

    fn definition(parameters: Vec<ParameterObject>, values: &[(&str, &str)]) -> Definition {
        Definition {
            parameter_objects: parameters,
            parameter_values: values
                .iter()
                .map(|(id, value)| ParameterValue::new(*id, *value))
                .collect(),
            ..Definition::default()
        }
    }

    #[test]
    fn activation_values_beat_definition_values_which_beat_defaults() {
        let definition = definition(
            vec![
                declared("myA", &[("default", "a-default")]),
                declared("myB", &[("default", "b-default")]),
                declared("myC", &[("default", "c-default")]),
            ],
            &[("myA", "a-definition"), ("myB", "b-definition")],
        );
        let overrides = [ParameterValue::new("myA", "a-activation")];
        let table = parameter_table(&definition, Some(&overrides)).unwrap();
        assert_eq!(table["myA"], ["a-activation"]);
        assert_eq!(table["myB"], ["b-definition"]);
        assert_eq!(table["myC"], ["c-default"]);
    }

    #[test]
    fn arrays_take_every_value_and_others_take_one() {
        let definition = definition(
            vec![
                declared("myList", &[("isArray", "true")]),
                declared("myOne", &[]),
            ],
            &[
                ("myList", "a"),
                ("myList", "b"),
                ("myOne", "x"),
                ("myOne", "y"),
            ],
        );
        let resolution = resolve(&definition, None);
        assert_eq!(resolution.table["myList"], ["a", "b"]);
        assert_eq!(
            resolution.problems,
            [DefinitionError::NotAnArray {
                id: "myOne".into(),
                count: 2
            }]
        );
    }

    #[test]
    fn missing_values_are_errors_unless_optional() {
        let definition = definition(
            vec![
                declared("myNeeded", &[]),
                declared("myMaybe", &[("optional", "true")]),
            ],
            &[],
        );
        let error = parameter_table(&definition, None).unwrap_err();
        assert_eq!(
            error,
            DefinitionError::MissingParameterValue {
                id: "myNeeded".into()
            }
        );
        assert!(error.to_string().contains("myNeeded"), "{error}");
        let resolution = resolve(&definition, None);
        assert!(!resolution.table.contains_key("myMaybe"));
    }

    #[test]
    fn undeclared_values_are_taken_as_strings() {
        let definition = definition(vec![], &[("myLogUri", "s3://logs"), ("myGhost", "x")]);
        let table = parameter_table(&definition, None).unwrap();
        assert_eq!(table["myLogUri"], ["s3://logs"]);
        let overrides = [
            ParameterValue::new("myGhost", "y"),
            ParameterValue::new("myOther", "z"),
        ];
        let resolution = resolve(&definition, Some(&overrides));
        assert!(resolution.problems.is_empty(), "{:?}", resolution.problems);
        assert_eq!(resolution.undeclared, ["myLogUri", "myGhost", "myOther"]);
        assert_eq!(resolution.table["myGhost"], ["y"], "activation values win");
        assert_eq!(resolution.table["myOther"], ["z"]);
    }

    #[test]
    fn encrypted_parameters_resolve_and_keep_their_values_out_of_messages() {
        let definition = definition(
            vec![
                declared("*myPassword", &[]),
                declared("*myPin", &[("type", "Integer"), ("allowedValues", "1234")]),
                declared("*notMine", &[("default", "x")]),
            ],
            &[("*myPassword", "hunter2"), ("*myPin", "secret")],
        );
        let resolution = resolve(&definition, None);
        assert_eq!(resolution.table["*myPassword"], ["hunter2"]);
        let messages: Vec<String> = resolution
            .problems
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages
                .iter()
                .all(|message| !message.contains("secret") && !message.contains("1234")),
            "{messages:?}"
        );
        assert!(
            messages[2].contains("'*notMine' must start with 'my'"),
            "{messages:?}"
        );
    }

    #[test]
    fn allowed_values_types_and_ids_are_enforced() {
        let definition = definition(
            vec![
                declared(
                    "myColor",
                    &[
                        ("allowedValues", "red"),
                        ("allowedValues", "blue"),
                        ("default", "green"),
                    ],
                ),
                declared("myCount", &[("type", "Integer"), ("default", "three")]),
                declared("myRatio", &[("type", "Double"), ("default", "0.5")]),
                declared("badId", &[("default", "x")]),
                declared("myWeird", &[("type", "Float"), ("default", "1")]),
            ],
            &[],
        );
        let problems = resolve(&definition, None).problems;
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 4, "{messages:?}");
        assert!(
            messages[0].contains("'green'") && messages[0].contains("red, blue"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].contains("'three'") && messages[1].contains("Integer"),
            "{}",
            messages[1]
        );
        assert!(messages[2].contains("'badId'"), "{}", messages[2]);
        assert!(messages[3].contains("'Float'"), "{}", messages[3]);
    }
}
