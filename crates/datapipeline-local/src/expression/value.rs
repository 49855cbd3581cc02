//! The values expressions compute with.
//!
//! Fields and parameters are text, so a lookup yields a [`Value::String`];
//! functions and operators convert text where they need another type: a
//! string in the `YYYY-MM-DDTHH:MM:SS` form is a date time, one that parses
//! as a number is a number.

use std::fmt;

use chrono::NaiveDateTime;

/// The form date times take in fields and results.
const DATE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// A value an expression computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    String(String),
    /// A 64-bit integer.
    Integer(i64),
    /// A floating-point number.
    Decimal(f64),
    /// A date time in UTC.
    DateTime(NaiveDateTime),
}

/// A number, after conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// An integer.
    Integer(i64),
    /// A decimal.
    Decimal(f64),
}

impl Value {
    /// The value as a date time: a date time, or a string of the form
    /// `YYYY-MM-DDTHH:MM:SS` (a trailing `Z` allowed).
    pub fn as_date_time(&self) -> Option<NaiveDateTime> {
        match self {
            Self::DateTime(time) => Some(*time),
            Self::String(text) => parse_date_time(text),
            Self::Integer(_) | Self::Decimal(_) => None,
        }
    }

    /// The value as an integer: an integer, or a string holding one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Self::Integer(value) => Some(*value),
            Self::String(text) => text.trim().parse().ok(),
            Self::Decimal(_) | Self::DateTime(_) => None,
        }
    }

    /// The value as a number: a number, or a string holding one.
    pub(crate) fn as_number(&self) -> Option<Number> {
        match self {
            Self::Integer(value) => Some(Number::Integer(*value)),
            Self::Decimal(value) => Some(Number::Decimal(*value)),
            Self::String(text) => {
                let text = text.trim();
                match text.parse() {
                    Ok(integer) => Some(Number::Integer(integer)),
                    // Only plain decimals: Rust would also read "inf" and "NaN".
                    Err(_)
                        if text
                            .bytes()
                            .all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte)) =>
                    {
                        text.parse()
                            .ok()
                            .filter(|value: &f64| value.is_finite())
                            .map(Number::Decimal)
                    }
                    Err(_) => None,
                }
            }
            Self::DateTime(_) => None,
        }
    }

    /// Whether the value is a number, not text that could be one.
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Self::Integer(_) | Self::Decimal(_))
    }

    /// The value's type and, shortened, the value, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::String(text) => {
                let mut shown: String = text.chars().take(40).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                format!("string '{shown}'")
            }
            Self::Integer(value) => format!("integer {value}"),
            Self::Decimal(value) => format!("decimal {value}"),
            Self::DateTime(time) => format!("date time {}", time.format(DATE_TIME_FORMAT)),
        }
    }
}

impl From<Number> for Value {
    fn from(number: Number) -> Self {
        match number {
            Number::Integer(value) => Self::Integer(value),
            Number::Decimal(value) => Self::Decimal(value),
        }
    }
}

impl fmt::Display for Value {
    /// The text a template substitutes: strings as they are, date times as
    /// `YYYY-MM-DDTHH:MM:SS`, whole decimals with a `.0` as Java prints them.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(text) => formatter.write_str(text),
            Self::Integer(value) => write!(formatter, "{value}"),
            Self::Decimal(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
                write!(formatter, "{value:.1}")
            }
            Self::Decimal(value) => write!(formatter, "{value}"),
            Self::DateTime(time) => write!(formatter, "{}", time.format(DATE_TIME_FORMAT)),
        }
    }
}

/// Parses a date time of the form `YYYY-MM-DDTHH:MM:SS`, with an optional
/// trailing `Z` (AWS documentation writes one).
pub(crate) fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    NaiveDateTime::parse_from_str(text, DATE_TIME_FORMAT).ok()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn date_times_convert_from_text_and_render_back() {
        let time = NaiveDate::from_ymd_opt(2011, 5, 24)
            .unwrap()
            .and_hms_opt(17, 10, 0)
            .unwrap();
        assert_eq!(
            Value::String("2011-05-24T17:10:00".into()).as_date_time(),
            Some(time)
        );
        assert_eq!(parse_date_time("2011-05-24T17:10:00z"), Some(time));
        assert_eq!(parse_date_time("2011-05-24 17:10:00"), None);
        assert_eq!(Value::DateTime(time).to_string(), "2011-05-24T17:10:00");
        assert_eq!(Value::Integer(3).as_date_time(), None);
    }

    #[test]
    fn numbers_convert_from_text_but_not_from_words() {
        assert_eq!(
            Value::String(" 42 ".into()).as_number(),
            Some(Number::Integer(42))
        );
        assert_eq!(
            Value::String("1.5".into()).as_number(),
            Some(Number::Decimal(1.5))
        );
        assert_eq!(Value::String("inf".into()).as_number(), None);
        assert_eq!(Value::String("1e999".into()).as_number(), None);
        assert_eq!(Value::String("abc".into()).as_integer(), None);
    }

    #[test]
    fn values_render_as_templates_substitute_them() {
        assert_eq!(Value::Decimal(2.0).to_string(), "2.0");
        assert_eq!(Value::Decimal(0.25).to_string(), "0.25");
        assert_eq!(Value::Integer(-7).to_string(), "-7");
        assert_eq!(Value::String("x".into()).to_string(), "x");
        assert_eq!(Value::String("é".repeat(50)).describe().chars().count(), 50);
    }
}
