//! Pieces several operations share: pipeline ids, tags, objects, paging.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ServiceError, ServiceResult};
use crate::model::{Field, PipelineObject, WireField, WireObject};
use crate::protocol::shape::{check_count, ID, TAG_KEY, TAG_VALUE};
use crate::state::pipeline::Tag;

/// At most this many tags on a pipeline.
pub(super) const MAX_TAGS: usize = 10;

/// Checks the required `pipelineId` member.
pub(super) fn pipeline_id(value: Option<&str>) -> ServiceResult<&str> {
    ID.required("pipelineId", value)
}

/// A tag as it crosses the wire.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(super) struct WireTag {
    pub(super) key: Option<String>,
    pub(super) value: Option<String>,
}

/// Checks and converts the `tags` member.
pub(super) fn tags(tags: Vec<WireTag>) -> ServiceResult<Vec<Tag>> {
    check_count("tags", &tags, MAX_TAGS)?;
    tags.into_iter()
        .enumerate()
        .map(|(index, tag)| {
            let key = TAG_KEY
                .required(&format!("tags[{index}].key"), tag.key.as_deref())?
                .to_owned();
            let value = TAG_VALUE
                .required(&format!("tags[{index}].value"), tag.value.as_deref())?
                .to_owned();
            Ok(Tag { key, value })
        })
        .collect()
}

/// Tags in their wire form.
pub(super) fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|tag| serde_json::json!({ "key": tag.key, "value": tag.value }))
            .collect(),
    )
}

/// Objects in their wire form.
pub(super) fn objects_json<'a>(objects: impl IntoIterator<Item = &'a PipelineObject>) -> Value {
    Value::Array(
        objects
            .into_iter()
            .map(|object| serde_json::to_value(WireObject::from(object)).unwrap_or(Value::Null))
            .collect(),
    )
}

/// Reads a paging `marker`: the index to start from.
pub(super) fn marker(marker: Option<&str>) -> ServiceResult<usize> {
    match marker {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            ServiceError::invalid(format!(
                "marker: '{text}' is not a marker this service returned"
            ))
        }),
    }
}

/// The `marker` and `hasMoreResults` members after a page that ended at
/// `end` of `total`.
pub(super) fn page_members(end: usize, total: usize) -> (Value, bool) {
    if end < total {
        (Value::String(end.to_string()), true)
    } else {
        (Value::Null, false)
    }
}

/// Fields in their wire form.
pub(super) fn fields_json(fields: &[Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|field| serde_json::to_value(WireField::from(field)).unwrap_or(Value::Null))
            .collect(),
    )
}
