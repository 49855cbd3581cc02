//! Fuzzing expression evaluation: arbitrary text, grammar-aware generated
//! expressions (every function, every operator, huge numbers, overflow,
//! division by zero, dates at the ends of the calendar), pathological
//! shapes (deep nesting, long operator chains, unterminated `#{`), and
//! field values that expand into each other exponentially.
//!
//! The property: no panic, no stack overflow, and every failure is an
//! [`ExpressionError`] whose message names the expression; the limits
//! (`MAX_DEPTH`, `MAX_FIELD_DEPTH`, `MAX_STEPS`) keep every case short.
//!
//! CI runs a few thousand cases; the long form is
//! `FUZZ_CASES=1000000 cargo test --release -p datapipeline-local --test fuzz fuzz_expression`
//! (see docs/FUZZING.md).

use crate::fuzz_support;

use std::collections::BTreeMap;

use datapipeline_local::expression::{
    evaluate_expression, evaluate_template, ExpressionError, ExpressionErrorKind, Scope, MAX_DEPTH,
};
use datapipeline_local::model::{Field, PipelineObject};
use fuzz_support::{cases, config, nasty_text};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

const FUNCTIONS: &[&str] = &[
    "format",
    "plusMinutes",
    "plusHours",
    "plusDays",
    "plusWeeks",
    "plusMonths",
    "plusYears",
    "minusMinutes",
    "minusHours",
    "minusDays",
    "minusWeeks",
    "minusMonths",
    "minusYears",
    "minute",
    "hour",
    "day",
    "dayOfYear",
    "month",
    "year",
    "makeDate",
    "makeDateTime",
    "midnight",
    "firstOfMonth",
    "sunday",
    "yesterday",
    "inTimeZone",
    "noSuchFunction",
    "Format",
];

const NAMES: &[&str] = &[
    "@scheduledStartTime",
    "@actualStartTime",
    "myCount",
    "myName",
    "myPath",
    "mySelf",
    "myBroken",
    "myHuge",
    "myDate",
    "myExplode0",
    "myExplode12",
    "myEmpty",
    "scriptArgument",
    "input",
    "input.directoryPath",
    "input.schedule.period",
    "input.dangling.x",
    "node.x",
    "myList",
    "missing",
    "Default",
    "@",
    "a.b.c.d.e",
];

/// A pipeline whose fields include the awkward cases: self-reference,
/// a reference to a missing object, values that are huge numbers or not
/// numbers, and a chain of fields each expanding to the next twice over
/// (2^30 expansions if nothing stopped it).
fn objects() -> BTreeMap<String, PipelineObject> {
    let mut fields = vec![
        Field::string("@scheduledStartTime", "2011-05-24T17:10:00"),
        Field::string("@actualStartTime", "9999-12-31T23:59:59"),
        Field::string("myCount", "3"),
        Field::string("myHuge", "99999999999999999999999"),
        Field::string("myDate", "0000-01-01T00:00:00"),
        Field::string("myName", "report"),
        Field::string("myEmpty", ""),
        Field::string(
            "myPath",
            "s3://bucket/#{myName}/#{format(@scheduledStartTime, 'YYYY')}",
        ),
        Field::string("mySelf", "#{mySelf}"),
        Field::string("myBroken", "#{nope"),
        Field::string("scriptArgument", "a"),
        Field::string("scriptArgument", "b"),
        Field::reference("input", "Input"),
        Field::reference("node", "Nowhere"),
    ];
    for level in 0..30 {
        let next = level + 1;
        fields.push(Field::string(
            format!("myExplode{level}"),
            format!("#{{myExplode{next}}}#{{myExplode{next} + myExplode{next}}}"),
        ));
    }
    fields.push(Field::string("myExplode30", "1"));
    let activity = PipelineObject {
        id: "Activity".into(),
        name: "Activity".into(),
        fields,
    };
    let input = PipelineObject {
        id: "Input".into(),
        name: "Input".into(),
        fields: vec![
            Field::string("directoryPath", "s3://in/#{myName}"),
            Field::reference("schedule", "Daily"),
            Field::reference("dangling", "Nowhere"),
            Field::reference("loop", "Input"),
        ],
    };
    let schedule = PipelineObject {
        id: "Daily".into(),
        name: "Daily".into(),
        fields: vec![Field::string("period", "1 day")],
    };
    [activity, input, schedule]
        .into_iter()
        .map(|object| (object.id.clone(), object))
        .collect()
}

/// A literal: numbers at and past the 64-bit edges, decimals, strings with
/// escapes and date times at the ends of the calendar.
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|number| number.to_string()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("99999999999999999999999999999999".to_owned()),
        Just("0".to_owned()),
        any::<f64>().prop_map(|number| format!("{number:?}")),
        "[0-9]{1,4}\\.[0-9]{0,4}",
        "'[a-zA-Z0-9 :\\\\'-]{0,12}'",
        "\"[a-zA-Z0-9 ]{0,12}\"",
        Just("'2011-05-24T17:10:00'".to_owned()),
        Just("'9999-12-31T23:59:59'".to_owned()),
        Just("'0000-01-01T00:00:00'".to_owned()),
        Just("'262143-12-31T23:59:59'".to_owned()),
        Just("'YYYY-MM-dd HH:mm:ss.SSS EEEE MMMM a G z Z'".to_owned()),
        Just("'1 day'".to_owned()),
    ]
}

/// An expression from the grammar, any depth up to a bit past the limit.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => literal(),
        2 => proptest::sample::select(NAMES).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(8, 64, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                proptest::sample::select(&["+", "-", "*", "/", "^"][..]),
                inner.clone()
            )
                .prop_map(|(left, operator, right)| format!("{left} {operator} {right}")),
            inner.clone().prop_map(|operand| format!("-{operand}")),
            inner.clone().prop_map(|operand| format!("({operand})")),
            (
                proptest::sample::select(FUNCTIONS),
                proptest::collection::vec(inner, 0..4)
            )
                .prop_map(|(function, arguments)| format!("{function}({})", arguments.join(", "))),
        ]
    })
}

/// Shapes that break naive recursive-descent parsers and evaluators.
fn pathological() -> impl Strategy<Value = String> {
    let count = 1_usize..20_000;
    prop_oneof![
        count
            .clone()
            .prop_map(|n| format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        count.clone().prop_map(|n| format!("{}1", "-".repeat(n))),
        count.clone().prop_map(|n| format!("{}1", "1 + ".repeat(n))),
        count.clone().prop_map(|n| format!("{}2", "2 ^ ".repeat(n))),
        count.clone().prop_map(|n| format!("{}2", "2 * ".repeat(n))),
        count.clone().prop_map(|n| format!("{}0", "1 / ".repeat(n))),
        count.clone().prop_map(|n| format!(
            "{}@scheduledStartTime{}",
            "plusDays(".repeat(n),
            ", 1)".repeat(n)
        )),
        count.clone().prop_map(|n| "(".repeat(n)),
        count.clone().prop_map(|n| format!("'{}", "\\".repeat(n))),
        count.prop_map(|n| format!("a{}", ".a".repeat(n))),
        (0_usize..30).prop_map(|level| format!("myExplode{level}")),
    ]
}

/// A template: text around expressions, some of them unterminated.
fn template() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => "[a-z /:.#{}-]{0,8}",
        4 => expression().prop_map(|expression| format!("#{{{expression}}}")),
        1 => pathological().prop_map(|expression| format!("#{{{expression}}}")),
        1 => expression().prop_map(|expression| format!("#{{{expression}")),
        1 => Just("#{".to_owned()),
        1 => Just("#{}".to_owned()),
        1 => Just("}#{#{".to_owned()),
    ];
    proptest::collection::vec(part, 0..6).prop_map(|parts| parts.concat())
}

/// An error names the expression it is about and says what went wrong.
fn check_error(error: &ExpressionError) -> Result<(), TestCaseError> {
    let message = error.to_string();
    prop_assert!(message.contains("in expression"), "{message}");
    if let ExpressionErrorKind::TooDeep(limit) = error.kind {
        prop_assert!(limit >= MAX_DEPTH.min(16), "{message}");
    }
    Ok(())
}

fn run(
    strategy: impl Strategy<Value = String>,
    evaluate: fn(&str, &Scope<'_>) -> Result<(), ExpressionError>,
) {
    let objects = objects();
    let parameters = BTreeMap::from([
        ("myList".to_owned(), vec!["x".to_owned(), "y".to_owned()]),
        ("myName".to_owned(), vec!["parameter".to_owned()]),
    ]);
    let activity = objects.get("Activity").expect("the activity").clone();
    let scope = Scope::new(&activity, &objects, &parameters);
    let mut runner = TestRunner::new(config(cases(1_000)));
    let result = runner.run(&strategy, |text| match evaluate(&text, &scope) {
        Ok(()) => Ok(()),
        Err(error) => check_error(&error),
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn template_evaluation(text: &str, scope: &Scope<'_>) -> Result<(), ExpressionError> {
    evaluate_template(text, scope).map(drop)
}

fn expression_evaluation(text: &str, scope: &Scope<'_>) -> Result<(), ExpressionError> {
    evaluate_expression(text, scope).map(drop)
}

/// Each suite runs on a thread with a small stack, as a tokio worker has
/// (2 MiB), so that unbounded recursion shows up as a crash here.
fn on_small_stack(body: fn()) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(body)
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

#[test]
fn generated_expressions_never_panic() {
    on_small_stack(|| run(expression(), expression_evaluation));
}

#[test]
fn generated_templates_never_panic() {
    on_small_stack(|| run(template(), template_evaluation));
}

#[test]
fn pathological_expressions_stop_at_the_limits() {
    on_small_stack(|| run(pathological(), expression_evaluation));
}

#[test]
fn arbitrary_text_never_panics() {
    on_small_stack(|| {
        run(nasty_text(), template_evaluation);
        run(nasty_text(), expression_evaluation);
    });
}

#[test]
fn exponential_field_expansion_is_cut_off() {
    let objects = objects();
    let parameters = BTreeMap::new();
    let activity = objects.get("Activity").expect("the activity").clone();
    let scope = Scope::new(&activity, &objects, &parameters);
    let error =
        evaluate_template("#{myExplode0}", &scope).expect_err("2^30 expansions are refused");
    assert!(
        matches!(
            error.kind,
            ExpressionErrorKind::TooComplex(_) | ExpressionErrorKind::TooDeep(_)
        ),
        "{error}"
    );
}
