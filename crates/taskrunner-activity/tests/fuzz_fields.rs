//! Fuzzing task objects → `TaskContext` → typed fields: arbitrary pipeline
//! objects (huge values, 10,000 fields, repeated keys, references to
//! missing objects and reference cycles, non-ASCII and empty keys, hostile
//! pipeline ids) are turned into a context and read with
//! `ctx.fields::<T>()` for a few typical structs.
//!
//! The property: no panic; every error names the field it is about (a
//! missing or invalid field's dotted path is one the requested type
//! declares); the scratch directory stays a direct child of its root
//! whatever the pipeline id.
//!
//! CI runs a few thousand cases; the long form is
//! `FUZZ_CASES=1000000 cargo test --release -p taskrunner-activity --test fuzz fuzz_fields`
//! (see docs/FUZZING.md).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestCaseError, TestRunner};
use serde::Deserialize;
use taskrunner_activity::{FieldsError, TaskContext};
use taskrunner_api::{Field, Task, TaskObject};

/// The number of cases: `FUZZ_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

const ATTEMPT: &str = "@Copy_2024-01-01T00:00:00_Attempt=1";

/// Keys the typical structs read, and a few they do not.
const KEYS: &[&str] = &[
    "type",
    "command",
    "scriptArgument",
    "stage",
    "maximumRetries",
    "myRatio",
    "myEnabled",
    "myCount",
    "@scheduledStartTime",
    "input",
    "output",
    "schedule",
    "directoryPath",
    "period",
    "parent",
    "runsOn",
    "workerGroup",
    "",
    "é",
    "ключ",
    "@",
    "myNested",
];

/// Object ids: the attempt, objects the task may or may not carry.
const IDS: &[&str] = &[ATTEMPT, "Input", "Output", "Daily", "Missing", "", "é"];

/// A shell activity's fields, as a typical activity declares them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Shell {
    command: Option<String>,
    #[serde(default)]
    script_argument: Vec<String>,
    stage: Option<bool>,
    maximum_retries: Option<u32>,
    #[serde(rename = "@scheduledStartTime")]
    scheduled_start: Option<String>,
    input: Option<DataNode>,
    output: Option<String>,
}

/// A data node reached through a reference.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct DataNode {
    directory_path: Option<String>,
    schedule: Option<Schedule>,
    parent: Option<Box<DataNode>>,
}

/// A schedule reached through two references.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Schedule {
    period: String,
}

/// Required fields of every kind, and no unknown ones.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    command: String,
    my_count: u64,
    my_ratio: f64,
    my_enabled: bool,
    script_argument: (String, String),
}

/// The field paths the structs declare: an error must name one of them.
const DECLARED: &[&str] = &[
    "command",
    "scriptArgument",
    "stage",
    "maximumRetries",
    "@scheduledStartTime",
    "input",
    "output",
    "directoryPath",
    "schedule",
    "parent",
    "period",
    "myCount",
    "myRatio",
    "myEnabled",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,16}",
        2 => proptest::sample::select(&["3", "-1", "1e400", "NaN", "true", "TRUE", "yes", " 7 ", "18446744073709551616", ""][..]).prop_map(str::to_owned),
        1 => (0_usize..200_000).prop_map(|length| "v".repeat(length)).no_shrink(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
        1 => (0_usize..1_000).prop_map(|length| "k".repeat(length)).no_shrink(),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        3 => (key(), value()).prop_map(|(key, value)| Field::string(key, value)),
        1 => (key(), proptest::sample::select(IDS)).prop_map(|(key, id)| Field::reference(key, id)),
    ]
}

/// An object's fields: usually a handful, sometimes 10,000 (one field
/// repeated or many distinct keys).
fn fields() -> impl Strategy<Value = Vec<Field>> {
    prop_oneof![
        8 => proptest::collection::vec(field(), 0..24),
        1 => field().prop_map(|field| vec![field; 10_000]).no_shrink(),
        1 => Just((0..10_000).map(|index| Field::string(format!("myField{index}"), "v")).collect()).no_shrink(),
    ]
}

fn task() -> impl Strategy<Value = Task> {
    let pipeline_id = prop_oneof![
        3 => Just("df-0123456789ABCDEFGHIJ".to_owned()),
        1 => proptest::sample::select(&["", "..", "../../etc", "/", "a/b", "\0", "é", "."][..]).prop_map(str::to_owned),
        1 => "\\PC{0,300}",
    ];
    let objects = proptest::collection::vec((proptest::sample::select(IDS), fields()), 0..4);
    (pipeline_id, any::<bool>(), fields(), objects).prop_map(
        |(pipeline_id, with_attempt, attempt_fields, others)| {
            let mut task = Task::new("opaque-task-id", pipeline_id, ATTEMPT);
            if with_attempt {
                let mut attempt = TaskObject::new(ATTEMPT, "Copy");
                attempt.fields = attempt_fields;
                task = task.with_object(attempt);
            }
            for (id, fields) in others {
                let mut object = TaskObject::new(id, id);
                object.fields = fields;
                task = task.with_object(object);
            }
            task
        },
    )
}

/// The error names the field it is about, which for a struct is one it
/// declares (for a map, any key is declared); or it is about the task
/// itself.
fn check_error(error: &FieldsError, is_struct: bool) -> Result<(), TestCaseError> {
    let message = error.to_string();
    prop_assert!(!message.is_empty());
    let field = match error {
        FieldsError::MissingField { field } | FieldsError::InvalidValue { field, .. } => field,
        FieldsError::NoAttemptObject { attempt_id } => {
            prop_assert_eq!(attempt_id.as_str(), ATTEMPT);
            return Ok(());
        }
        _ => return Ok(()),
    };
    prop_assert!(message.contains(field.as_str()), "{message}");
    let last = field.rsplit('.').next().unwrap_or_default();
    // A struct with deny_unknown_fields names the unknown key instead.
    let unknown = message.contains("unknown field");
    prop_assert!(
        !is_struct || unknown || DECLARED.contains(&last) || last.parse::<usize>().is_ok(),
        "the error names `{field}`, which no struct declares: {message}"
    );
    // Quoted values are cut short: a 200 KB value does not end up in a
    // status message. (The field's path is named in full: it is what the
    // author searches the definition for.)
    prop_assert!(
        message.len() < 1_000 + 2 * field.len(),
        "an error of {} bytes",
        message.len()
    );
    Ok(())
}

fn check<T: for<'de> Deserialize<'de>>(
    context: &TaskContext,
    is_struct: bool,
) -> Result<(), TestCaseError> {
    match context.fields::<T>() {
        Ok(_) => Ok(()),
        Err(error) => check_error(&error, is_struct),
    }
}

#[test]
fn arbitrary_task_objects_convert_and_deserialize_without_panicking() {
    let root = std::env::temp_dir().join("taskrunner-fuzz-fields");
    let config = ProptestConfig {
        cases: cases(300),
        failure_persistence: None,
        max_shrink_iters: 500,
        // Fixed unless PROPTEST_RNG_SEED is set (proptest's own default is
        // a random seed per run): CI runs are reproducible.
        rng_seed: RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED")
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or(0x5eed_f022),
        ),
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&task(), |task| {
        let context = TaskContext::builder(task)
            .scratch_root(Path::new(&root))
            .build();
        check::<Shell>(&context, true)?;
        check::<Strict>(&context, true)?;
        check::<HashMap<String, String>>(&context, false)?;
        check::<BTreeMap<String, Vec<String>>>(&context, false)?;
        check::<DataNode>(&context, true)?;
        let scratch = context.scratch_dir();
        prop_assert_eq!(
            scratch.parent(),
            Some(root.as_path()),
            "{}",
            scratch.display()
        );
        prop_assert!(!scratch.to_string_lossy().contains("opaque-task-id"));
        let _ = context.field("command");
        let _ = context.values("scriptArgument").count();
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// Regression (found by the suite above): grouping an object's fields by
/// key searched the groups for every field, quadratic in distinct keys; a
/// 10,000-field object took seconds per `fields()` call in a debug build,
/// and 100,000 fields would take minutes. Now it is linear.
#[test]
fn a_hundred_thousand_distinct_fields_deserialize() {
    let mut attempt = TaskObject::new(ATTEMPT, "Copy");
    attempt.fields = (0..100_000)
        .map(|index| Field::string(format!("myField{index}"), "v"))
        .collect();
    attempt.fields.push(Field::string("myField7", "again"));
    let task = Task::new("opaque-task-id", "df-0123456789ABCDEFGHIJ", ATTEMPT).with_object(attempt);
    let context = TaskContext::builder(task).build();
    let fields: BTreeMap<String, Vec<String>> = context.fields().expect("a map of lists fits");
    assert_eq!(fields.len(), 100_000);
    assert_eq!(fields["myField7"], ["v", "again"]);
}
