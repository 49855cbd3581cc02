//! The serde `Deserializer`s behind [`TaskContext::fields`](crate::TaskContext::fields).
//!
//! Three layers mirror the data: an object is a map from key to the list of
//! that key's values ([`ObjectDeserializer`]); the values of one key are a
//! sequence, or a scalar when there is exactly one ([`ValuesDeserializer`]);
//! one value is a string to parse, or a reference to follow
//! ([`ValueDeserializer`]).
mod value;
mod values;

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;
use taskrunner_api::{FieldValue, Task, TaskObject};

use super::error::FieldsError;
use values::ValuesDeserializer;

/// How many references deep typed field access follows into referenced
/// objects; bounds the work on reference cycles (`A.next = B, B.next = A`).
pub const MAX_REFERENCE_DEPTH: usize = 4;

/// Deserializes one object's fields as a map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObjectDeserializer<'de> {
    pub(crate) task: &'de Task,
    pub(crate) object: &'de TaskObject,
    /// How many references were followed to reach this object.
    pub(crate) depth: usize,
}

impl<'de> ObjectDeserializer<'de> {
    /// The object's fields grouped by key, keys in order of first appearance.
    ///
    /// An index by key keeps this linear: an object may carry thousands of
    /// distinct keys, and a search of the entries for each field made it
    /// quadratic (10,000 fields took seconds per `fields()` call).
    fn entries(&self) -> Vec<(&'de str, Vec<&'de FieldValue>)> {
        let mut entries: Vec<(&'de str, Vec<&'de FieldValue>)> = Vec::new();
        let mut positions: HashMap<&'de str, usize> = HashMap::new();
        for field in &self.object.fields {
            match positions.entry(field.key.as_str()) {
                Entry::Occupied(position) => {
                    if let Some((_, values)) = entries.get_mut(*position.get()) {
                        values.push(&field.value);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(entries.len());
                    entries.push((&field.key, vec![&field.value]));
                }
            }
        }
        entries
    }
}

impl<'de> Deserializer<'de> for ObjectDeserializer<'de> {
    type Error = FieldsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_map(ObjectAccess {
            task: self.task,
            depth: self.depth,
            entries: self.entries().into_iter(),
            pending: None,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// Walks an object's grouped fields for [`ObjectDeserializer`].
struct ObjectAccess<'de> {
    task: &'de Task,
    depth: usize,
    entries: std::vec::IntoIter<(&'de str, Vec<&'de FieldValue>)>,
    /// The entry whose key was just handed out and whose value is next.
    pending: Option<(&'de str, Vec<&'de FieldValue>)>,
}

impl<'de> MapAccess<'de> for ObjectAccess<'de> {
    type Error = FieldsError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FieldsError> {
        let Some((key, values)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, values));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, FieldsError> {
        let (key, values) = self
            .pending
            .take()
            .ok_or_else(|| FieldsError::Other("a value was requested before its key".into()))?;
        let values = ValuesDeserializer::new(self.task, values, self.depth);
        seed.deserialize(values).map_err(|error| error.within(key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
