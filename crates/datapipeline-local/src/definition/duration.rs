//! Data Pipeline periods and durations: `"15 minutes"`, `"1 hour"`,
//! `"3 months"`.
//!
//! The same text form serves a Schedule's `period` and duration fields such
//! as `attemptTimeout` and `retryDelay`. Months and years are calendar units,
//! so adding them to a date time clamps to the end of shorter months, as Joda
//! Time (which AWS uses) does: 31 January plus one month is 28 or 29 February.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{Months, NaiveDateTime, TimeDelta};

use super::error::DefinitionError;

/// The unit of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodUnit {
    /// 60 seconds.
    Minute,
    /// 60 minutes.
    Hour,
    /// 24 hours (UTC has no daylight saving).
    Day,
    /// 7 days.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

impl PeriodUnit {
    /// The singular name, as in `"1 hour"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    /// The length in seconds; 30 days for months and 365 for years.
    fn approximate_seconds(self) -> u64 {
        match self {
            Self::Minute => 60,
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Week => 604_800,
            Self::Month => 30 * 86_400,
            Self::Year => 365 * 86_400,
        }
    }

    /// The unit named by `word`, singular or plural, in any case.
    fn from_word(word: &str) -> Option<Self> {
        let lower = word.to_ascii_lowercase();
        let singular = lower.strip_suffix('s').unwrap_or(&lower);
        [
            Self::Minute,
            Self::Hour,
            Self::Day,
            Self::Week,
            Self::Month,
            Self::Year,
        ]
        .into_iter()
        .find(|unit| unit.name() == singular)
    }
}

/// A period such as `"2 hours"`: a whole number of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// How many units.
    pub amount: u32,
    /// The unit.
    pub unit: PeriodUnit,
}

impl Period {
    /// A period of `amount` units.
    pub fn new(amount: u32, unit: PeriodUnit) -> Self {
        Self { amount, unit }
    }

    /// Parses `"N unit"`: a whole number, white space, and a unit name
    /// (`minute`, `hour`, `day`, `week`, `month`, `year`, singular or plural,
    /// any case).
    ///
    /// # Errors
    /// [`DefinitionError::InvalidPeriod`] naming the text.
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        let invalid = |reason: &str| DefinitionError::InvalidPeriod {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut words = text.split_whitespace();
        let (Some(amount), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(invalid("expected a number and a unit, e.g. '15 minutes'"));
        };
        if !amount.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid("the amount must be a whole number"));
        }
        let amount = amount
            .parse()
            .map_err(|_| invalid("the amount is too large"))?;
        let unit = PeriodUnit::from_word(unit).ok_or_else(|| {
            invalid("the unit must be minutes, hours, days, weeks, months or years")
        })?;
        Ok(Self { amount, unit })
    }

    /// `time` plus this period, or `None` past the range of dates.
    pub fn checked_add_to(&self, time: NaiveDateTime) -> Option<NaiveDateTime> {
        let amount = i64::from(self.amount);
        match self.unit {
            PeriodUnit::Minute => time.checked_add_signed(TimeDelta::try_minutes(amount)?),
            PeriodUnit::Hour => time.checked_add_signed(TimeDelta::try_hours(amount)?),
            PeriodUnit::Day => time.checked_add_signed(TimeDelta::try_days(amount)?),
            PeriodUnit::Week => time.checked_add_signed(TimeDelta::try_weeks(amount)?),
            PeriodUnit::Month => time.checked_add_months(Months::new(self.amount)),
            PeriodUnit::Year => time.checked_add_months(Months::new(self.amount.checked_mul(12)?)),
        }
    }

    /// `time` minus this period, or `None` past the range of dates.
    pub fn checked_subtract_from(&self, time: NaiveDateTime) -> Option<NaiveDateTime> {
        let amount = i64::from(self.amount);
        match self.unit {
            PeriodUnit::Minute => time.checked_sub_signed(TimeDelta::try_minutes(amount)?),
            PeriodUnit::Hour => time.checked_sub_signed(TimeDelta::try_hours(amount)?),
            PeriodUnit::Day => time.checked_sub_signed(TimeDelta::try_days(amount)?),
            PeriodUnit::Week => time.checked_sub_signed(TimeDelta::try_weeks(amount)?),
            PeriodUnit::Month => time.checked_sub_months(Months::new(self.amount)),
            PeriodUnit::Year => time.checked_sub_months(Months::new(self.amount.checked_mul(12)?)),
        }
    }

    /// `time` plus this period, calendar-aware for months and years;
    /// saturates at the latest representable date time rather than panic.
    pub fn add_to(&self, time: NaiveDateTime) -> NaiveDateTime {
        self.checked_add_to(time).unwrap_or(NaiveDateTime::MAX)
    }

    /// The period's length, counting a month as 30 days and a year as 365:
    /// good for comparisons such as the 15-minute minimum, not for dates.
    pub fn approximate(&self) -> Duration {
        Duration::from_secs(u64::from(self.amount) * self.unit.approximate_seconds())
    }
}

impl FromStr for Period {
    type Err = DefinitionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Period {
    /// The canonical form: `"1 hour"`, `"15 minutes"`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.amount == 1 { "" } else { "s" };
        write!(formatter, "{} {}{plural}", self.amount, self.unit.name())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(year: i32, month: u32, day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn periods_parse_in_every_documented_form() {
        let cases = [
            ("15 minutes", 15, PeriodUnit::Minute),
            ("15 Minutes", 15, PeriodUnit::Minute),
            ("1 hour", 1, PeriodUnit::Hour),
            ("2 HOURS", 2, PeriodUnit::Hour),
            (" 1  day ", 1, PeriodUnit::Day),
            ("1 week", 1, PeriodUnit::Week),
            ("3 months", 3, PeriodUnit::Month),
            ("1 year", 1, PeriodUnit::Year),
        ];
        for (text, amount, unit) in cases {
            assert_eq!(
                Period::parse(text).unwrap(),
                Period::new(amount, unit),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_periods_are_refused_naming_the_text() {
        for text in [
            "",
            "15",
            "minutes",
            "15 fortnights",
            "-1 day",
            "1.5 hours",
            "1 day extra",
            "99999999999 days",
        ] {
            let error = Period::parse(text).unwrap_err();
            assert!(error.to_string().contains(&format!("'{text}'")), "{error}");
        }
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(Period::parse("1 HOURS").unwrap().to_string(), "1 hour");
        assert_eq!(
            Period::parse("15 minute").unwrap().to_string(),
            "15 minutes"
        );
        assert_eq!("2 weeks".parse::<Period>().unwrap().to_string(), "2 weeks");
    }

    #[test]
    fn adding_months_follows_the_calendar() {
        let month = Period::new(1, PeriodUnit::Month);
        assert_eq!(month.add_to(at(2024, 1, 31, 5)), at(2024, 2, 29, 5));
        assert_eq!(
            Period::new(1, PeriodUnit::Year).add_to(at(2024, 2, 29, 0)),
            at(2025, 2, 28, 0)
        );
        assert_eq!(
            Period::new(36, PeriodUnit::Hour).add_to(at(2024, 12, 31, 0)),
            at(2025, 1, 1, 12)
        );
        assert_eq!(
            Period::new(u32::MAX, PeriodUnit::Year).add_to(at(2024, 1, 1, 0)),
            NaiveDateTime::MAX
        );
        assert_eq!(
            Period::new(u32::MAX, PeriodUnit::Minute).checked_add_to(NaiveDateTime::MAX),
            None
        );
        assert_eq!(
            month.checked_subtract_from(at(2024, 3, 31, 5)),
            Some(at(2024, 2, 29, 5))
        );
        assert_eq!(
            Period::new(2, PeriodUnit::Day).checked_subtract_from(at(2024, 3, 1, 0)),
            Some(at(2024, 2, 28, 0))
        );
        assert_eq!(
            Period::new(1, PeriodUnit::Week).checked_subtract_from(NaiveDateTime::MIN),
            None
        );
    }

    #[test]
    fn approximate_lengths_compare_against_minimums() {
        assert_eq!(
            Period::new(15, PeriodUnit::Minute).approximate(),
            Duration::from_secs(900)
        );
        assert!(
            Period::new(1, PeriodUnit::Month).approximate()
                > Period::new(4, PeriodUnit::Week).approximate()
        );
        assert_eq!(
            Period::new(u32::MAX, PeriodUnit::Year)
                .approximate()
                .as_secs(),
            u64::from(u32::MAX) * 31_536_000
        );
    }
}
