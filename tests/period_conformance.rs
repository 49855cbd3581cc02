//! The runner and the local service read pipeline periods (`"15 minutes"`)
//! alike.
//!
//! The runner reads `attemptTimeout`, `retryDelay`, `preconditionTimeout`
//! and `reportProgressTimeout` with `taskrunner::task::parse_period`; the
//! service checks a definition's periods and times attempts with
//! `datapipeline_local::definition::Period`. A value one accepts and the
//! other refuses, or reads as another length, would make a runner time an
//! attempt differently from the service that leased it. The service's
//! `approximate()` length is the one it times attempts with (a month is 30
//! days, a year 365).
//!
//! The grammar both follow is the Guide's Period type
//! (dp-expressions-functions.md: a whole number and one of years, months,
//! weeks, days, hours, minutes). Documented differences are listed in
//! [`DIFFERENCES`]; every other input must get the same answer from both.

use std::time::Duration;

use datapipeline_local::definition::Period;
use taskrunner::task::parse_period;

/// Inputs on which the two parsers knowingly differ, and why.
const DIFFERENCES: &[(&str, &str)] = &[(
    "0 minutes",
    "the Guide's N is positive; the service's definition check lets a zero \
     through, the runner refuses it (a zero timeout would end every attempt \
     at once)",
)];

/// What the service makes of `text`: its length, or `None` when refused.
fn service(text: &str) -> Option<Duration> {
    Period::parse(text).ok().map(|period| period.approximate())
}

/// What the runner makes of `text`.
fn runner(text: &str) -> Option<Duration> {
    parse_period(text).ok()
}

/// Hand-picked inputs: the Guide's own examples, the edges of the number
/// and of the unit, and forms one parser once accepted and the other not.
const TABLE: &[&str] = &[
    // The Guide's examples (dp-object-schedule.md and its siblings).
    "15 minutes",
    "10 minutes",
    "1 hours",
    "1 Hours",
    "1 Hour",
    "1 day",
    "1 Day",
    "3 hours",
    "3 years",
    "2 weeks",
    "3 months",
    // Case, singular and plural, white space.
    "1 MINUTE",
    "1 minute",
    "2 minute",
    "  5   Minutes ",
    "1\tday",
    // The number.
    "01 day",
    "4294967295 minutes",
    "4294967296 minutes",
    "99999999999 days",
    "-1 day",
    "+1 day",
    "1.5 hours",
    "1e3 minutes",
    "one hour",
    // The unit.
    "90 seconds",
    "1 second",
    "1 s",
    "1 min",
    "1 hourss",
    "2 fortnights",
    // The shape.
    "",
    "   ",
    "15",
    "minutes",
    "15 minutes later",
    "15minutes",
];

#[test]
fn the_runner_and_the_service_read_every_period_alike() {
    let mut disagreements = Vec::new();
    for &text in TABLE.iter().chain(DIFFERENCES.iter().map(|(text, _)| text)) {
        let (service, runner) = (service(text), runner(text));
        let documented = DIFFERENCES.iter().any(|(known, _)| *known == text);
        if (service == runner) == documented {
            disagreements.push(format!(
                "{text:?}: service {service:?}, runner {runner:?}{}",
                if documented {
                    " (listed as a difference, but they agree)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn every_unit_and_amount_reads_the_same_length() {
    let units = [
        "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months",
        "year", "years", "second", "seconds",
    ];
    for amount in [1_u64, 2, 15, 59, 60, 1_000, 4_294_967_295] {
        for unit in units {
            let text = format!("{amount} {unit}");
            assert_eq!(service(&text), runner(&text), "{text:?}");
        }
    }
}

#[test]
fn the_documented_differences_are_still_differences() {
    for (text, why) in DIFFERENCES {
        assert_ne!(service(text), runner(text), "{text:?}: {why}");
    }
}
