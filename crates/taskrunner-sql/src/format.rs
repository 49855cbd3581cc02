//! [`DataFormat`]: how the records of an S3 data node's files are laid out.
//!
//! - `CSV`: `,` between fields, `\n` after each record (a trailing `\r` is
//!   dropped), `escapeChar` (default `\`) makes the next character literal,
//!   and a field may also be double-quoted (`""` inside for one `"`).
//! - `TSV`: `columnSeparator` (default tab), `recordSeparator` (default
//!   `\n`), `escapeChar` (default `\`); no quoting.
//! - `Custom`: `columnSeparator` (required), `recordSeparator` (default
//!   `\n`); no escaping, no quoting.
//!
//! An empty, unquoted field is SQL `NULL`, and `NULL` is written so; a
//! quoted empty CSV field (`""`) is the empty string.

use crate::error::FieldError;
use crate::object::Object;

/// The layout of the records in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFormat {
    /// Between fields.
    pub column_separator: u8,
    /// After each record.
    pub record_separator: u8,
    /// Makes the next byte literal, if any.
    pub escape: Option<u8>,
    /// Whether a field may be double-quoted (CSV only).
    pub quotes: bool,
    /// The `column` names, when given: then every record must have this many
    /// fields, and they name the table's columns on a copy into SQL.
    pub columns: Vec<String>,
}

impl Default for DataFormat {
    /// CSV with no declared columns: what a data node without `dataFormat` holds.
    fn default() -> Self {
        Self {
            column_separator: b',',
            record_separator: b'\n',
            escape: Some(b'\\'),
            quotes: true,
            columns: Vec::new(),
        }
    }
}

impl DataFormat {
    /// The format an object of type `CSV`, `TSV` or `Custom` describes.
    ///
    /// # Errors
    ///
    /// [`FieldError::Invalid`] for another type or a separator that is not
    /// one ASCII character (`\t` and `\n` written out are accepted).
    pub fn from_object(object: &Object) -> Result<Self, FieldError> {
        let byte = |field: &str, default: Option<u8>| -> Result<Option<u8>, FieldError> {
            match object.field(field) {
                Some(value) => one_byte(value).map(Some).ok_or_else(|| {
                    FieldError::invalid(
                        &object.id,
                        field,
                        format!("`{value}` is not a single ASCII character"),
                    )
                }),
                None => Ok(default),
            }
        };
        let columns = object
            .values("column")
            .flat_map(|value| value.split(','))
            .filter_map(|column| column.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        let format = match object.object_type() {
            "CSV" => Self {
                escape: byte("escapeChar", Some(b'\\'))?,
                columns,
                ..Self::default()
            },
            "TSV" => Self {
                column_separator: byte("columnSeparator", Some(b'\t'))?.unwrap_or(b'\t'),
                record_separator: byte("recordSeparator", Some(b'\n'))?.unwrap_or(b'\n'),
                escape: byte("escapeChar", Some(b'\\'))?,
                quotes: false,
                columns,
            },
            "Custom" => Self {
                column_separator: byte("columnSeparator", None)?.ok_or_else(|| FieldError::Missing {
                    object: object.id.clone(),
                    field: "columnSeparator".to_owned(),
                })?,
                record_separator: byte("recordSeparator", Some(b'\n'))?.unwrap_or(b'\n'),
                escape: None,
                quotes: false,
                columns,
            },
            other => {
                return Err(FieldError::invalid(
                    &object.id,
                    "type",
                    format!("data format `{other}` is not supported by this runner's CopyActivity (CSV, TSV and Custom are)"),
                ))
            }
        };
        if format.column_separator == format.record_separator {
            return Err(FieldError::invalid(
                &object.id,
                "columnSeparator",
                "the column and record separators are the same",
            ));
        }
        Ok(format)
    }
}

/// `value` as one ASCII byte; `\t`, `\n`, `\\` and `\|`-style escapes too.
fn one_byte(value: &str) -> Option<u8> {
    let byte = match value.as_bytes() {
        [byte] => *byte,
        [b'\\', b't'] => b'\t',
        [b'\\', b'n'] => b'\n',
        [b'\\', b'r'] => b'\r',
        [b'\\', byte] => *byte,
        _ => return None,
    };
    byte.is_ascii().then_some(byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_formats() {
        let csv = Object::new("F")
            .with("type", "CSV")
            .with("column", "Name STRING")
            .with("column", "Score INT");
        let format = DataFormat::from_object(&csv).expect("csv");
        assert_eq!(format.columns, vec!["Name", "Score"]);
        assert!(format.quotes);
        let tsv = Object::new("F")
            .with("type", "TSV")
            .with("column", "a INT,b STRING");
        let format = DataFormat::from_object(&tsv).expect("tsv");
        assert_eq!((format.column_separator, format.columns.len()), (b'\t', 2));
        let custom = Object::new("F")
            .with("type", "Custom")
            .with("columnSeparator", "|");
        assert_eq!(
            DataFormat::from_object(&custom)
                .expect("custom")
                .column_separator,
            b'|'
        );
        let bad = Object::new("F")
            .with("type", "Custom")
            .with("columnSeparator", "||");
        assert!(DataFormat::from_object(&bad).is_err());
        let missing = Object::new("F").with("type", "Custom");
        assert!(DataFormat::from_object(&missing).is_err());
        assert!(DataFormat::from_object(&Object::new("F").with("type", "RegEx")).is_err());
    }
}
