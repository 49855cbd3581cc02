//! One object's fields, for the panel a click on a graph node opens: each
//! field as written, the fields it inherits (from `Default` or a
//! `parent`), and each value with its expressions evaluated.
//!
//! Evaluated values come from the component's latest instance, whose
//! fields the scheduler evaluated for its period; an object with no
//! instance (a schedule, a resource, `Default`) is evaluated here in its
//! own scope, and an expression that needs a period then shows its error.
//! Encrypted fields are shown as [`MASK`] and never evaluated.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::definition::is_encrypted_key;
use crate::expression::{evaluate_template, Scope};
use crate::model::{Field, FieldValue, PipelineObject};
use crate::state::Pipeline;

use super::graph::{latest_statuses, objects};
use super::secrets::MASK;

/// The panel of object `id`, or `None` when the definition has no such
/// object.
pub(crate) fn object(pipeline: &Pipeline, id: &str) -> Option<Value> {
    let written = objects(pipeline).iter().find(|object| object.id == id)?;
    let effective = pipeline.run.components.get(id).unwrap_or(written);
    let latest = latest_statuses(pipeline).get(id).copied();
    let instance = latest.and_then(|(instance, _)| pipeline.run.instances.get(instance));
    let mut evaluated: HashMap<&str, Vec<&Field>> = HashMap::new();
    if let Some(instance) = instance {
        for field in &instance.fields {
            evaluated.entry(field.key.as_str()).or_default().push(field);
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let fields: Vec<Value> = effective
        .fields
        .iter()
        .map(|field| {
            let nth = seen.entry(field.key.as_str()).or_default();
            let from_instance = evaluated
                .get(field.key.as_str())
                .and_then(|all| all.get(*nth));
            *nth += 1;
            let inherited = !written.fields.contains(field);
            describe(field, inherited, from_instance.copied(), || {
                evaluate_alone(
                    field,
                    effective,
                    &pipeline.run.components,
                    &pipeline.run.parameters,
                )
            })
        })
        .collect();
    Some(json!({
        "id": written.id,
        "name": written.name,
        "type": written.type_name(),
        "latestInstance": latest.map(|(instance, _)| instance),
        "status": latest.map(|(_, status)| status.as_str()),
        "fields": fields,
    }))
}

/// One field's row.
fn describe(
    field: &Field,
    inherited: bool,
    from_instance: Option<&Field>,
    evaluate: impl FnOnce() -> Option<Result<String, String>>,
) -> Value {
    let encrypted = is_encrypted_key(&field.key);
    let (value, evaluated, error) = if encrypted {
        (MASK.to_owned(), None, None)
    } else {
        let value = field.value.as_str().to_owned();
        let has_expression =
            matches!(&field.value, FieldValue::String(text) if text.contains("#{"));
        match (has_expression, from_instance) {
            (false, _) => (value, None, None),
            (true, Some(evaluated)) => (value, Some(evaluated.value.as_str().to_owned()), None),
            (true, None) => match evaluate() {
                Some(Ok(evaluated)) => (value, Some(evaluated), None),
                Some(Err(error)) => (value, None, Some(error)),
                None => (value, None, None),
            },
        }
    };
    json!({
        "key": field.key,
        "value": value,
        "reference": matches!(field.value, FieldValue::Ref(_)),
        "inherited": inherited,
        "encrypted": encrypted,
        "evaluated": evaluated,
        "error": error,
    })
}

/// Evaluates `field` in the scope of `object` alone: for objects that have
/// no instance.
fn evaluate_alone(
    field: &Field,
    object: &PipelineObject,
    components: &BTreeMap<String, PipelineObject>,
    parameters: &BTreeMap<String, Vec<String>>,
) -> Option<Result<String, String>> {
    let FieldValue::String(text) = &field.value else {
        return None;
    };
    let scope = Scope::new(object, components, parameters);
    Some(evaluate_template(text, &scope).map_err(|error| error.to_string()))
}
