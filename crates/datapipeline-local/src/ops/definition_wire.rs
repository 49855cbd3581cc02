//! Definitions as PutPipelineDefinition, ValidatePipelineDefinition,
//! GetPipelineDefinition and ActivatePipeline carry them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::common::objects_json;
use crate::definition::{
    Definition, ParameterAttribute, ParameterObject, ParameterValue, ValidationReport,
};
use crate::error::ServiceResult;
use crate::model::WireObject;
use crate::protocol::shape::{missing, FIELD_NAME, FIELD_VALUE};

/// A parameter attribute on the wire.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireAttribute {
    key: Option<String>,
    string_value: Option<String>,
}

/// A parameter object on the wire.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct WireParameterObject {
    id: Option<String>,
    attributes: Option<Vec<WireAttribute>>,
}

/// A parameter value on the wire.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireParameterValue {
    id: Option<String>,
    string_value: Option<String>,
}

/// Checks and converts the definition members of a request.
pub(super) fn definition(
    objects: Option<Vec<WireObject>>,
    parameter_objects: Option<Vec<WireParameterObject>>,
    parameter_values: Option<Vec<WireParameterValue>>,
) -> ServiceResult<Definition> {
    let objects = objects
        .ok_or_else(|| missing("pipelineObjects"))?
        .into_iter()
        .enumerate()
        .map(|(index, object)| object.into_object(&format!("pipelineObjects[{index}]")))
        .collect::<ServiceResult<Vec<_>>>()?;
    let parameter_objects = parameter_objects
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, parameter)| {
            let member = format!("parameterObjects[{index}]");
            let id = FIELD_NAME
                .required(&format!("{member}.id"), parameter.id.as_deref())?
                .to_owned();
            let attributes = parameter
                .attributes
                .ok_or_else(|| missing(&format!("{member}.attributes")))?
                .into_iter()
                .enumerate()
                .map(|(position, attribute)| {
                    let member = format!("{member}.attributes[{position}]");
                    let key =
                        FIELD_NAME.required(&format!("{member}.key"), attribute.key.as_deref())?;
                    let value = FIELD_VALUE.required(
                        &format!("{member}.stringValue"),
                        attribute.string_value.as_deref(),
                    )?;
                    Ok(ParameterAttribute::new(key, value))
                })
                .collect::<ServiceResult<Vec<_>>>()?;
            Ok(ParameterObject::new(id, attributes))
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    let parameter_values = values(parameter_values)?;
    Ok(Definition {
        objects,
        parameter_objects,
        parameter_values,
    })
}

/// Checks and converts a `parameterValues` member.
pub(super) fn values(
    values: Option<Vec<WireParameterValue>>,
) -> ServiceResult<Vec<ParameterValue>> {
    values
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let member = format!("parameterValues[{index}]");
            let id = FIELD_NAME.required(&format!("{member}.id"), value.id.as_deref())?;
            let text = FIELD_VALUE.required(
                &format!("{member}.stringValue"),
                value.string_value.as_deref(),
            )?;
            Ok(ParameterValue::new(id, text))
        })
        .collect()
}

/// A definition in the output form of GetPipelineDefinition.
pub(super) fn definition_json(definition: &Definition) -> Value {
    json!({
        "pipelineObjects": objects_json(&definition.objects),
        "parameterObjects": definition.parameter_objects.iter().map(|parameter| json!({
            "id": parameter.id,
            "attributes": parameter.attributes.iter().map(|attribute| json!({
                "key": attribute.key, "stringValue": attribute.value,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "parameterValues": definition.parameter_values.iter().map(|value| json!({
            "id": value.id, "stringValue": value.value,
        })).collect::<Vec<_>>(),
    })
}

/// A validation report in the output form of PutPipelineDefinition and
/// ValidatePipelineDefinition.
pub(super) fn report_json(report: &ValidationReport) -> Value {
    json!({
        "validationErrors": report.errors.iter().map(|object| json!({ "id": object.id, "errors": object.messages })).collect::<Vec<_>>(),
        "validationWarnings": report.warnings.iter().map(|object| json!({ "id": object.id, "warnings": object.messages })).collect::<Vec<_>>(),
        "errored": report.errored(),
    })
}
