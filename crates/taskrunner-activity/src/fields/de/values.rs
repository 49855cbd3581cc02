//! [`ValuesDeserializer`]: every value of one key, as a sequence or, when
//! there is exactly one, as that value.

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use taskrunner_api::{FieldValue, Task};

use super::value::ValueDeserializer;
use crate::fields::FieldsError;

/// Deserializes every value of one key.
pub(super) struct ValuesDeserializer<'de> {
    task: &'de Task,
    values: Vec<&'de FieldValue>,
    depth: usize,
}

impl<'de> ValuesDeserializer<'de> {
    pub(super) fn new(task: &'de Task, values: Vec<&'de FieldValue>, depth: usize) -> Self {
        Self {
            task,
            values,
            depth,
        }
    }

    /// The one value, or an error saying there are several.
    fn single(self) -> Result<ValueDeserializer<'de>, FieldsError> {
        match self.values.as_slice() {
            [value] => Ok(ValueDeserializer::new(self.task, value, self.depth)),
            values => Err(FieldsError::Other(format!(
                "has {} values where one was expected; use a Vec for repeated fields",
                values.len()
            ))),
        }
    }

    pub(super) fn seq(self) -> ValueSeq<'de> {
        ValueSeq {
            task: self.task,
            depth: self.depth,
            values: self.values.into_iter(),
        }
    }
}

/// Forwards a `deserialize_*` method to the single value.
macro_rules! forward_to_single {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
            self.single()?.$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for ValuesDeserializer<'de> {
    type Error = FieldsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        if self.values.len() == 1 {
            self.single()?.deserialize_any(visitor)
        } else {
            visitor.visit_seq(self.seq())
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_seq(self.seq())
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_seq(self.seq())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_seq(self.seq())
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

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.single()?.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.single()?.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    forward_to_single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_map deserialize_identifier
    }
}

/// The values of one key as a sequence.
pub(super) struct ValueSeq<'de> {
    task: &'de Task,
    depth: usize,
    values: std::vec::IntoIter<&'de FieldValue>,
}

impl<'de> SeqAccess<'de> for ValueSeq<'de> {
    type Error = FieldsError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FieldsError> {
        let Some(value) = self.values.next() else {
            return Ok(None);
        };
        let value = ValueDeserializer::new(self.task, value, self.depth);
        seed.deserialize(value).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len())
    }
}
