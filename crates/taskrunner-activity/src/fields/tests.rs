use std::collections::BTreeMap;

use serde::Deserialize;
use taskrunner_api::{Field, Task, TaskObject};

use super::*;

const ATTEMPT: &str = "@Copy_2024-01-01T00:00:00_Attempt=1";

fn task(fields: Vec<Field>) -> Task {
    let mut attempt = TaskObject::new(ATTEMPT, "Copy");
    attempt.fields = fields;
    Task::new("opaque", "df-0123456789ABCDEFGHIJ", ATTEMPT).with_object(attempt)
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Params {
    command: String,
    #[serde(default)]
    script_argument: Vec<String>,
    my_retries: u32,
    my_ratio: Option<f64>,
    my_enabled: bool,
    #[serde(rename = "@scheduledStartTime")]
    scheduled_start: Option<String>,
}

#[test]
fn scalars_repeated_keys_and_parsing() {
    let task = task(vec![
        Field::string("type", "ShellCommandActivity"),
        Field::string("command", "echo"),
        Field::string("scriptArgument", "a"),
        Field::string("scriptArgument", "b"),
        Field::string("myRetries", " 3 "),
        Field::string("myEnabled", "TRUE"),
        Field::string("@scheduledStartTime", "2024-01-01T00:00:00"),
    ]);
    let params: Params = attempt_fields(&task).expect("fields fit");
    assert_eq!(
        params,
        Params {
            command: "echo".into(),
            script_argument: vec!["a".into(), "b".into()],
            my_retries: 3,
            my_ratio: None,
            my_enabled: true,
            scheduled_start: Some("2024-01-01T00:00:00".into()),
        }
    );
}

#[test]
fn single_value_into_vec_and_absent_vec_defaults() {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Args {
        script_argument: Vec<String>,
        #[serde(default)]
        stage: Vec<String>,
    }
    let task = task(vec![Field::string("scriptArgument", "only")]);
    let args: Args = attempt_fields(&task).expect("fields fit");
    assert_eq!(args.script_argument, ["only"]);
    assert!(args.stage.is_empty());
}

#[test]
fn missing_field_names_the_field() {
    let task = task(vec![Field::string("command", "echo")]);
    let error = attempt_fields::<Params>(&task).expect_err("myRetries is missing");
    assert_eq!(
        error,
        FieldsError::MissingField {
            field: "myRetries".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "missing field `myRetries`; add it to the pipeline object or make it optional"
    );
}

#[test]
fn bad_number_names_field_and_value() {
    let task = task(vec![
        Field::string("command", "echo"),
        Field::string("myRetries", "three"),
        Field::string("myEnabled", "true"),
    ]);
    let error = attempt_fields::<Params>(&task).expect_err("not a number");
    assert_eq!(
        error.to_string(),
        "field `myRetries`: \"three\" is not a non-negative integer in u32 range"
    );
}

#[test]
fn repeated_key_into_scalar_is_an_error() {
    #[derive(Debug, Deserialize)]
    struct One {
        #[allow(dead_code)]
        command: String,
    }
    let task = task(vec![
        Field::string("command", "a"),
        Field::string("command", "b"),
    ]);
    let error = attempt_fields::<One>(&task).expect_err("two values");
    assert!(
        error
            .to_string()
            .starts_with("field `command`: has 2 values"),
        "{error}"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Node {
    directory_path: String,
    schedule: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct WithRefs {
    input: Node,
    output: String,
    #[serde(default)]
    precondition: Vec<String>,
}

fn task_with_refs(carry_input: bool) -> Task {
    let task = task(vec![
        Field::reference("input", "InputNode"),
        Field::reference("output", "OutputNode"),
        Field::reference("precondition", "Ready1"),
        Field::reference("precondition", "Ready2"),
    ]);
    if !carry_input {
        return task;
    }
    task.with_object(
        TaskObject::new("InputNode", "InputNode")
            .with_field(Field::string("directoryPath", "/data/in"))
            .with_field(Field::reference("schedule", "Daily")),
    )
}

#[test]
fn references_become_objects_or_ids() {
    let fields: WithRefs = attempt_fields(&task_with_refs(true)).expect("fields fit");
    assert_eq!(
        fields,
        WithRefs {
            input: Node {
                directory_path: "/data/in".into(),
                schedule: Some("Daily".into()),
            },
            output: "OutputNode".into(),
            precondition: vec!["Ready1".into(), "Ready2".into()],
        }
    );
}

#[test]
fn reference_to_an_object_the_task_lacks() {
    let error = attempt_fields::<WithRefs>(&task_with_refs(false)).expect_err("not carried");
    assert_eq!(
        error.to_string(),
        "field `input`: refers to object \"InputNode\", which the task does not carry"
    );
}

#[test]
fn missing_field_inside_a_referenced_object_has_a_path() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        input: Strict2,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict2 {
        region: String,
    }
    let error = attempt_fields::<Strict>(&task_with_refs(true)).expect_err("no region");
    assert_eq!(
        error,
        FieldsError::MissingField {
            field: "input.region".into()
        }
    );
}

#[test]
fn string_where_an_object_is_expected() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wants {
        command: Node,
    }
    let task = task(vec![Field::string("command", "echo")]);
    let error = attempt_fields::<Wants>(&task).expect_err("a string");
    assert!(
        error.to_string().contains("is a string where a reference"),
        "{error}"
    );
}

#[test]
fn reference_cycles_stop_at_the_depth_limit() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Link {
        next: Box<Link>,
    }
    let task = Task::new("t", "df-1", "A")
        .with_object(TaskObject::new("A", "A").with_field(Field::reference("next", "B")))
        .with_object(TaskObject::new("B", "B").with_field(Field::reference("next", "A")));
    let error = attempt_fields::<Link>(&task).expect_err("cycle");
    let text = error.to_string();
    assert!(
        text.starts_with("field `next.next.next.next.next`:"),
        "{text}"
    );
    assert!(text.contains("nested more than 4"), "{text}");
}

#[test]
fn maps_enums_and_untyped_access() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
        Safe,
    }
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WithMode {
        my_mode: Mode,
    }
    let task = task(vec![
        Field::string("myMode", "safe"),
        Field::string("tag", "a"),
        Field::string("tag", "b"),
    ]);
    let with_mode: WithMode = attempt_fields(&task).expect("enum parses");
    assert_eq!(with_mode.my_mode, Mode::Safe);
    let all: BTreeMap<String, Vec<String>> = attempt_fields(&task).expect("map of lists");
    assert_eq!(all["tag"], ["a", "b"]);
    assert_eq!(all["myMode"], ["safe"]);

    let bad = task_with_mode("turbo");
    let error = attempt_fields::<WithMode>(&bad).expect_err("unknown variant");
    assert!(
        error
            .to_string()
            .starts_with("field `myMode`: unknown variant `turbo`"),
        "{error}"
    );
}

fn task_with_mode(mode: &str) -> Task {
    task(vec![Field::string("myMode", mode)])
}

#[test]
fn no_attempt_object() {
    let task = Task::new("t", "df-1", "@Missing");
    let error = attempt_fields::<BTreeMap<String, String>>(&task).expect_err("no attempt");
    assert_eq!(
        error.to_string(),
        "the task has no attempt object `@Missing`"
    );
}

#[test]
fn hostile_values_never_panic() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Any {
        a: Option<u8>,
        b: Option<char>,
        c: Option<bool>,
        d: Option<(u8, u8)>,
        e: Option<f32>,
    }
    let huge = "9".repeat(20_000);
    for value in ["", "-1", "\u{0}", "😀😀", huge.as_str(), "NaN", "1e999"] {
        let task = task(
            ["a", "b", "c", "d", "e"]
                .iter()
                .map(|key| Field::string(*key, value))
                .collect(),
        );
        if let Err(error) = attempt_fields::<Any>(&task) {
            assert!(error.to_string().len() < 300, "{error}");
        }
    }
}
