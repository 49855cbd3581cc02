//! Encrypted values kept out of what `taskrunner` prints and logs.
//!
//! A field whose key starts with `*` and a parameter whose id starts with
//! `*` hold values AWS encrypts and never shows (dp-pipeline-characters.md,
//! dp-custom-templates.md). The activity still gets them (a command that
//! uses `#{*myPassword}` runs with the value), but the local view, the
//! final table and every log line `taskrunner` writes show `********` in
//! their place: [`register`] records the values once the definition is
//! read, and [`mask`] and [`MaskingWriter`] apply them.
//!
//! What a command itself writes to its own stdout and stderr files is its
//! business and is left alone.
//!
//! In run mode there is no definition: the `*` fields of each task are
//! registered as the task starts (see [`encrypted_task_fields`]), so lines
//! logged before that (the SDK's own trace of the poll) are not masked.

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

use datapipeline_local::definition::Definition;
use datapipeline_local::model::FieldValue;

/// What a secret value is shown as.
pub(crate) const MASK: &str = "********";

/// The values to mask, longest first so that a value containing another is
/// masked whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The encrypted values of `definition`: the literal values of its
/// `*`-prefixed fields, and the values and defaults of its `*`-prefixed
/// parameters. A field value holding an expression is left out: what it
/// yields comes from a parameter or field that is itself masked.
pub(crate) fn encrypted_values(definition: &Definition) -> Vec<String> {
    let fields = definition
        .objects
        .iter()
        .flat_map(|object| &object.fields)
        .filter(|field| field.key.starts_with('*'))
        .filter_map(|field| match &field.value {
            FieldValue::String(value) if !value.contains("#{") => Some(value.clone()),
            _ => None,
        });
    let values = definition
        .parameter_values
        .iter()
        .filter(|value| value.id.starts_with('*'))
        .map(|value| value.value.clone());
    let defaults = definition
        .parameter_objects
        .iter()
        .filter(|parameter| parameter.id.starts_with('*'))
        .flat_map(|parameter| parameter.attributes_named("default").map(str::to_owned));
    fields
        .chain(values)
        .chain(defaults)
        .filter(|value| !value.is_empty())
        .collect()
}

/// The values of the `*`-prefixed fields of a task's objects.
pub(crate) fn encrypted_task_fields(task: &taskrunner::task::Task) -> Vec<String> {
    task.objects
        .iter()
        .flat_map(|object| &object.fields)
        .filter(|field| field.key.starts_with('*'))
        .filter_map(|field| match &field.value {
            taskrunner::task::FieldValue::String(value) if !value.is_empty() => Some(value.clone()),
            _ => None,
        })
        .collect()
}

/// Adds `values` to the values masked from now on.
pub(crate) fn register(values: impl IntoIterator<Item = String>) {
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.extend(values);
    secrets.sort_by_key(|value| std::cmp::Reverse(value.len()));
    secrets.dedup();
}

/// `text` with every registered secret replaced by [`MASK`].
pub(crate) fn mask(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut masked = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if masked.contains(secret.as_str()) {
            masked = Cow::Owned(masked.replace(secret.as_str(), MASK));
        }
    }
    masked
}

/// A log writer that masks secrets. The log formatters write each event
/// with one call, so a secret is never split between two writes.
#[derive(Debug)]
pub(crate) struct MaskingWriter<W>(pub(crate) W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buffer);
        match mask(&text) {
            Cow::Borrowed(_) => self.0.write_all(buffer)?,
            Cow::Owned(masked) => self.0.write_all(masked.as_bytes())?,
        }
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datapipeline_local::definition::parse_definition_file;

    #[test]
    fn encrypted_fields_and_parameters_are_masked() {
        let definition = parse_definition_file(
            r##"{"objects": [{"id": "Db", "*password": "field-secret", "*myToken": "#{*myKey}", "user": "plain"}],
                "parameters": [{"id": "*myKey", "default": "default-secret"}],
                "values": {"*myKey": "value-secret", "myOpen": "open"}}"##,
        )
        .unwrap();
        let values = encrypted_values(&definition);
        assert_eq!(values.len(), 3, "{values:?}");
        register(values);
        let masked = mask("field-secret value-secret default-secret plain open #{*myKey}");
        assert_eq!(masked, "******** ******** ******** plain open #{*myKey}");
        let mut written = Vec::new();
        MaskingWriter(&mut written)
            .write_all(b"user=plain token=value-secret\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "user=plain token=********\n"
        );
    }
}
