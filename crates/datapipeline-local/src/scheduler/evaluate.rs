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
    let mut scope_object = component.clone();
    scope_object.id.clone_from(&instance.id);
    scope_object.set("@scheduledStartTime", format_time(instance.scheduled_start));
    scope_object.set("@scheduledEndTime", format_time(instance.scheduled_end));
    let scope = Scope {
        object: &scope_object,
        objects: components,
        parameters,
    };
    component
        .fields
        .iter()
        .map(|field| match &field.value {
            FieldValue::String(text) if text.contains("#{") => evaluate_template(text, &scope)
                .map(|value| Field::string(&field.key, value))
                .map_err(|error| format!("field '{}' of {}: {error}", field.key, component.id)),
            _ => Ok(field.clone()),
        })
        .collect()
}
