//! [`ValueDeserializer`]: one field value, parsed into what is asked for.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{Deserializer, Visitor};
use taskrunner_api::{FieldValue, Task};

use super::values::ValuesDeserializer;
use super::{ObjectDeserializer, MAX_REFERENCE_DEPTH};
use crate::fields::{quote, FieldsError};

/// Deserializes one value: strings parse into what is asked for; a
/// reference is its object id, or the referenced object when a struct or
/// map is asked for.
pub(super) struct ValueDeserializer<'de> {
    task: &'de Task,
    value: &'de FieldValue,
    depth: usize,
}

impl<'de> ValueDeserializer<'de> {
    pub(super) fn new(task: &'de Task, value: &'de FieldValue, depth: usize) -> Self {
        Self { task, value, depth }
    }

    fn text(&self) -> &'de str {
        self.value.as_str()
    }

    /// The referenced object, for a struct or map.
    fn referenced(&self) -> Result<ObjectDeserializer<'de>, FieldsError> {
        let id = match self.value {
            FieldValue::Ref(id) => id,
            FieldValue::String(text) => {
                return Err(FieldsError::Other(format!(
                    "{} is a string where a reference to an object was expected",
                    quote(text)
                )))
            }
        };
        if self.depth >= MAX_REFERENCE_DEPTH {
            return Err(FieldsError::Other(format!(
                "reference to {} is nested more than {MAX_REFERENCE_DEPTH} objects deep",
                quote(id)
            )));
        }
        let object = self.task.object(id).ok_or_else(|| {
            FieldsError::Other(format!(
                "refers to object {}, which the task does not carry",
                quote(id)
            ))
        })?;
        Ok(ObjectDeserializer {
            task: self.task,
            object,
            depth: self.depth + 1,
        })
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, FieldsError> {
        self.text()
            .trim()
            .parse()
            .map_err(|_| FieldsError::Other(format!("{} is not {what}", quote(self.text()))))
    }
}

/// `deserialize_*` methods that parse the string into a number.
macro_rules! parse_number {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
            visitor.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = FieldsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_str(self.text())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        let text = self.text().trim();
        if text.eq_ignore_ascii_case("true") {
            visitor.visit_bool(true)
        } else if text.eq_ignore_ascii_case("false") {
            visitor.visit_bool(false)
        } else {
            Err(FieldsError::Other(format!(
                "{} is not a boolean (true or false)",
                quote(self.text())
            )))
        }
    }

    parse_number! {
        deserialize_i8 visit_i8 i8, "an integer in i8 range";
        deserialize_i16 visit_i16 i16, "an integer in i16 range";
        deserialize_i32 visit_i32 i32, "an integer in i32 range";
        deserialize_i64 visit_i64 i64, "an integer in i64 range";
        deserialize_i128 visit_i128 i128, "an integer in i128 range";
        deserialize_u8 visit_u8 u8, "a non-negative integer in u8 range";
        deserialize_u16 visit_u16 u16, "a non-negative integer in u16 range";
        deserialize_u32 visit_u32 u32, "a non-negative integer in u32 range";
        deserialize_u64 visit_u64 u64, "a non-negative integer in u64 range";
        deserialize_u128 visit_u128 u128, "a non-negative integer in u128 range";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        let mut chars = self.text().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(FieldsError::Other(format!(
                "{} is not a single character",
                quote(self.text())
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_str(self.text())
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_str(self.text())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_str(self.text())
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_bytes(self.text().as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_borrowed_bytes(self.text().as_bytes())
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        // A single value where a list is expected is a list of one.
        let values = ValuesDeserializer::new(self.task, vec![self.value], self.depth);
        visitor.visit_seq(values.seq())
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        self.referenced()?.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        self.referenced()?.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldsError> {
        visitor.visit_enum(BorrowedStrDeserializer::<FieldsError>::new(self.text()))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldsError> {
        visitor.visit_unit()
    }
}
