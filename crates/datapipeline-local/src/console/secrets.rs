//! Keeping encrypted values out of everything the console answers.
//!
//! A `*` field or parameter (`*password`, `*myDbPassword`) is an ordinary
//! value to the service, but the console must never show it: not as the
//! field itself, and not where it was spliced in by an expression
//! (`#{*myDbPassword}` in a command), echoed in an error message or printed
//! by a command. So the console collects the pipeline's encrypted values
//! and replaces each of them wherever it appears in an answer, as the last
//! step before the answer is sent.

use serde_json::Value;

use crate::definition::{is_encrypted_key, Definition};
use crate::state::Pipeline;

/// What stands where an encrypted value was.
pub(crate) const MASK: &str = "(encrypted)";

/// The encrypted values of one pipeline.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    /// Longest first, so that a value containing another is masked whole.
    values: Vec<String>,
}

impl Secrets {
    /// Every encrypted value `pipeline` holds: `*` fields of its
    /// definitions and components, and the values and defaults of its
    /// `*` parameters.
    pub(crate) fn of(pipeline: &Pipeline) -> Self {
        let mut values = Vec::new();
        for definition in [&pipeline.latest, &pipeline.active].into_iter().flatten() {
            collect_definition(definition, &mut values);
        }
        for component in pipeline.run.components.values() {
            values.extend(
                component
                    .fields
                    .iter()
                    .filter(|field| is_encrypted_key(&field.key))
                    .map(|field| field.value.as_str().to_owned()),
            );
        }
        for (id, parameter_values) in &pipeline.run.parameters {
            if is_encrypted_key(id) {
                values.extend(parameter_values.iter().cloned());
            }
        }
        values.retain(|value| !value.is_empty());
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        Self { values }
    }

    /// `text` with every encrypted value replaced by [`MASK`].
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut masked = text.to_owned();
        for value in &self.values {
            if masked.contains(value.as_str()) {
                masked = masked.replace(value.as_str(), MASK);
            }
        }
        masked
    }

    /// `answer` with every string in it masked.
    pub(crate) fn masked(&self, mut answer: Value) -> Value {
        if !self.values.is_empty() {
            self.mask_in_place(&mut answer);
        }
        answer
    }

    fn mask_in_place(&self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.mask(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask_in_place(item)),
            Value::Object(members) => members
                .values_mut()
                .for_each(|member| self.mask_in_place(member)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

fn collect_definition(definition: &Definition, values: &mut Vec<String>) {
    for object in &definition.objects {
        values.extend(
            object
                .fields
                .iter()
                .filter(|field| is_encrypted_key(&field.key))
                .map(|field| field.value.as_str().to_owned()),
        );
    }
    for parameter in &definition.parameter_objects {
        if is_encrypted_key(&parameter.id) {
            values.extend(parameter.attributes_named("default").map(str::to_owned));
        }
    }
    values.extend(
        definition
            .parameter_values
            .iter()
            .filter(|value| is_encrypted_key(&value.id))
            .map(|value| value.value.clone()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let mut values: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Secrets { values }
    }

    #[test]
    fn values_are_masked_wherever_they_appear() {
        let secrets = secrets(&["hunter2", "hunter2-long"]);
        let answer = serde_json::json!({
            "fields": [{"key": "command", "value": "psql --password hunter2-long; echo hunter2"}],
            "count": 3,
        });
        let text = secrets.masked(answer).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("psql --password (encrypted); echo (encrypted)"),
            "{text}"
        );
    }

    #[test]
    fn nothing_to_mask_leaves_the_answer_alone() {
        let answer = serde_json::json!({"a": ["b"]});
        assert_eq!(Secrets::default().masked(answer.clone()), answer);
    }
}
