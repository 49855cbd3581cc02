//! Fuzzing the definition-file parser and validation: arbitrary text,
//! arbitrary JSON, and structure-aware mutations of every file in
//! `examples/pipelines/`, through parse → validate → inheritance →
//! parameters → the file format and back.
//!
//! The property: no panic; a refused file gets an error that says where
//! (a member, an item index or an id); validation messages are filed under
//! an id of the definition and say something; what parses writes back to a
//! file that parses to the same definition.
//!
//! CI runs a few thousand cases; the long form is
//! `FUZZ_CASES=500000 cargo test --release -p datapipeline-local --test fuzz fuzz_definition`
//! (see docs/FUZZING.md).

use crate::fuzz_support;

use std::collections::BTreeSet;
use std::path::Path;

use datapipeline_local::definition::{
    effective_objects, parameter_table, parse_definition_file, parse_parameter_values,
    to_definition_file, validate, Definition, DefinitionFileError,
};
use fuzz_support::{byte_damage, cases, config, damage, json_value, mutate, mutation, nasty_text};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::Value;

/// The member names of the file format and the common fields, so that
/// mutations produce definitions the validator has something to say about.
const MEMBERS: &[&str] = &[
    "objects",
    "parameters",
    "values",
    "id",
    "name",
    "type",
    "ref",
    "parent",
    "schedule",
    "scheduleType",
    "workerGroup",
    "command",
    "dependsOn",
    "precondition",
    "period",
    "startDateTime",
    "endDateTime",
    "occurrences",
    "maximumRetries",
    "retryDelay",
    "attemptTimeout",
    "reportProgressTimeout",
    "preconditionTimeout",
    "failureAndRerunMode",
    "scriptArgument",
    "input",
    "output",
    "stage",
    "default",
    "optional",
    "isArray",
    "allowedValues",
    "watermark",
    "myGreeting",
    "myList",
    "Default",
    "runsOn",
    "stdout",
];

/// The example definitions, as JSON.
fn examples() -> Vec<(String, Value)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pipelines");
    let mut examples: Vec<(String, Value)> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("an example is readable");
            let value = serde_json::from_str(&text).expect("an example is JSON");
            (path.display().to_string(), value)
        })
        .collect();
    examples.sort_by(|left, right| left.0.cmp(&right.0));
    assert!(examples.len() >= 4, "the examples are found: {examples:?}");
    examples
}

/// The ids a validation message may be filed under.
fn known_ids(definition: &Definition) -> BTreeSet<&str> {
    definition
        .objects
        .iter()
        .map(|object| object.id.as_str())
        .chain(
            definition
                .parameter_objects
                .iter()
                .map(|parameter| parameter.id.as_str()),
        )
        .chain(
            definition
                .parameter_values
                .iter()
                .map(|value| value.id.as_str()),
        )
        .collect()
}

/// Runs the whole chain on one text and checks the property.
fn check(text: &str) -> Result<(), TestCaseError> {
    let definition = match parse_definition_file(text) {
        Ok(definition) => definition,
        Err(error) => return check_file_error(&error),
    };
    let report = validate(&definition);
    let ids = known_ids(&definition);
    for messages in report.errors.iter().chain(&report.warnings) {
        prop_assert!(
            ids.contains(messages.id.as_str()),
            "a message filed under '{}', which is no id of the definition: {:?}",
            messages.id,
            messages.messages
        );
        for message in &messages.messages {
            prop_assert!(
                !message.is_empty(),
                "an empty message about '{}'",
                messages.id
            );
        }
    }
    if let Err(error) = effective_objects(&definition.objects) {
        prop_assert!(!error.to_string().is_empty());
    }
    if let Err(error) = parameter_table(&definition, None) {
        prop_assert!(!error.to_string().is_empty());
    }
    // What parsed writes back to a file that reads the same.
    let written = to_definition_file(&definition).to_string();
    let reread = parse_definition_file(&written)
        .map_err(|error| TestCaseError::fail(format!("the written file is refused: {error}")))?;
    prop_assert_eq!(&reread, &definition, "the file format does not round-trip");
    Ok(())
}

/// A file error says where: the JSON position, a member, an index or an id.
fn check_file_error(error: &DefinitionFileError) -> Result<(), TestCaseError> {
    let message = error.to_string();
    let located = match error {
        DefinitionFileError::Json { message } => message.contains("line"),
        DefinitionFileError::NotAnObject { .. } | DefinitionFileError::MissingObjects => {
            message.contains("objects")
        }
        DefinitionFileError::WrongMemberType { member, .. } => message.contains(member),
        DefinitionFileError::ItemNotAnObject { member, index, .. }
        | DefinitionFileError::MissingId { member, index } => {
            message.contains(&format!("{member}[{index}]"))
        }
        DefinitionFileError::InvalidField { id, key, .. } => {
            message.contains(id.as_str()) && message.contains(key.as_str())
        }
        DefinitionFileError::InvalidValue { id, .. } => message.contains(id.as_str()),
        _ => !message.is_empty(),
    };
    prop_assert!(located, "the error does not say where: {message}");
    Ok(())
}

/// One case: a mutated example, arbitrary JSON or arbitrary text.
#[derive(Debug, Clone)]
enum Case {
    Example(usize, Vec<fuzz_support::Mutation>, fuzz_support::ByteDamage),
    Json(Value),
    Text(String),
}

fn case(examples: usize) -> impl Strategy<Value = Case> {
    prop_oneof![
        6 => (0..examples, proptest::collection::vec(mutation(MEMBERS), 1..5), byte_damage())
            .prop_map(|(index, mutations, damage)| Case::Example(index, mutations, damage)),
        2 => json_value(MEMBERS).prop_map(Case::Json),
        1 => nasty_text().prop_map(Case::Text),
    ]
}

#[test]
fn the_examples_parse_and_validate_cleanly() {
    for (path, example) in examples() {
        let definition = parse_definition_file(&example.to_string())
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        let report = validate(&definition);
        assert!(!report.errored(), "{path}: {report:?}");
        check(&example.to_string()).unwrap_or_else(|error| panic!("{path}: {error}"));
    }
}

#[test]
fn parsing_and_validating_never_panic_and_errors_say_where() {
    let examples = examples();
    let mut runner = TestRunner::new(config(cases(2_000)));
    let result = runner.run(&case(examples.len()), |case| {
        let text = match case {
            Case::Example(index, mutations, byte_damage) => {
                let document = mutate(examples[index].1.clone(), &mutations);
                let bytes = damage(document.to_string().into_bytes(), &byte_damage);
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Case::Json(value) => value.to_string(),
            Case::Text(text) => text,
        };
        check(&text)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn parameter_arguments_never_panic() {
    let mut runner = TestRunner::new(config(cases(2_000)));
    let arguments = proptest::collection::vec(nasty_text(), 0..6);
    let result = runner.run(&arguments, |arguments| {
        match parse_parameter_values(&arguments) {
            Ok(values) => prop_assert!(values.len() <= arguments.len()),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
