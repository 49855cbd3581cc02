//! QueryObjects: selectors over one sphere, with `limit` and `marker`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{marker, page_members, pipeline_id};
use crate::error::{ServiceError, ServiceResult};
use crate::model::{FieldValue, PipelineObject};
use crate::protocol::shape::{check_count, missing, STRING};
use crate::state::State;

/// At most this many selectors per query.
const MAX_SELECTORS: usize = 10;
/// The page size when `limit` is absent.
const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Input {
    pipeline_id: Option<String>,
    query: Option<Query>,
    sphere: Option<String>,
    marker: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Query {
    selectors: Option<Vec<Selector>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Selector {
    field_name: Option<String>,
    operator: Option<Operator>,
}

#[derive(Debug, Deserialize)]
struct Operator {
    #[serde(rename = "type")]
    kind: Option<String>,
    values: Option<Vec<String>>,
}

/// A checked selector.
#[derive(Debug)]
struct Condition {
    field: String,
    kind: Kind,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Equal,
    ReferenceEqual,
    AtMost,
    AtLeast,
    Between,
}

pub(super) fn handle(state: &mut State, input: Input) -> ServiceResult<Value> {
    let id = pipeline_id(input.pipeline_id.as_deref())?;
    let sphere = STRING.required("sphere", input.sphere.as_deref())?;
    if !matches!(sphere, "COMPONENT" | "INSTANCE" | "ATTEMPT") {
        return Err(ServiceError::invalid(format!(
            "sphere: '{sphere}' is not one of COMPONENT, INSTANCE, ATTEMPT"
        )));
    }
    let conditions = conditions(input.query)?;
    let limit = match input.limit {
        None => DEFAULT_LIMIT,
        Some(limit) if limit > 0 => usize::try_from(limit).unwrap_or(usize::MAX),
        Some(limit) => {
            return Err(ServiceError::invalid(format!(
                "limit: must be positive, got {limit}"
            )))
        }
    };
    STRING.check_optional("marker", input.marker.as_deref())?;
    let start = marker(input.marker.as_deref())?;
    let pipeline = state.pipeline(id)?;
    let run = &pipeline.run;
    let candidates: Vec<PipelineObject> = match sphere {
        "INSTANCE" => run
            .instances
            .values()
            .map(|instance| instance.to_object(&pipeline.id))
            .collect(),
        "ATTEMPT" => run
            .attempts
            .values()
            .filter_map(|attempt| {
                run.instances
                    .get(&attempt.instance)
                    .map(|instance| attempt.to_object(instance, &pipeline.id))
            })
            .collect(),
        _ => {
            let ids: Vec<&String> = if run.components.is_empty() {
                pipeline
                    .latest
                    .iter()
                    .flat_map(|definition| definition.objects.iter().map(|object| &object.id))
                    .collect()
            } else {
                run.components.keys().collect()
            };
            ids.into_iter()
                .filter_map(|id| pipeline.object(id))
                .collect()
        }
    };
    let matching: Vec<&str> = candidates
        .iter()
        .filter(|object| conditions.iter().all(|condition| condition.matches(object)))
        .map(|object| object.id.as_str())
        .collect();
    let page: Vec<&str> = matching.iter().skip(start).take(limit).copied().collect();
    let (next, more) = page_members(start.saturating_add(page.len()), matching.len());
    let mut output = json!({ "ids": page, "hasMoreResults": more });
    if !next.is_null() {
        output["marker"] = next;
    }
    Ok(output)
}

fn conditions(query: Option<Query>) -> ServiceResult<Vec<Condition>> {
    let selectors = query.and_then(|query| query.selectors).unwrap_or_default();
    check_count("query.selectors", &selectors, MAX_SELECTORS)?;
    selectors
        .into_iter()
        .enumerate()
        .map(|(index, selector)| {
            let member = format!("query.selectors[{index}]");
            let field = STRING
                .required(
                    &format!("{member}.fieldName"),
                    selector.field_name.as_deref(),
                )?
                .to_owned();
            let operator = selector
                .operator
                .ok_or_else(|| missing(&format!("{member}.operator")))?;
            let kind_text =
                STRING.required(&format!("{member}.operator.type"), operator.kind.as_deref())?;
            let kind = match kind_text {
                "EQ" => Kind::Equal,
                "REF_EQ" => Kind::ReferenceEqual,
                "LE" => Kind::AtMost,
                "GE" => Kind::AtLeast,
                "BETWEEN" => Kind::Between,
                other => {
                    return Err(ServiceError::invalid(format!(
                    "{member}.operator.type: '{other}' is not one of EQ, REF_EQ, LE, GE, BETWEEN"
                )))
                }
            };
            let values = operator.values.unwrap_or_default();
            let needed = if kind == Kind::Between { 2 } else { 1 };
            if values.len() < needed {
                return Err(ServiceError::invalid(format!(
                    "{member}.operator.values: {kind_text} needs {needed} value(s), got {}",
                    values.len()
                )));
            }
            Ok(Condition {
                field,
                kind,
                values,
            })
        })
        .collect()
}

impl Condition {
    /// Whether any value of the field satisfies the condition. Times are in
    /// `YYYY-MM-DDTHH:MM:SS` form, so comparing text compares times.
    fn matches(&self, object: &PipelineObject) -> bool {
        let field = if self.field == "name" || self.field == "@id" {
            None
        } else {
            Some(self.field.as_str())
        };
        let texts: Vec<(&str, bool)> = match field {
            None => vec![(object.id.as_str(), false)],
            Some(key) => object
                .values(key)
                .map(|value| (value.as_str(), matches!(value, FieldValue::Ref(_))))
                .collect(),
        };
        texts.into_iter().any(|(text, is_ref)| match self.kind {
            Kind::Equal => self.values.iter().any(|value| value == text),
            Kind::ReferenceEqual => is_ref && self.values.iter().any(|value| value == text),
            Kind::AtMost => text <= self.values[0].as_str(),
            Kind::AtLeast => text >= self.values[0].as_str(),
            Kind::Between => self.values[0].as_str() <= text && text <= self.values[1].as_str(),
        })
    }
}
