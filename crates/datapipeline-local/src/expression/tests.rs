//! Tests of evaluation through the public entry points.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::model::{Field, PipelineObject};

use super::*;

/// A small pipeline: an activity referencing an input node, which
/// references a schedule.
struct Fixture {
    objects: BTreeMap<String, PipelineObject>,
    parameters: BTreeMap<String, Vec<String>>,
}

impl Fixture {
    fn new() -> Self {
        let activity = PipelineObject {
            id: "Activity".into(),
            name: "Activity".into(),
            fields: vec![
                Field::string("@scheduledStartTime", "2011-05-24T17:10:00"),
                Field::string("myCount", "3"),
                Field::string("myName", "report"),
                Field::string("myShadowed", "field"),
                Field::string(
                    "myPath",
                    "s3://bucket/#{myName}/#{format(@scheduledStartTime, 'YYYY')}",
                ),
                Field::string("mySelf", "#{mySelf}"),
                Field::string("myBroken", "#{nope}"),
                Field::string("scriptArgument", "a"),
                Field::string("scriptArgument", "b"),
                Field::reference("input", "Input"),
            ],
        };
        let input = PipelineObject {
            id: "Input".into(),
            name: "Input".into(),
            fields: vec![
                Field::string("directoryPath", "s3://in/#{myName}"),
                Field::string("*password", "hunter2"),
                Field::string("myName", "input-name"),
                Field::reference("schedule", "Daily"),
                Field::reference("dangling", "Nowhere"),
            ],
        };
        let schedule = PipelineObject {
            id: "Daily".into(),
            name: "Daily".into(),
            fields: vec![Field::string("period", "1 day")],
        };
        let objects = [activity, input, schedule]
            .into_iter()
            .map(|object| (object.id.clone(), object))
            .collect();
        let parameters = BTreeMap::from([
            ("myShadowed".to_owned(), vec!["parameter".to_owned()]),
            ("myList".to_owned(), vec!["x".to_owned(), "y".to_owned()]),
            ("*myPassword".to_owned(), vec!["s3cr3t".to_owned()]),
        ]);
        Self {
            objects,
            parameters,
        }
    }

    fn scope(&self) -> Scope<'_> {
        Scope::new(&self.objects["Activity"], &self.objects, &self.parameters)
    }

    fn template(&self, text: &str) -> Result<String, ExpressionError> {
        evaluate_template(text, &self.scope())
    }

    fn value(&self, expression: &str) -> Value {
        evaluate_expression(expression, &self.scope())
            .unwrap_or_else(|error| panic!("{expression}: {error}"))
    }

    fn error(&self, text: &str) -> ExpressionError {
        self.template(text).expect_err(text)
    }
}

#[test]
fn text_without_expressions_is_unchanged() {
    let fixture = Fixture::new();
    for text in ["", "plain", "a # b", "#", "##", "price: #5 {x}", "}{"] {
        assert_eq!(fixture.template(text).unwrap(), text);
    }
}

#[test]
fn names_resolve_to_fields_parameters_and_references() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture.template("#{@scheduledStartTime}").unwrap(),
        "2011-05-24T17:10:00"
    );
    assert_eq!(
        fixture.template("#{myShadowed}").unwrap(),
        "parameter",
        "parameters win over fields"
    );
    assert_eq!(fixture.template("#{myList}").unwrap(), "x,y");
    assert_eq!(fixture.template("#{scriptArgument}").unwrap(), "a,b");
    assert_eq!(
        fixture.template("#{input}").unwrap(),
        "Input",
        "a reference alone yields the id"
    );
    assert_eq!(
        fixture.template("#{input.schedule.period}").unwrap(),
        "1 day"
    );
    assert_eq!(fixture.template("#{input.myName}").unwrap(), "input-name");
}

#[test]
fn methods_are_calls_on_the_value_before_the_dot() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture
            .template("#{@scheduledStartTime.format('YYYY-MM-dd-hh:mm')}")
            .unwrap(),
        "2011-05-24-05:10"
    );
    assert_eq!(
        fixture
            .template("#{@scheduledStartTime.plusDays(1).format('dd')}")
            .unwrap(),
        "25"
    );
}

#[test]
fn encrypted_names_resolve_like_any_other() {
    let fixture = Fixture::new();
    assert_eq!(fixture.template("#{*myPassword}").unwrap(), "s3cr3t");
    assert_eq!(
        fixture
            .template("login #{ *myPassword } #{input.*password}")
            .unwrap(),
        "login s3cr3t hunter2"
    );
    assert_eq!(
        fixture.value("myCount*2"),
        fixture.value("6"),
        "still a product"
    );
    // Errors are logged and answered, so they never show an encrypted value.
    for text in [
        "#{*myPassword * 2}",
        "#{-input.*password}",
        "#{plusDays(*myPassword, 1)}",
    ] {
        let message = fixture.error(text).to_string();
        assert!(message.contains("(encrypted)"), "{message}");
        assert!(
            !message.contains("s3cr3t") && !message.contains("hunter2"),
            "{message}"
        );
    }
}

#[test]
fn field_values_with_expressions_expand_for_their_own_object() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture.template("#{myPath}").unwrap(),
        "s3://bucket/report/2011"
    );
    assert_eq!(
        fixture.template("#{input.directoryPath}").unwrap(),
        "s3://in/input-name"
    );
    let self_reference = fixture.error("#{mySelf}");
    assert_eq!(
        self_reference.kind,
        ExpressionErrorKind::TooDeep(MAX_FIELD_DEPTH)
    );
    let broken = fixture.error("#{myBroken}");
    let ExpressionErrorKind::InField {
        field,
        object,
        inner,
    } = &broken.kind
    else {
        panic!("{broken}")
    };
    assert_eq!((field.as_str(), object.as_str()), ("myBroken", "Activity"));
    assert!(
        matches!(inner.kind, ExpressionErrorKind::UnknownField { .. }),
        "{inner}"
    );
}

#[test]
fn several_expressions_and_surrounding_text() {
    let fixture = Fixture::new();
    let text =
        "cp s3://x/#{format(plusDays(@scheduledStartTime, 1), 'YYYY-MM-dd')}/ #{myName}.csv #";
    assert_eq!(
        fixture.template(text).unwrap(),
        "cp s3://x/2011-05-25/ report.csv #"
    );
    assert_eq!(fixture.template("#{'}'}#{\"{\"}").unwrap(), "}{");
}

#[test]
fn arithmetic_follows_the_documented_rules() {
    let fixture = Fixture::new();
    let cases = [
        ("1 + 2 * 3", Value::Integer(7)),
        ("(1 + 2) * 3", Value::Integer(9)),
        ("2 ^ 10", Value::Integer(1024)),
        ("2 ^ -1", Value::Decimal(0.5)),
        ("-2 ^ 2", Value::Integer(-4)),
        ("7 / 2", Value::Integer(3)),
        ("7.0 / 2", Value::Decimal(3.5)),
        ("1.5 + 1", Value::Decimal(2.5)),
        ("10 - 4 - 3", Value::Integer(3)),
        ("myCount + 1", Value::Integer(4)),
        ("myCount * '2'", Value::Integer(6)),
        ("'1' + '2'", Value::String("12".into())),
        ("'a' + 1", Value::String("a1".into())),
        ("myName + '-' + myCount", Value::String("report-3".into())),
        ("-myCount", Value::Integer(-3)),
    ];
    for (expression, expected) in cases {
        assert_eq!(fixture.value(expression), expected, "{expression}");
    }
    assert_eq!(
        fixture.template("#{7.0 / 2} #{4 / 2.0}").unwrap(),
        "3.5 2.0"
    );
}

#[test]
fn date_times_move_by_periods() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture
            .template("#{@scheduledStartTime + '1 day'}")
            .unwrap(),
        "2011-05-25T17:10:00"
    );
    assert_eq!(
        fixture
            .template("#{@scheduledStartTime - input.schedule.period}")
            .unwrap(),
        "2011-05-23T17:10:00"
    );
    assert_eq!(
        fixture
            .template("#{makeDate(2024, 1, 31) + '1 month'}")
            .unwrap(),
        "2024-02-29T00:00:00"
    );
    assert_eq!(
        fixture.template("#{@scheduledStartTime + 'x'}").unwrap(),
        "2011-05-24T17:10:00x"
    );
    let error = fixture.error("#{makeDate(2024, 1, 31) * 2}");
    assert!(
        matches!(
            error.kind,
            ExpressionErrorKind::InvalidOperands { operator: '*', .. }
        ),
        "{error}"
    );
}

#[test]
fn errors_name_the_expression_the_position_and_the_problem() {
    let fixture = Fixture::new();
    let cases: [(&str, usize, &str); 14] = [
        ("ab #{myName", 3, "unterminated '#{'"),
        ("#{}", 2, "empty expression"),
        (
            "x #{nope}",
            4,
            "'nope' is no parameter and no field of object 'Activity'",
        ),
        (
            "#{myName.x}",
            2,
            "field 'myName' of object 'Activity' is not a reference",
        ),
        (
            "#{input.dangling.x}",
            2,
            "reference 'Nowhere' names no object",
        ),
        (
            "#{input.nothing}",
            2,
            "'nothing' is no parameter and no field of object 'Input'",
        ),
        ("#{ frobnicate(1)}", 3, "unknown function 'frobnicate'"),
        ("#{1 / 0}", 4, "division by zero"),
        ("#{1.0 / 0}", 6, "division by zero"),
        ("#{9223372036854775807 + 1}", 22, "result out of range"),
        ("#{-'abc'}", 2, "operator '-' cannot apply to string 'abc'"),
        ("#{1 $ 2}", 4, "unexpected character '$'"),
        (
            "#{day(myName)}",
            2,
            "argument 1 of 'day' must be a date time",
        ),
        ("#{2 ^ 64}", 4, "result out of range"),
    ];
    for (text, position, message) in cases {
        let error = fixture.error(text);
        assert_eq!(error.position, position, "{text}: {error}");
        assert!(error.to_string().contains(message), "{text}: {error}");
    }
    let error = fixture.error("#{ 1 + }");
    assert_eq!(error.expression, " 1 + ");
    assert!(
        error.to_string().ends_with("in expression ' 1 + '"),
        "{error}"
    );
}

#[test]
fn bare_expressions_evaluate_to_values() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture.value("hour(@scheduledStartTime)"),
        Value::Integer(17)
    );
    assert_eq!(fixture.value("'text'"), Value::String("text".into()));
    let error = evaluate_expression("#{1}", &fixture.scope()).unwrap_err();
    assert_eq!(error.kind, ExpressionErrorKind::UnexpectedCharacter('#'));
}

#[test]
fn work_is_bounded_when_fields_multiply() {
    // Each field expands to its successor twice: 2^20 expansions unbounded.
    let mut fields: Vec<Field> = (0..20)
        .map(|level| {
            Field::string(
                format!("f{level}"),
                format!("#{{f{}}}#{{f{}}}", level + 1, level + 1),
            )
        })
        .collect();
    fields.push(Field::string("f20", "x"));
    let object = PipelineObject {
        id: "A".into(),
        name: "A".into(),
        fields,
    };
    let objects = BTreeMap::new();
    let parameters = BTreeMap::new();
    let error =
        evaluate_template("#{f0}", &Scope::new(&object, &objects, &parameters)).unwrap_err();
    assert!(
        matches!(
            error.kind,
            ExpressionErrorKind::TooComplex(_) | ExpressionErrorKind::TooDeep(_)
        ),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn templates_never_panic(text in "(#\\{|[-+*/^(),.'\"\\\\ 0-9a-z@}{#]|myName|myCount|input|format|plusDays|@scheduledStartTime|\\PC){0,40}") {
        let fixture = Fixture::new();
        let _ = fixture.template(&text);
        let _ = evaluate_expression(&text, &fixture.scope());
    }

    #[test]
    fn text_without_hash_brace_is_unchanged(text in "\\PC{0,60}") {
        prop_assume!(!text.contains("#{"));
        let fixture = Fixture::new();
        prop_assert_eq!(fixture.template(&text).unwrap(), text);
    }
}
