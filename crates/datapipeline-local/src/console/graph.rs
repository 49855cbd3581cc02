//! The definition as a graph: one node per object, one edge per reference
//! field, laid out top-down by [`super::layout`].
//!
//! Every reference field is an edge labelled with its key: `dependsOn`,
//! `input`, `output`, `precondition`, `runsOn`, `schedule`, and any other
//! (`parent`, `onFail`, `onSuccess`, `onLateAction`, `dataFormat`,
//! `database`, …). Edges point the way work flows, so the layout puts what
//! runs first at the top: from the referenced object to the one that
//! references it (a schedule, a precondition or an input comes before its
//! activity), except for [`DOWNSTREAM_FIELDS`], which name what comes after
//! the referencing object (its output, the actions taken when it ends).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::definition::ObjectKind;
use crate::model::{PipelineObject, Status};
use crate::state::Pipeline;

use super::layout::{layout, NODE_HEIGHT, NODE_WIDTH};

/// Reference fields that point to what comes after the referencing object.
const DOWNSTREAM_FIELDS: [&str; 4] = ["output", "onFail", "onSuccess", "onLateAction"];

/// One reference, drawn from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The object drawn upstream.
    pub(crate) from: usize,
    /// The object drawn downstream.
    pub(crate) to: usize,
    /// The field's key.
    pub(crate) label: String,
}

/// The objects a pipeline's graph shows: the active definition's, else
/// the latest put.
pub(crate) fn objects(pipeline: &Pipeline) -> &[PipelineObject] {
    pipeline
        .active
        .as_ref()
        .or(pipeline.latest.as_ref())
        .map_or(&[], |definition| definition.objects.as_slice())
}

/// Every reference field of `objects` that names one of them, one per
/// field value, in the order the objects and fields are written.
pub(crate) fn references(objects: &[PipelineObject]) -> Vec<Reference> {
    let index: HashMap<&str, usize> = objects
        .iter()
        .enumerate()
        .map(|(place, object)| (object.id.as_str(), place))
        .collect();
    let mut references = Vec::new();
    for (referencing, object) in objects.iter().enumerate() {
        for field in &object.fields {
            let Some(&referenced) = field.value.as_ref_id().and_then(|target| index.get(target))
            else {
                continue;
            };
            let (from, to) = if DOWNSTREAM_FIELDS.contains(&field.key.as_str()) {
                (referencing, referenced)
            } else {
                (referenced, referencing)
            };
            references.push(Reference {
                from,
                to,
                label: field.key.clone(),
            });
        }
    }
    references
}

/// The status of each component's latest instance (the one scheduled
/// last), with that instance's id.
pub(crate) fn latest_statuses(pipeline: &Pipeline) -> BTreeMap<&str, (&str, Status)> {
    let mut latest: BTreeMap<&str, (NaiveDateTime, &str, Status)> = BTreeMap::new();
    for instance in pipeline.run.instances.values() {
        let entry = latest.entry(instance.component.as_str()).or_insert((
            instance.scheduled_start,
            instance.id.as_str(),
            instance.status,
        ));
        if instance.scheduled_start > entry.0 {
            *entry = (
                instance.scheduled_start,
                instance.id.as_str(),
                instance.status,
            );
        }
    }
    latest
        .into_iter()
        .map(|(component, (_, id, status))| (component, (id, status)))
        .collect()
}

/// The graph of `pipeline`'s definition, laid out.
pub(crate) fn graph(pipeline: &Pipeline) -> Value {
    let objects = objects(pipeline);
    let references = references(objects);
    let edges: Vec<(usize, usize)> = references
        .iter()
        .map(|reference| (reference.from, reference.to))
        .collect();
    let drawn = layout(objects.len(), &edges);
    let statuses = latest_statuses(pipeline);
    let nodes: Vec<Value> = objects
        .iter()
        .zip(&drawn.nodes)
        .map(|(object, placement)| {
            let latest = statuses.get(object.id.as_str());
            let kind = ObjectKind::of_object(&object.id, object.type_name())
                .map(|kind| format!("{kind:?}"));
            json!({
                "id": object.id,
                "name": object.name,
                "type": object.type_name(),
                "kind": kind,
                "status": latest.map(|(_, status)| status.as_str()),
                "latestInstance": latest.map(|(id, _)| id),
                "layer": placement.layer,
                "x": placement.x,
                "y": placement.y,
            })
        })
        .collect();
    let edges: Vec<Value> = references
        .iter()
        .zip(&drawn.edges)
        .map(|(reference, points)| {
            json!({
                "from": objects[reference.from].id,
                "to": objects[reference.to].id,
                "label": reference.label,
                "points": points.iter().map(|(x, y)| [x, y]).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "pipeline": pipeline.id,
        "nodes": nodes,
        "edges": edges,
        "width": drawn.width,
        "height": drawn.height,
        "nodeWidth": NODE_WIDTH,
        "nodeHeight": NODE_HEIGHT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;

    fn object(id: &str, fields: Vec<Field>) -> PipelineObject {
        PipelineObject {
            id: id.into(),
            name: id.into(),
            fields,
        }
    }

    #[test]
    fn every_reference_is_an_edge_pointing_downstream() {
        let objects = [
            object("Schedule", vec![]),
            object("Out", vec![]),
            object(
                "Work",
                vec![
                    Field::reference("schedule", "Schedule"),
                    Field::reference("output", "Out"),
                    Field::reference("dependsOn", "Missing"),
                    Field::string("command", "Schedule"),
                ],
            ),
        ];
        let references = references(&objects);
        assert_eq!(
            references,
            [
                Reference {
                    from: 0,
                    to: 2,
                    label: "schedule".into()
                },
                Reference {
                    from: 2,
                    to: 1,
                    label: "output".into()
                },
            ]
        );
    }
}
