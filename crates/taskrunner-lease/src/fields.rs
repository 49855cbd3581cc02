//! Progress fields, cut to what ReportTaskProgress accepts.
//!
//! Handlers put arbitrary strings into their progress sink. The service
//! rejects a whole report (InvalidRequest) for one bad field, and a rejected
//! report cannot keep the lease alive, so the fields are made valid before
//! they are sent rather than trusted: keys are cut to 256 characters, string
//! values to 10,240, references to 256, and characters outside the model's
//! pattern (control characters other than tab, CR and LF; U+FFFE, U+FFFF)
//! are dropped. A field left with an empty key (or an empty reference) is
//! dropped.

use taskrunner_api::{is_allowed_char, Field, FieldValue};

/// Longest field key (`fieldNameString`).
const MAX_KEY_CHARS: usize = 256;
/// Longest string value (`fieldStringValue`).
const MAX_STRING_CHARS: usize = 10_240;
/// Longest reference value (`fieldNameString`).
const MAX_REFERENCE_CHARS: usize = 256;

/// Makes `fields` acceptable to ReportTaskProgress; see the module docs.
pub(crate) fn sanitize(fields: Vec<Field>) -> Vec<Field> {
    fields
        .into_iter()
        .filter_map(|field| {
            let key = clean(&field.key, MAX_KEY_CHARS);
            let value = match field.value {
                FieldValue::String(value) => FieldValue::String(clean(&value, MAX_STRING_CHARS)),
                FieldValue::Ref(target) => {
                    let target = clean(&target, MAX_REFERENCE_CHARS);
                    if target.is_empty() {
                        return None;
                    }
                    FieldValue::Ref(target)
                }
            };
            (!key.is_empty()).then_some(Field { key, value })
        })
        .collect()
}

/// `text` without disallowed characters, cut to `max_chars` characters.
fn clean(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|&c| is_allowed_char(c))
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_cut_and_cleaned() {
        let fields = vec![
            Field::string("percent\u{0}", "42\u{7}%\n"),
            Field::string("x".repeat(300), "y".repeat(20_000)),
            Field::string("\u{1}", "dropped: empty key"),
            Field::reference("input", "\u{FFFF}"),
            Field::reference("output", "OutputNode"),
        ];
        let cleaned = sanitize(fields);
        assert_eq!(cleaned.len(), 3);
        assert_eq!(cleaned[0], Field::string("percent", "42%\n"));
        assert_eq!(cleaned[1].key.chars().count(), 256);
        assert!(matches!(&cleaned[1].value, FieldValue::String(value) if value.len() == 10_240));
        assert_eq!(cleaned[2], Field::reference("output", "OutputNode"));
    }
}
