//! Effective fields: what an object holds once inheritance is applied.
//!
//! Every object without its own `parent` inherits from the object with id
//! `Default`; an object with a `parent` reference inherits from that object,
//! which in turn inherits from its own parent or from `Default`. Keys replace
//! whole: when an object sets a key, none of the inherited values of that key
//! survive, so a repeated key (a list) is never mixed from two objects.
//!
//! Only a reference (`{"ref": "Id"}`) counts as a parent: a string `parent`
//! is a definition error that [`validate`](super::validate()) reports, and
//! here it is ignored, so the object falls back to `Default`.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{Field, PipelineObject};

use super::error::DefinitionError;

/// The id of the object every other object inherits from.
pub const DEFAULT_ID: &str = "Default";

/// Every object's effective fields, keyed by id.
///
/// Each object keeps its id, name and own fields (its `parent` field too);
/// inherited fields follow its own, nearest ancestor first. When ids repeat
/// (an error [`validate`](super::validate()) reports), the first object with
/// the id wins.
///
/// # Errors
/// [`DefinitionError::InheritanceCycle`] when `parent` references loop, and
/// [`DefinitionError::UnknownParent`] when one names no object.
pub fn effective_objects(
    objects: &[PipelineObject],
) -> Result<BTreeMap<String, PipelineObject>, DefinitionError> {
    let index = index_by_id(objects);
    let mut effective = BTreeMap::new();
    // Definition order, not the index's, so the error returned is always
    // the one of the first faulty object.
    for object in objects {
        if !effective.contains_key(&object.id) {
            effective.insert(object.id.clone(), effective_object(object, &index)?);
        }
    }
    Ok(effective)
}

/// The objects by id, the first of each id winning.
pub(crate) fn index_by_id(objects: &[PipelineObject]) -> HashMap<&str, &PipelineObject> {
    let mut index = HashMap::with_capacity(objects.len());
    for object in objects {
        index.entry(object.id.as_str()).or_insert(object);
    }
    index
}

/// The id `object` inherits from: its `parent` reference, else `Default`
/// (when there is one, and the object is not `Default` itself).
fn parent_of<'a>(
    object: &'a PipelineObject,
    index: &HashMap<&str, &PipelineObject>,
) -> Option<&'a str> {
    if let Some(parent) = object.values("parent").find_map(|value| value.as_ref_id()) {
        return Some(parent);
    }
    // A string `parent` is an error reported by validation; falling back to
    // `Default` lets the rest of the object still validate sensibly.
    (object.id != DEFAULT_ID && index.contains_key(DEFAULT_ID)).then_some(DEFAULT_ID)
}

/// One object's effective fields, given every object by id.
///
/// # Errors
/// As [`effective_objects`].
pub(crate) fn effective_object(
    object: &PipelineObject,
    index: &HashMap<&str, &PipelineObject>,
) -> Result<PipelineObject, DefinitionError> {
    let mut chain = vec![object.id.clone()];
    let mut fields: Vec<Field> = object.fields.clone();
    let mut seen_keys: HashSet<String> = object
        .fields
        .iter()
        .map(|field| field.key.clone())
        .collect();
    let mut current = object;
    while let Some(parent_id) = parent_of(current, index) {
        if chain.iter().any(|id| id == parent_id) {
            chain.push(parent_id.to_owned());
            return Err(DefinitionError::InheritanceCycle { chain });
        }
        let parent =
            index
                .get(parent_id)
                .copied()
                .ok_or_else(|| DefinitionError::UnknownParent {
                    id: current.id.clone(),
                    parent: parent_id.to_owned(),
                })?;
        chain.push(parent.id.clone());
        // Keys the nearer objects set hide every inherited value of the key;
        // the keys this ancestor adds hide the same keys of farther ones.
        let added: Vec<&Field> = parent
            .fields
            .iter()
            .filter(|field| !seen_keys.contains(&field.key))
            .collect();
        seen_keys.extend(added.iter().map(|field| field.key.clone()));
        fields.extend(added.into_iter().cloned());
        current = parent;
    }
    Ok(PipelineObject {
        id: object.id.clone(),
        name: object.name.clone(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{Field, FieldValue};

    use super::*;

    fn object(id: &str, fields: Vec<Field>) -> PipelineObject {
        PipelineObject {
            id: id.into(),
            name: id.into(),
            fields,
        }
    }

    fn strings<'a>(object: &'a PipelineObject, key: &'a str) -> Vec<&'a str> {
        object.values(key).map(FieldValue::as_str).collect()
    }

    #[test]
    fn objects_inherit_from_default_and_override_key_by_key() {
        let objects = [
            object(
                "Default",
                vec![
                    Field::string("workerGroup", "wg"),
                    Field::string("scriptArgument", "x"),
                    Field::string("scriptArgument", "y"),
                ],
            ),
            object(
                "A",
                vec![
                    Field::string("type", "ShellCommandActivity"),
                    Field::string("scriptArgument", "z"),
                ],
            ),
        ];
        let effective = effective_objects(&objects).unwrap();
        let a = &effective["A"];
        assert_eq!(a.field("workerGroup"), Some("wg"));
        assert_eq!(
            strings(a, "scriptArgument"),
            ["z"],
            "own values replace every inherited value"
        );
        assert_eq!(effective["Default"].fields, objects[0].fields);
    }

    #[test]
    fn parents_chain_and_the_nearest_wins() {
        let objects = [
            object(
                "Default",
                vec![Field::string("a", "default"), Field::string("b", "default")],
            ),
            object(
                "Base",
                vec![Field::string("a", "base"), Field::string("c", "base")],
            ),
            object(
                "Child",
                vec![
                    Field::reference("parent", "Base"),
                    Field::string("c", "child"),
                ],
            ),
        ];
        let effective = effective_objects(&objects).unwrap();
        let child = &effective["Child"];
        assert_eq!(child.field("a"), Some("base"));
        assert_eq!(child.field("b"), Some("default"));
        assert_eq!(child.field("c"), Some("child"));
        assert_eq!(
            child.values("parent").next(),
            Some(&FieldValue::Ref("Base".into()))
        );
    }

    #[test]
    fn cycles_are_reported_with_their_chain() {
        let objects = [
            object("A", vec![Field::reference("parent", "B")]),
            object("B", vec![Field::reference("parent", "A")]),
        ];
        let error = effective_objects(&objects).unwrap_err();
        let DefinitionError::InheritanceCycle { chain } = &error else {
            panic!("{error}")
        };
        assert_eq!(chain.first(), chain.last());
        assert_eq!(chain.len(), 3);
        let own = [object("Self", vec![Field::reference("parent", "Self")])];
        assert!(matches!(
            effective_objects(&own),
            Err(DefinitionError::InheritanceCycle { .. })
        ));
    }

    #[test]
    fn a_missing_parent_is_named() {
        let objects = [object("A", vec![Field::reference("parent", "Nowhere")])];
        let error = effective_objects(&objects).unwrap_err();
        assert_eq!(
            error,
            DefinitionError::UnknownParent {
                id: "A".into(),
                parent: "Nowhere".into()
            }
        );
    }

    #[test]
    fn without_default_objects_keep_their_own_fields() {
        let objects = [object("A", vec![Field::string("k", "v")])];
        assert_eq!(effective_objects(&objects).unwrap()["A"], objects[0]);
    }

    #[test]
    fn a_string_parent_falls_back_to_default() {
        let objects = [
            object("Default", vec![Field::string("k", "v")]),
            object("A", vec![Field::string("parent", "Default")]),
        ];
        assert_eq!(
            effective_objects(&objects).unwrap()["A"].field("k"),
            Some("v")
        );
    }
}
