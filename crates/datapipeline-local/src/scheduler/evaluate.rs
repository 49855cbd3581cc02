//! Evaluating an instance's expressions before any runner sees them.

use std::collections::BTreeMap;

use crate::clock::format_time;
use crate::expression::{evaluate_template, Scope};
use crate::model::{Field, FieldValue, PipelineObject};
use crate::state::run::Instance;

/// The component's effective fields with every `#{…}` evaluated in the
/// scope of the instance: its own fields, its `@scheduledStartTime` and
/// `@scheduledEndTime`, the other components, and the parameters.
///
/// # Errors
/// The first expression that fails, with the field's key.
pub(crate) fn evaluate_fields(
    component: &PipelineObject,
    instance: &Instance,
    components: &BTreeMap<String, PipelineObject>,
    parameters: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Field>, String> {
    each_field(component, instance, components, parameters)
        .map(|(field, evaluated)| {
            evaluated.map_err(|error| format!("field '{}' of {}: {error}", field.key, component.id))
        })
        .collect()
}

/// As [`evaluate_fields`], but a field whose expression fails keeps its
/// text: for objects a task only refers to, whose failures are not the
/// task's.
pub(crate) fn evaluate_fields_or_keep(
    component: &PipelineObject,
    instance: &Instance,
    components: &BTreeMap<String, PipelineObject>,
    parameters: &BTreeMap<String, Vec<String>>,
) -> Vec<Field> {
    each_field(component, instance, components, parameters)
        .map(|(field, evaluated)| evaluated.unwrap_or_else(|_| field.clone()))
        .collect()
}

/// Each field of the component with its evaluation in the instance's scope.
fn each_field<'a>(
    component: &'a PipelineObject,
    instance: &Instance,
    components: &'a BTreeMap<String, PipelineObject>,
    parameters: &'a BTreeMap<String, Vec<String>>,
) -> impl Iterator<Item = (&'a Field, Result<Field, String>)> + 'a {
    let mut scope_object = component.clone();
    scope_object.id.clone_from(&instance.id);
    scope_object.set("@scheduledStartTime", format_time(instance.scheduled_start));
    scope_object.set("@scheduledEndTime", format_time(instance.scheduled_end));
    component.fields.iter().map(move |field| {
        let scope = Scope {
            object: &scope_object,
            objects: components,
            parameters,
        };
        let evaluated = match &field.value {
            FieldValue::String(text) if text.contains("#{") => evaluate_template(text, &scope)
                .map(|value| Field::string(&field.key, value))
                .map_err(|error| error.to_string()),
            _ => Ok(field.clone()),
        };
        (field, evaluated)
    })
}
