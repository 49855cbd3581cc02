//! The AWS CLI definition-file format, read and written.
//!
//! ```json
//! {"objects": [{"id": "A", "name": "A", "type": "ShellCommandActivity",
//!               "command": "echo", "schedule": {"ref": "S"}, "scriptArgument": ["a", "b"]}],
//!  "parameters": [{"id": "myX", "type": "String", "default": "x"}],
//!  "values": {"myX": "v", "myList": ["a", "b"]}}
//! ```
//!
//! The conversion follows the AWS CLI's translator: `{"ref": X}` is a
//! reference, a list is one field per item under the same key, a missing
//! `name` is the id, and fields are sorted by key (the CLI sorts them too;
//! values of a repeated key keep their order). Numbers and booleans become
//! their JSON text, where the CLI would let the service refuse them. Members
//! other than `objects`, `parameters` and `values` are ignored, as the CLI
//! ignores them.

use serde_json::{Map, Value};

use crate::model::{Field, FieldValue, PipelineObject};

use super::error::DefinitionFileError;
use super::model::{Definition, ParameterAttribute, ParameterObject, ParameterValue};

/// Parses a definition file.
///
/// # Errors
/// A [`DefinitionFileError`] naming the place in the file: JSON syntax, a
/// top level that is not an object, a missing `objects`, an item without a
/// string `id`, or a field value that is null, a nested list or an object
/// other than `{"ref": "Id"}`. Duplicate ids, unknown types and the like are
/// left to [`validate`](super::validate()).
pub fn parse_definition_file(json: &str) -> Result<Definition, DefinitionFileError> {
    let root: Value = serde_json::from_str(json)?;
    let Value::Object(root) = root else {
        return Err(DefinitionFileError::NotAnObject {
            found: json_type(&root),
        });
    };
    let objects = items(&root, "objects")?.ok_or(DefinitionFileError::MissingObjects)?;
    let objects = objects
        .iter()
        .enumerate()
        .map(|(index, item)| parse_object(index, item))
        .collect::<Result<Vec<_>, _>>()?;
    let parameter_objects = items(&root, "parameters")?
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, item)| parse_parameter(index, item))
        .collect::<Result<Vec<_>, _>>()?;
    let parameter_values = match root.get("values") {
        None => Vec::new(),
        Some(Value::Object(values)) => parse_values(values)?,
        Some(other) => {
            return Err(DefinitionFileError::WrongMemberType {
                member: "values",
                expected: "an object",
                found: json_type(other),
            })
        }
    };
    Ok(Definition {
        objects,
        parameter_objects,
        parameter_values,
    })
}

/// The list member `member` of the top level, if present.
fn items<'a>(
    root: &'a Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'a Vec<Value>>, DefinitionFileError> {
    match root.get(member) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(DefinitionFileError::WrongMemberType {
            member,
            expected: "a list",
            found: json_type(other),
        }),
    }
}

/// An item's members and id.
fn item_with_id<'a>(
    member: &'static str,
    index: usize,
    item: &'a Value,
) -> Result<(&'a Map<String, Value>, &'a str), DefinitionFileError> {
    let Value::Object(members) = item else {
        return Err(DefinitionFileError::ItemNotAnObject {
            member,
            index,
            found: json_type(item),
        });
    };
    let Some(Value::String(id)) = members.get("id") else {
        return Err(DefinitionFileError::MissingId { member, index });
    };
    Ok((members, id))
}

/// One item of `objects`.
fn parse_object(index: usize, item: &Value) -> Result<PipelineObject, DefinitionFileError> {
    let (members, id) = item_with_id("objects", index, item)?;
    let invalid = |key: &str, problem: String| DefinitionFileError::InvalidField {
        member: "objects",
        index,
        id: id.to_owned(),
        key: key.to_owned(),
        problem,
    };
    let name = match members.get("name") {
        None => id.to_owned(),
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(invalid(
                "name",
                format!("must be a string, got {}", json_type(other)),
            ))
        }
    };
    let mut fields = Vec::new();
    for (key, value) in members
        .iter()
        .filter(|(key, _)| *key != "id" && *key != "name")
    {
        for item in list_items(value) {
            let value = field_value(item, true).map_err(|problem| invalid(key, problem))?;
            fields.push(Field {
                key: key.clone(),
                value,
            });
        }
    }
    // Sorting by key makes the order independent of how serde_json keeps
    // maps; the sort is stable, so a repeated key keeps its values' order.
    fields.sort_by(|left, right| left.key.cmp(&right.key));
    Ok(PipelineObject {
        id: id.to_owned(),
        name,
        fields,
    })
}

/// One item of `parameters`.
fn parse_parameter(index: usize, item: &Value) -> Result<ParameterObject, DefinitionFileError> {
    let (members, id) = item_with_id("parameters", index, item)?;
    let mut attributes = Vec::new();
    for (key, value) in members.iter().filter(|(key, _)| *key != "id") {
        for item in list_items(value) {
            let value =
                field_value(item, false).map_err(|problem| DefinitionFileError::InvalidField {
                    member: "parameters",
                    index,
                    id: id.to_owned(),
                    key: key.clone(),
                    problem,
                })?;
            attributes.push(ParameterAttribute::new(key.clone(), value.as_str()));
        }
    }
    attributes.sort_by(|left, right| left.key.cmp(&right.key));
    Ok(ParameterObject {
        id: id.to_owned(),
        attributes,
    })
}

/// The `values` member: one value per item of a list.
fn parse_values(values: &Map<String, Value>) -> Result<Vec<ParameterValue>, DefinitionFileError> {
    let mut parsed = Vec::new();
    for (id, value) in values {
        for item in list_items(value) {
            let value =
                field_value(item, false).map_err(|problem| DefinitionFileError::InvalidValue {
                    id: id.clone(),
                    problem,
                })?;
            parsed.push(ParameterValue::new(id.clone(), value.as_str()));
        }
    }
    Ok(parsed)
}

/// The items of a list, or the value alone.
fn list_items(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// One field value, or what is wrong with it. References are allowed only
/// in object fields.
fn field_value(value: &Value, references: bool) -> Result<FieldValue, String> {
    match value {
        Value::String(text) => Ok(FieldValue::String(text.clone())),
        Value::Number(number) => Ok(FieldValue::String(number.to_string())),
        Value::Bool(flag) => Ok(FieldValue::String(flag.to_string())),
        Value::Null => Err("is null; give a string or remove the field".to_owned()),
        Value::Array(_) => Err("holds a list inside a list; lists cannot nest".to_owned()),
        Value::Object(members) => match (members.get("ref"), members.len()) {
            (Some(Value::String(id)), 1) if references => Ok(FieldValue::Ref(id.clone())),
            _ if !references => Err("must be a string, not an object".to_owned()),
            _ => Err("is an object; the only object allowed is {\"ref\": \"ObjectId\"}".to_owned()),
        },
    }
}

/// The name of a JSON value's type, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The definition-file form of a definition, as `get-pipeline-definition`
/// prints it: repeated keys become lists, references `{"ref": …}`.
/// `parameters` and `values` are left out when empty.
pub fn to_definition_file(definition: &Definition) -> Value {
    let objects: Vec<Value> = definition
        .objects
        .iter()
        .map(|object| {
            let mut members = Map::new();
            members.insert("id".to_owned(), Value::String(object.id.clone()));
            members.insert("name".to_owned(), Value::String(object.name.clone()));
            for field in &object.fields {
                let value = match &field.value {
                    FieldValue::String(text) => Value::String(text.clone()),
                    FieldValue::Ref(id) => serde_json::json!({ "ref": id }),
                };
                add_value(&mut members, &field.key, value);
            }
            Value::Object(members)
        })
        .collect();
    let mut root = Map::new();
    root.insert("objects".to_owned(), Value::Array(objects));
    if !definition.parameter_objects.is_empty() {
        let parameters = definition
            .parameter_objects
            .iter()
            .map(|parameter| {
                let mut members = Map::new();
                members.insert("id".to_owned(), Value::String(parameter.id.clone()));
                for attribute in &parameter.attributes {
                    add_value(
                        &mut members,
                        &attribute.key,
                        Value::String(attribute.value.clone()),
                    );
                }
                Value::Object(members)
            })
            .collect();
        root.insert("parameters".to_owned(), Value::Array(parameters));
    }
    if !definition.parameter_values.is_empty() {
        let mut values = Map::new();
        for value in &definition.parameter_values {
            add_value(&mut values, &value.id, Value::String(value.value.clone()));
        }
        root.insert("values".to_owned(), Value::Object(values));
    }
    Value::Object(root)
}

/// Adds `value` under `key`, turning a repeated key into a list.
fn add_value(members: &mut Map<String, Value>, key: &str, value: Value) {
    match members.get_mut(key) {
        None => {
            members.insert(key.to_owned(), value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Parses command-line parameter values, `myName=value` each (the AWS CLI's
/// `--parameter-values`); a repeated name gives an array parameter several
/// values. The value may be empty and may contain `=`.
///
/// # Errors
/// [`DefinitionFileError::InvalidParameterArgument`] for an argument without
/// `=` or with an empty name.
pub fn parse_parameter_values(
    arguments: &[String],
) -> Result<Vec<ParameterValue>, DefinitionFileError> {
    arguments
        .iter()
        .map(|argument| match argument.split_once('=') {
            Some((id, value)) if !id.trim().is_empty() => Ok(ParameterValue::new(id.trim(), value)),
            _ => Err(DefinitionFileError::InvalidParameterArgument {
                argument: argument.clone(),
            }),
        })
        .collect()
}

/// Parses a parameter-values file, `{"values": {"myX": "v", "myList": ["a", "b"]}}`:
/// the file the AWS CLI's `put-pipeline-definition --parameter-values-uri`
/// takes (dp-custom-templates.md). A list gives an array parameter several
/// values, as in a definition file's `values`.
///
/// # Errors
/// A [`DefinitionFileError`]: JSON syntax, a top level that is not an
/// object, a `values` member that is missing or not an object, or a value
/// that is null, an object or a nested list.
pub fn parse_parameter_values_file(json: &str) -> Result<Vec<ParameterValue>, DefinitionFileError> {
    let root = file_root(json)?;
    match root.get("values") {
        Some(Value::Object(values)) => parse_values(values),
        other => Err(DefinitionFileError::WrongMemberType {
            member: "values",
            expected: "an object",
            found: other.map_or("nothing", json_type),
        }),
    }
}

/// Parses a parameter-objects file, `{"parameters": [{"id": "myX", "type":
/// "String", …}]}`: the file the AWS CLI's `put-pipeline-definition
/// --parameter-objects` takes (dp-custom-templates.md), whose declarations
/// replace the definition's own.
///
/// # Errors
/// A [`DefinitionFileError`]: JSON syntax, a top level that is not an
/// object, a `parameters` member that is missing or not a list, or an item
/// without a string `id` or with a value that is not a string or a list of
/// strings.
pub fn parse_parameter_objects_file(
    json: &str,
) -> Result<Vec<ParameterObject>, DefinitionFileError> {
    let root = file_root(json)?;
    let Some(parameters) = items(&root, "parameters")? else {
        return Err(DefinitionFileError::WrongMemberType {
            member: "parameters",
            expected: "a list",
            found: "nothing",
        });
    };
    parameters
        .iter()
        .enumerate()
        .map(|(index, item)| parse_parameter(index, item))
        .collect()
}

/// The top-level object of a parameter file.
fn file_root(json: &str) -> Result<Map<String, Value>, DefinitionFileError> {
    match serde_json::from_str(json)? {
        Value::Object(root) => Ok(root),
        other => Err(DefinitionFileError::NotAnObject {
            found: json_type(&other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
        "objects": [
            {"id": "Default", "scheduleType": "ondemand", "workerGroup": "wg"},
            {"id": "Say", "name": "Say hello", "type": "ShellCommandActivity",
             "command": "echo", "scriptArgument": ["a", {"ref": "B"}, 3, true],
             "schedule": {"ref": "S"}}
        ],
        "parameters": [{"id": "myX", "type": "String", "default": "d", "allowedValues": ["d", "e"]}],
        "values": {"myX": "e", "myList": ["1", 2]}
    }"#;

    #[test]
    fn the_cli_format_is_read_as_the_cli_translates_it() {
        let definition = parse_definition_file(EXAMPLE).unwrap();
        let default = &definition.objects[0];
        assert_eq!(default.name, "Default", "a missing name is the id");
        let say = &definition.objects[1];
        assert_eq!(say.name, "Say hello");
        assert_eq!(
            say.values("schedule").next(),
            Some(&FieldValue::Ref("S".into()))
        );
        let arguments: Vec<&FieldValue> = say.values("scriptArgument").collect();
        assert_eq!(
            arguments,
            [
                &FieldValue::String("a".into()),
                &FieldValue::Ref("B".into()),
                &FieldValue::String("3".into()),
                &FieldValue::String("true".into())
            ]
        );
        let keys: Vec<&str> = say.fields.iter().map(|field| field.key.as_str()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        let parameter = &definition.parameter_objects[0];
        assert_eq!(
            parameter
                .attributes_named("allowedValues")
                .collect::<Vec<_>>(),
            ["d", "e"]
        );
        assert_eq!(
            definition.values_of("myList").collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert_eq!(definition.values_of("myX").collect::<Vec<_>>(), ["e"]);
    }

    #[test]
    fn writing_and_reading_back_is_the_identity() {
        let definition = parse_definition_file(EXAMPLE).unwrap();
        let written = to_definition_file(&definition);
        assert_eq!(
            written["objects"][1]["scriptArgument"][1],
            serde_json::json!({"ref": "B"})
        );
        assert_eq!(written["values"]["myList"], serde_json::json!(["1", "2"]));
        let reread = parse_definition_file(&written.to_string()).unwrap();
        assert_eq!(reread, definition);
        let empty = to_definition_file(&Definition::default());
        assert_eq!(empty, serde_json::json!({"objects": []}));
    }

    #[test]
    fn malformed_files_are_refused_naming_the_place() {
        let cases = [
            ("[1]", "got a list"),
            ("{\"objects\": {}}", "\"objects\" must be a list"),
            ("{}", "no \"objects\""),
            ("{\"objects\": [7]}", "objects[0] must be a JSON object"),
            (
                "{\"objects\": [{\"name\": \"x\"}]}",
                "objects[0] has no string \"id\"",
            ),
            (
                "{\"objects\": [{\"id\": 5}]}",
                "objects[0] has no string \"id\"",
            ),
            (
                "{\"objects\": [{\"id\": \"A\", \"k\": null}]}",
                "objects[0] (id 'A'): \"k\" is null",
            ),
            (
                "{\"objects\": [{\"id\": \"A\", \"k\": [[\"x\"]]}]}",
                "\"k\" holds a list inside a list",
            ),
            (
                "{\"objects\": [{\"id\": \"A\", \"k\": {\"ref\": \"B\", \"x\": 1}}]}",
                "\"k\" is an object",
            ),
            (
                "{\"objects\": [{\"id\": \"A\", \"k\": {\"ref\": 1}}]}",
                "\"k\" is an object",
            ),
            (
                "{\"objects\": [{\"id\": \"A\", \"name\": 1}]}",
                "\"name\" must be a string",
            ),
            (
                "{\"objects\": [], \"parameters\": [{\"id\": \"myX\", \"d\": {\"ref\": \"B\"}}]}",
                "parameters[0] (id 'myX')",
            ),
            (
                "{\"objects\": [], \"values\": []}",
                "\"values\" must be an object",
            ),
            (
                "{\"objects\": [], \"values\": {\"myX\": null}}",
                "values: \"myX\" is null",
            ),
            ("{\"objects\": [", "not valid JSON"),
        ];
        for (json, expected) in cases {
            let error = parse_definition_file(json).unwrap_err();
            assert!(error.to_string().contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn duplicate_ids_are_left_to_validation() {
        let definition =
            parse_definition_file("{\"objects\": [{\"id\": \"A\"}, {\"id\": \"A\"}]}").unwrap();
        assert_eq!(definition.objects.len(), 2);
    }

    #[test]
    fn parameter_arguments_split_at_the_first_equals_sign() {
        let arguments = [
            "myX=a=b".to_owned(),
            "myList=1".to_owned(),
            "myList=2".to_owned(),
            "myEmpty=".to_owned(),
        ];
        let values = parse_parameter_values(&arguments).unwrap();
        assert_eq!(values[0], ParameterValue::new("myX", "a=b"));
        assert_eq!(values[2], ParameterValue::new("myList", "2"));
        assert_eq!(values[3], ParameterValue::new("myEmpty", ""));
        for bad in ["novalue", "=x"] {
            let error = parse_parameter_values(&[bad.to_owned()]).unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn parameter_files_are_read_as_the_cli_reads_them() {
        let values =
            parse_parameter_values_file(r#"{"values": {"myX": "v", "myList": ["a", 2]}}"#).unwrap();
        assert!(values.contains(&ParameterValue::new("myX", "v")));
        assert!(values.contains(&ParameterValue::new("myList", "2")));
        let parameters = parse_parameter_objects_file(
            r#"{"parameters": [{"id": "myX", "type": "String", "allowedValues": ["a", "b"]}]}"#,
        )
        .unwrap();
        assert_eq!(parameters[0].id, "myX");
        assert_eq!(
            parameters[0]
                .attributes_named("allowedValues")
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        let bad_values = [
            ("{}", "\"values\" must be an object, got nothing"),
            ("{\"values\": []}", "got a list"),
            ("{\"values\": {\"myX\": null}}", "\"myX\" is null"),
            ("[]", "got a list"),
            ("{", "not valid JSON"),
        ];
        for (json, expected) in bad_values {
            let error = parse_parameter_values_file(json).unwrap_err();
            assert!(error.to_string().contains(expected), "{json}: {error}");
        }
        let bad_objects = [
            ("{}", "\"parameters\" must be a list, got nothing"),
            (
                "{\"parameters\": [{\"type\": \"String\"}]}",
                "parameters[0] has no string \"id\"",
            ),
        ];
        for (json, expected) in bad_objects {
            let error = parse_parameter_objects_file(json).unwrap_err();
            assert!(error.to_string().contains(expected), "{json}: {error}");
        }
    }
}
