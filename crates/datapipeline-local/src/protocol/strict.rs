//! A JSON value as a deserializer that reads structures only from JSON
//! objects.
//!
//! serde's derived structs also accept a sequence of their members in
//! order, so `"tags": [["k", "v"]]` would read as a tag. AWS JSON carries
//! structures as objects only; this deserializer refuses anything else, at
//! every depth, naming what it got.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

/// A JSON value that deserializes structures from objects only.
#[derive(Debug)]
pub(crate) struct Strict(pub(crate) Value);

impl<'de> de::Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.into_iter())),
            Value::Object(members) => visitor.visit_map(Members {
                members: members.into_iter(),
                value: None,
            }),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(Strict(value)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(value) => de::Unexpected::Bool(*value),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(text) => de::Unexpected::Str(text),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members {
    members: <Map<String, Value> as IntoIterator>::IntoIter,
    /// The value of the key last handed out.
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Members {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value was asked for before its key"))?;
        seed.deserialize(Strict(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Tag {
        key: Option<String>,
        value: Option<String>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Input {
        tags: Option<Vec<Tag>>,
        limit: Option<i64>,
    }

    fn read(value: Value) -> Result<Input, String> {
        serde_path_to_error::deserialize(Strict(value))
            .map_err(|error| format!("{}: {}", error.path(), error.inner()))
    }

    #[test]
    fn structures_read_from_objects() {
        let input = read(
            serde_json::json!({"tags": [{"key": "k", "value": "v"}], "limit": 3, "other": [1]}),
        )
        .unwrap();
        assert_eq!(
            input.tags.unwrap(),
            [Tag {
                key: Some("k".into()),
                value: Some("v".into())
            }]
        );
        assert_eq!(input.limit, Some(3));
        assert_eq!(read(serde_json::json!({"tags": null})).unwrap().tags, None);
    }

    #[test]
    fn structures_do_not_read_from_arrays_or_scalars() {
        let error = read(serde_json::json!({"tags": [["k", "v"]]})).unwrap_err();
        assert!(
            error.starts_with("tags[0]: invalid type: sequence"),
            "{error}"
        );
        let error = read(serde_json::json!({"tags": ["k"]})).unwrap_err();
        assert!(
            error.starts_with("tags[0]: invalid type: string"),
            "{error}"
        );
        let error = read(serde_json::json!({"limit": 1.5})).unwrap_err();
        assert!(error.starts_with("limit:"), "{error}");
    }
}
