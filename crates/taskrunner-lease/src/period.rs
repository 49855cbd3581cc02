//! Durations written in Data Pipeline's own form: `"15 minutes"`, `"2 hours"`.
//!
//! Pipeline fields such as `reportProgressTimeout` and `attemptTimeout` hold a
//! *Period*: a positive whole number, whitespace, and a unit. The service
//! documents `minutes`, `hours`, `days`, `weeks` and `months`; this parser also
//! accepts `seconds` (handy for compressed test pipelines) and singular units
//! (`"1 hour"`). `months` is refused: a month has no fixed length, and no
//! runner timeout is sensibly measured in months.

use std::time::Duration;

/// Parses a Data Pipeline period such as `"15 minutes"` into a [`Duration`].
///
/// Case and surrounding whitespace are ignored; the unit may be singular or
/// plural.
///
/// # Errors
///
/// Returns a [`ParsePeriodError`] naming the offending text when the input is
/// empty, the number is not a positive whole number, the unit is unknown, or
/// the result overflows a [`Duration`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use taskrunner_lease::parse_period;
///
/// assert_eq!(parse_period("15 minutes")?, Duration::from_secs(15 * 60));
/// assert_eq!(parse_period("1 Hour")?, Duration::from_secs(3600));
/// assert!(parse_period("2 fortnights").is_err());
/// # Ok::<(), taskrunner_lease::ParsePeriodError>(())
/// ```
pub fn parse_period(text: &str) -> Result<Duration, ParsePeriodError> {
    let trimmed = text.trim();
    let mut parts = trimmed.split_whitespace();
    let (Some(number), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ParsePeriodError::Malformed {
            input: text.to_owned(),
        });
    };
    let count: u64 = match number.parse() {
        Ok(count) if count > 0 => count,
        _ => {
            return Err(ParsePeriodError::InvalidNumber {
                input: text.to_owned(),
            })
        }
    };
    let unit_seconds = unit_seconds(unit).ok_or_else(|| ParsePeriodError::UnknownUnit {
        input: text.to_owned(),
        unit: unit.to_owned(),
    })?;
    count
        .checked_mul(unit_seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| ParsePeriodError::Overflow {
            input: text.to_owned(),
        })
}

/// Seconds in one `unit`, or `None` when the unit is not one we accept.
fn unit_seconds(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    // Accept the singular and the plural of each unit.
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    match singular {
        "second" => Some(1),
        "minute" => Some(60),
        "hour" => Some(60 * 60),
        "day" => Some(24 * 60 * 60),
        "week" => Some(7 * 24 * 60 * 60),
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
    /// The number is not a positive whole number. Use e.g. `"90 seconds"`
    /// instead of `"1.5 minutes"`.
    #[error("period {input:?} must start with a positive whole number")]
    InvalidNumber {
        /// The text as given.
        input: String,
    },
    /// The unit is not seconds, minutes, hours, days or weeks.
    #[error(
        "period {input:?} has unknown unit {unit:?}; use seconds, minutes, hours, days or weeks"
    )]
    UnknownUnit {
        /// The text as given.
        input: String,
        /// The unit that was not recognised.
        unit: String,
    },
    /// The period is too long to represent.
    #[error("period {input:?} is too long")]
    Overflow {
        /// The text as given.
        input: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_forms() {
        let cases = [
            ("15 minutes", 15 * 60),
            ("2 hours", 2 * 3600),
            ("1 hour", 3600),
            ("1 day", 86_400),
            ("3 weeks", 3 * 7 * 86_400),
            ("90 seconds", 90),
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

    #[test]
    fn rejects_bad_input_with_the_offending_text() {
        assert!(matches!(
            parse_period(""),
            Err(ParsePeriodError::Malformed { .. })
        ));
        assert!(matches!(
            parse_period("15"),
            Err(ParsePeriodError::Malformed { .. })
        ));
        assert!(matches!(
            parse_period("15 minutes later"),
            Err(ParsePeriodError::Malformed { .. })
        ));
        assert!(matches!(
            parse_period("0 minutes"),
            Err(ParsePeriodError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_period("-1 minutes"),
            Err(ParsePeriodError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_period("1.5 hours"),
            Err(ParsePeriodError::InvalidNumber { .. })
        ));
        assert!(matches!(
            parse_period("1 month"),
            Err(ParsePeriodError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_period("18446744073709551615 weeks"),
            Err(ParsePeriodError::Overflow { .. })
        ));
        let message = parse_period("2 fortnights")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(message.contains("2 fortnights"), "{message}");
    }
}
