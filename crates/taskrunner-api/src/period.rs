//! Durations written in Data Pipeline's own form: `"15 minutes"`, `"2 hours"`.
//!
//! Pipeline fields such as `attemptTimeout`, `retryDelay`,
//! `reportProgressTimeout` and `preconditionTimeout` hold a *Period*: a whole
//! number, white space, and a unit. The grammar is the one the service
//! checks definitions with (the Guide's Period type,
//! dp-expressions-functions.md; `datapipeline-local`'s `Period::parse`), so a
//! value the service accepted is a value the runner can read:
//!
//! - the number is ASCII digits only (no sign, no fraction) and fits 32 bits;
//! - the unit is `minute`, `hour`, `day`, `week`, `month` or `year`,
//!   singular or plural, in any case;
//! - a month counts as 30 days and a year as 365, the lengths the service
//!   times an attempt with (a timeout has no calendar to follow).
//!
//! One documented difference: the runner refuses a zero (`"0 minutes"`),
//! which the Guide excludes (N is positive) but the service's definition
//! check lets through; a zero timeout would end every attempt at once.
//! `tests/period_conformance.rs` holds both parsers to this.
//!
//! Seconds are not a unit: the Guide's Period type has none, and the service
//! refuses a definition that uses them.

use std::time::Duration;

/// Parses a Data Pipeline period such as `"15 minutes"` into a [`Duration`].
///
/// The grammar is the service's: a positive whole number of at most 32 bits
/// (ASCII digits, no sign), white space, and `minute`, `hour`, `day`,
/// `week`, `month` or `year`, singular or plural, in any case. A month is
/// 30 days and a year 365, the lengths the service times attempts with.
/// There is no `seconds`: the Guide's Period type has none
/// (dp-expressions-functions.md).
///
/// # Errors
///
/// Returns a [`ParsePeriodError`] naming the offending text when the input is
/// not `<number> <unit>`, the number is not a positive whole number that fits
/// 32 bits, or the unit is unknown.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use taskrunner_api::parse_period;
///
/// assert_eq!(parse_period("15 minutes")?, Duration::from_secs(15 * 60));
/// assert_eq!(parse_period("1 Hour")?, Duration::from_secs(3600));
/// assert_eq!(parse_period("1 month")?, Duration::from_secs(30 * 86_400));
/// assert!(parse_period("90 seconds").is_err());
/// # Ok::<(), taskrunner_api::ParsePeriodError>(())
/// ```
pub fn parse_period(text: &str) -> Result<Duration, ParsePeriodError> {
    let mut parts = text.split_whitespace();
    let (Some(number), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ParsePeriodError::Malformed {
            input: text.to_owned(),
        });
    };
    // Digits only: Rust's integer parser would also take a leading `+`,
    // which the service refuses.
    let count = match number.bytes().all(|byte| byte.is_ascii_digit()) {
        true => number.parse::<u32>().ok().filter(|count| *count > 0),
        false => None,
    };
    let Some(count) = count else {
        return Err(ParsePeriodError::InvalidNumber {
            input: text.to_owned(),
        });
    };
    let unit_seconds = unit_seconds(unit).ok_or_else(|| ParsePeriodError::UnknownUnit {
        input: text.to_owned(),
        unit: unit.to_owned(),
    })?;
    // A u32 count of years, the longest unit, is about 1.4e17 seconds: no
    // overflow is possible in a u64.
    Ok(Duration::from_secs(u64::from(count) * unit_seconds))
}

/// Seconds in one `unit`, or `None` when the unit is not one a Period has.
fn unit_seconds(unit: &str) -> Option<u64> {
    const DAY: u64 = 24 * 60 * 60;
    let unit = unit.to_ascii_lowercase();
    // Accept the singular and the plural of each unit.
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    match singular {
        "minute" => Some(60),
        "hour" => Some(60 * 60),
        "day" => Some(DAY),
        "week" => Some(7 * DAY),
        "month" => Some(30 * DAY),
        "year" => Some(365 * DAY),
        _ => None,
    }
}

/// Why a Data Pipeline period could not be parsed.
///
/// Every variant carries the input so a log line can name the field value the
/// pipeline author has to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParsePeriodError {
    /// The text is not `<number> <unit>`. Fix the pipeline field, e.g. `"15 minutes"`.
    #[error("period {input:?} is not of the form \"<number> <unit>\", e.g. \"15 minutes\"")]
    Malformed {
        /// The text as given.
        input: String,
    },
    /// The number is not a positive whole number of at most 32 bits. Use
    /// e.g. `"90 minutes"` instead of `"1.5 hours"`.
    #[error("period {input:?} must start with a positive whole number")]
    InvalidNumber {
        /// The text as given.
        input: String,
    },
    /// The unit is not minutes, hours, days, weeks, months or years.
    #[error(
        "period {input:?} has unknown unit {unit:?}; use minutes, hours, days, weeks, months or years"
    )]
    UnknownUnit {
        /// The text as given.
        input: String,
        /// The unit that was not recognised.
        unit: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_forms() {
        let day = 86_400;
        let cases = [
            ("15 minutes", 15 * 60),
            ("2 hours", 2 * 3600),
            ("1 hour", 3600),
            ("1 Hours", 3600),
            ("1 day", day),
            ("3 weeks", 3 * 7 * day),
            ("2 months", 60 * day),
            ("1 year", 365 * day),
            ("  5   Minutes ", 5 * 60),
            ("1 MINUTE", 60),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_period(text),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
    }

    /// The variant's name, for a table of expectations.
    fn kind(error: &ParsePeriodError) -> &'static str {
        match error {
            ParsePeriodError::Malformed { .. } => "Malformed",
            ParsePeriodError::InvalidNumber { .. } => "InvalidNumber",
            ParsePeriodError::UnknownUnit { .. } => "UnknownUnit",
        }
    }

    #[test]
    fn rejects_bad_input_with_the_offending_text() {
        let cases = [
            ("", "Malformed"),
            ("15", "Malformed"),
            ("15 minutes later", "Malformed"),
            ("0 minutes", "InvalidNumber"),
            ("-1 minutes", "InvalidNumber"),
            ("+1 minutes", "InvalidNumber"),
            ("1.5 hours", "InvalidNumber"),
            ("4294967296 minutes", "InvalidNumber"),
            ("90 seconds", "UnknownUnit"),
        ];
        for (text, expected) in cases {
            let error = parse_period(text).expect_err(text);
            assert_eq!(kind(&error), expected, "{text}: {error:?}");
            assert!(error.to_string().contains(&format!("{text:?}")), "{error}");
        }
    }
}
