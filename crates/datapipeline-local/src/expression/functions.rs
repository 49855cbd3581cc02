//! The functions expressions may call, as AWS documents them ("Date and Time
//! Functions" of the Developer Guide). Names are case-sensitive.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta};

use super::error::ExpressionErrorKind;
use super::pattern;
use super::value::Value;

/// Every function name, for validation and documentation.
pub(crate) const NAMES: &[&str] = &[
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
];

/// Whether `name` is a function.
pub(crate) fn is_known(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The unit a `plus…`/`minus…` function moves by.
#[derive(Clone, Copy)]
enum Step {
    /// Fixed-length units, in minutes.
    Minutes(i64),
    /// Calendar months.
    Months(i64),
}

/// Calls function `name` on already evaluated `arguments`.
///
/// # Errors
/// [`ExpressionErrorKind::UnknownFunction`], a wrong argument count or type,
/// or a result out of range.
pub(crate) fn call(name: &str, arguments: &[Value]) -> Result<Value, ExpressionErrorKind> {
    let arguments = Arguments {
        function: name,
        values: arguments,
    };
    let value = match name {
        "format" => {
            arguments.count(2)?;
            let pattern = arguments.string(1)?;
            let text = pattern::format(arguments.date_time(0)?, pattern).map_err(|reason| {
                ExpressionErrorKind::InvalidPattern {
                    pattern: pattern.to_owned(),
                    reason,
                }
            })?;
            Value::String(text)
        }
        "plusMinutes" | "plusHours" | "plusDays" | "plusWeeks" | "plusMonths" | "plusYears"
        | "minusMinutes" | "minusHours" | "minusDays" | "minusWeeks" | "minusMonths"
        | "minusYears" => {
            arguments.count(2)?;
            let (sign, unit) = match name.strip_prefix("plus") {
                Some(unit) => (1, unit),
                None => (-1, name.strip_prefix("minus").unwrap_or(name)),
            };
            let step = match unit {
                "Minutes" => Step::Minutes(1),
                "Hours" => Step::Minutes(60),
                "Days" => Step::Minutes(24 * 60),
                "Weeks" => Step::Minutes(7 * 24 * 60),
                "Months" => Step::Months(1),
                _ => Step::Months(12),
            };
            let amount = arguments
                .integer(1)?
                .checked_mul(sign)
                .ok_or(ExpressionErrorKind::Overflow)?;
            Value::DateTime(
                shift(arguments.date_time(0)?, step, amount)
                    .ok_or(ExpressionErrorKind::Overflow)?,
            )
        }
        "minute" | "hour" | "day" | "dayOfYear" | "month" | "year" => {
            arguments.count(1)?;
            let time = arguments.date_time(0)?;
            let part = match name {
                "minute" => chrono::Timelike::minute(&time),
                "hour" => chrono::Timelike::hour(&time),
                "day" => time.day(),
                "dayOfYear" => time.ordinal(),
                "month" => time.month(),
                _ => return Ok(Value::Integer(i64::from(time.year()))),
            };
            Value::Integer(i64::from(part))
        }
        "makeDate" | "makeDateTime" => {
            let count = if name == "makeDate" { 3 } else { 5 };
            arguments.count(count)?;
            let parts = (0..count)
                .map(|index| arguments.integer(index))
                .collect::<Result<Vec<_>, _>>()?;
            Value::DateTime(make_date_time(&parts)?)
        }
        "midnight" | "firstOfMonth" | "sunday" | "yesterday" => {
            arguments.count(1)?;
            let time = arguments.date_time(0)?;
            let moved = match name {
                "midnight" => Some(time.date().and_time(chrono::NaiveTime::MIN)),
                "firstOfMonth" => time.with_day(1),
                // The Sunday on or before the date, as AWS documents it.
                "sunday" => time.checked_sub_signed(TimeDelta::days(i64::from(
                    time.weekday().num_days_from_sunday(),
                ))),
                _ => time.checked_sub_signed(TimeDelta::days(1)),
            };
            Value::DateTime(moved.ok_or(ExpressionErrorKind::Overflow)?)
        }
        "inTimeZone" => {
            arguments.count(2)?;
            let time = arguments.date_time(0)?;
            let zone = arguments.string(1)?;
            // Every date time here is UTC, so converting to UTC changes
            // nothing; other zones would need a zone database.
            if !["UTC", "GMT", "Z", "Etc/UTC", "Etc/GMT", "UCT"].contains(&zone) {
                return Err(ExpressionErrorKind::UnsupportedTimeZone(zone.to_owned()));
            }
            Value::DateTime(time)
        }
        _ => return Err(ExpressionErrorKind::UnknownFunction(name.to_owned())),
    };
    Ok(value)
}

/// `time` moved by `amount` steps; `None` out of range.
fn shift(time: NaiveDateTime, step: Step, amount: i64) -> Option<NaiveDateTime> {
    match step {
        Step::Minutes(minutes) => {
            time.checked_add_signed(TimeDelta::try_minutes(amount.checked_mul(minutes)?)?)
        }
        Step::Months(months) => {
            let total = u32::try_from(amount.checked_mul(months)?.unsigned_abs()).ok()?;
            if amount < 0 {
                time.checked_sub_months(Months::new(total))
            } else {
                time.checked_add_months(Months::new(total))
            }
        }
    }
}

/// The date time of `[year, month, day, hour?, minute?]`.
fn make_date_time(parts: &[i64]) -> Result<NaiveDateTime, ExpressionErrorKind> {
    let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
    let invalid = || ExpressionErrorKind::InvalidDate(shown.join(", "));
    let part = |index: usize| parts.get(index).copied().unwrap_or(0);
    let year = i32::try_from(part(0)).map_err(|_| invalid())?;
    let small = |index: usize| u32::try_from(part(index)).map_err(|_| invalid());
    let date = NaiveDate::from_ymd_opt(year, small(1)?, small(2)?).ok_or_else(invalid)?;
    date.and_hms_opt(small(3)?, small(4)?, 0)
        .ok_or_else(invalid)
}

/// A function's arguments, converted on demand with errors naming them.
struct Arguments<'a> {
    /// The function's name.
    function: &'a str,
    /// The evaluated arguments.
    values: &'a [Value],
}

impl Arguments<'_> {
    /// Fails unless there are exactly `expected` arguments.
    fn count(&self, expected: usize) -> Result<(), ExpressionErrorKind> {
        if self.values.len() != expected {
            return Err(ExpressionErrorKind::WrongArgumentCount {
                function: self.function.to_owned(),
                expected,
                found: self.values.len(),
            });
        }
        Ok(())
    }

    /// The error for argument `index` not being `expected`.
    fn wrong(&self, index: usize, expected: &'static str) -> ExpressionErrorKind {
        ExpressionErrorKind::WrongArgumentType {
            function: self.function.to_owned(),
            index: index + 1,
            expected,
            found: self
                .values
                .get(index)
                .map_or_else(|| "nothing".to_owned(), Value::describe),
        }
    }

    /// Argument `index` as a date time.
    fn date_time(&self, index: usize) -> Result<NaiveDateTime, ExpressionErrorKind> {
        let value = self.values.get(index).and_then(Value::as_date_time);
        value.ok_or_else(|| self.wrong(index, "a date time (YYYY-MM-DDTHH:MM:SS)"))
    }

    /// Argument `index` as an integer.
    fn integer(&self, index: usize) -> Result<i64, ExpressionErrorKind> {
        self.values
            .get(index)
            .and_then(Value::as_integer)
            .ok_or_else(|| self.wrong(index, "an integer"))
    }

    /// Argument `index` as a string.
    fn string(&self, index: usize) -> Result<&str, ExpressionErrorKind> {
        match self.values.get(index) {
            Some(Value::String(text)) => Ok(text),
            _ => Err(self.wrong(index, "a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn date_time(text: &str) -> Value {
        Value::DateTime(super::super::value::parse_date_time(text).unwrap())
    }

    fn run(name: &str, arguments: &[Value]) -> Value {
        call(name, arguments).unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    #[test]
    fn plus_and_minus_move_by_their_unit() {
        let start = at("2011-05-24T17:10:00");
        let cases = [
            ("plusMinutes", 50, "2011-05-24T18:00:00"),
            ("plusHours", 7, "2011-05-25T00:10:00"),
            ("plusDays", 8, "2011-06-01T17:10:00"),
            ("plusWeeks", 1, "2011-05-31T17:10:00"),
            ("plusMonths", 9, "2012-02-24T17:10:00"),
            ("plusYears", 1, "2012-05-24T17:10:00"),
            ("minusMinutes", 10, "2011-05-24T17:00:00"),
            ("minusHours", 18, "2011-05-23T23:10:00"),
            ("minusDays", 24, "2011-04-30T17:10:00"),
            ("minusWeeks", 2, "2011-05-10T17:10:00"),
            ("minusMonths", 5, "2010-12-24T17:10:00"),
            ("minusYears", 11, "2000-05-24T17:10:00"),
            ("plusDays", -1, "2011-05-23T17:10:00"),
        ];
        for (name, amount, expected) in cases {
            assert_eq!(
                run(name, &[start.clone(), Value::Integer(amount)]),
                date_time(expected),
                "{name}"
            );
        }
        let end_of_january = at("2012-01-31T00:00:00");
        assert_eq!(
            run("plusMonths", &[end_of_january, Value::Integer(1)]),
            date_time("2012-02-29T00:00:00")
        );
        assert_eq!(
            run("plusDays", &[start.clone(), at("2")]),
            date_time("2011-05-26T17:10:00")
        );
    }

    #[test]
    fn out_of_range_moves_are_errors_not_panics() {
        let start = at("2011-05-24T17:10:00");
        for name in ["plusMinutes", "plusWeeks", "plusMonths", "minusYears"] {
            for amount in [i64::MAX, i64::MIN, 1 << 40] {
                assert_eq!(
                    call(name, &[start.clone(), Value::Integer(amount)]),
                    Err(ExpressionErrorKind::Overflow)
                );
            }
        }
        assert_eq!(
            call("yesterday", &[Value::DateTime(NaiveDateTime::MIN)]),
            Err(ExpressionErrorKind::Overflow)
        );
    }

    #[test]
    fn parts_of_a_date_time() {
        let time = at("2011-05-24T17:10:00");
        let cases = [
            ("minute", 10),
            ("hour", 17),
            ("day", 24),
            ("dayOfYear", 144),
            ("month", 5),
            ("year", 2011),
        ];
        for (name, expected) in cases {
            assert_eq!(
                run(name, std::slice::from_ref(&time)),
                Value::Integer(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn dates_are_made_and_checked() {
        let parts = |values: &[i64]| {
            values
                .iter()
                .map(|value| Value::Integer(*value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run("makeDate", &parts(&[2011, 5, 24])),
            date_time("2011-05-24T00:00:00")
        );
        assert_eq!(
            run("makeDateTime", &parts(&[2011, 5, 24, 14, 21])),
            date_time("2011-05-24T14:21:00")
        );
        for bad in [
            &[2011, 2, 30][..],
            &[2011, 13, 1],
            &[i64::MAX, 1, 1],
            &[2011, -1, 1],
        ] {
            assert!(
                matches!(
                    call("makeDate", &parts(bad)),
                    Err(ExpressionErrorKind::InvalidDate(_))
                ),
                "{bad:?}"
            );
        }
        let late = call("makeDateTime", &parts(&[2011, 5, 24, 24, 0]));
        assert_eq!(
            late,
            Err(ExpressionErrorKind::InvalidDate(
                "2011, 5, 24, 24, 0".into()
            ))
        );
    }

    #[test]
    fn days_weeks_and_months_start_as_documented() {
        let time = at("2011-05-25T17:10:00");
        assert_eq!(
            run("midnight", std::slice::from_ref(&time)),
            date_time("2011-05-25T00:00:00")
        );
        assert_eq!(
            run("firstOfMonth", std::slice::from_ref(&time)),
            date_time("2011-05-01T17:10:00")
        );
        assert_eq!(
            run("sunday", std::slice::from_ref(&time)),
            date_time("2011-05-22T17:10:00")
        );
        assert_eq!(
            run("sunday", &[at("2011-05-22T01:00:00")]),
            date_time("2011-05-22T01:00:00")
        );
        assert_eq!(
            run("yesterday", std::slice::from_ref(&time)),
            date_time("2011-05-24T17:10:00")
        );
    }

    #[test]
    fn format_and_time_zones() {
        let time = at("2011-05-24T17:10:00");
        assert_eq!(
            run("format", &[time.clone(), at("YYYY-MM-dd")]),
            at("2011-05-24")
        );
        let bad_pattern = call("format", &[time.clone(), at("YYYY-qq")]);
        assert!(matches!(
            bad_pattern,
            Err(ExpressionErrorKind::InvalidPattern { .. })
        ));
        assert_eq!(
            run("inTimeZone", &[time.clone(), at("UTC")]),
            date_time("2011-05-24T17:10:00")
        );
        let elsewhere = call("inTimeZone", &[time, at("America/Los_Angeles")]);
        assert_eq!(
            elsewhere,
            Err(ExpressionErrorKind::UnsupportedTimeZone(
                "America/Los_Angeles".into()
            ))
        );
    }

    #[test]
    fn wrong_arguments_are_named() {
        let count = call("format", &[at("2011-05-24T17:10:00")]).unwrap_err();
        assert_eq!(
            count.to_string(),
            "function 'format' takes 2 argument(s), got 1"
        );
        let kind = call("plusDays", &[at("tomorrow"), Value::Integer(1)]).unwrap_err();
        assert!(
            kind.to_string()
                .starts_with("argument 1 of 'plusDays' must be a date time"),
            "{kind}"
        );
        let amount = call(
            "plusDays",
            &[at("2011-05-24T17:10:00"), Value::Decimal(1.5)],
        )
        .unwrap_err();
        assert!(
            amount
                .to_string()
                .contains("argument 2 of 'plusDays' must be an integer"),
            "{amount}"
        );
        let pattern = call("format", &[at("2011-05-24T17:10:00"), Value::Integer(1)]).unwrap_err();
        assert!(
            pattern.to_string().contains("must be a string"),
            "{pattern}"
        );
        assert_eq!(
            call("Format", &[]),
            Err(ExpressionErrorKind::UnknownFunction("Format".into()))
        );
    }

    #[test]
    fn every_listed_name_is_callable() {
        for name in NAMES {
            let result = call(name, &[]);
            assert!(
                matches!(result, Err(ExpressionErrorKind::WrongArgumentCount { .. })),
                "{name}: {result:?}"
            );
        }
    }
}
