//! Joda-Time format patterns, as `format(dateTime, pattern)` takes them.
//!
//! Supported letters (a run's length picks the width, as in Joda):
//! `y`/`Y`/`u` year (`yy` two digits), `M` month (`MMM` short name, `MMMM`
//! full name), `d` day of month, `D` day of year, `H` hour 0–23, `k` hour
//! 1–24, `h` hour 1–12, `K` hour 0–11, `m` minute, `s` second, `S` fraction
//! of second, `E` day name (`EEEE` full), `e` day of week (1 = Monday), `a`
//! AM/PM, `G` era, `z` zone name (`UTC`), `Z` offset (`+0000`, `ZZ` `+00:00`).
//! Text in single quotes is literal (`''` is a quote); other non-letters are
//! copied. Other letters are refused rather than guessed.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// The widest padding honoured; Joda never needs more, and a bound keeps a
/// pattern of a million `y`s from producing a million zeros.
const MAX_WIDTH: usize = 32;

/// `time` formatted with the Joda pattern `pattern`.
///
/// # Errors
/// The reason, when the pattern has an unsupported letter or an unclosed
/// quote.
pub(crate) fn format(time: NaiveDateTime, pattern: &str) -> Result<String, String> {
    let mut output = String::new();
    let mut characters = pattern.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\'' {
            if characters.peek() == Some(&'\'') {
                characters.next();
                output.push('\'');
                continue;
            }
            let mut closed = false;
            while let Some(literal) = characters.next() {
                if literal != '\'' {
                    output.push(literal);
                } else if characters.peek() == Some(&'\'') {
                    characters.next();
                    output.push('\'');
                } else {
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err("a quoted literal is not closed".to_owned());
            }
            continue;
        }
        if !character.is_ascii_alphabetic() {
            output.push(character);
            continue;
        }
        let mut count = 1;
        while characters.peek() == Some(&character) {
            characters.next();
            count += 1;
        }
        field(&mut output, time, character, count)?;
    }
    Ok(output)
}

/// Appends one pattern field: `count` repetitions of `letter`.
fn field(
    output: &mut String,
    time: NaiveDateTime,
    letter: char,
    count: usize,
) -> Result<(), String> {
    let hour = time.hour();
    let text = match letter {
        'y' | 'Y' | 'u' if count == 2 => padded(i64::from(time.year()).rem_euclid(100), 2),
        'y' | 'Y' | 'u' => padded(i64::from(time.year()), count),
        'M' if count >= 4 => month_name(time.month()).to_owned(),
        'M' if count == 3 => month_name(time.month()).chars().take(3).collect(),
        'M' => padded(i64::from(time.month()), count),
        'd' => padded(i64::from(time.day()), count),
        'D' => padded(i64::from(time.ordinal()), count),
        'H' => padded(i64::from(hour), count),
        'k' => padded(i64::from(if hour == 0 { 24 } else { hour }), count),
        'h' => padded(
            i64::from(if hour.is_multiple_of(12) {
                12
            } else {
                hour % 12
            }),
            count,
        ),
        'K' => padded(i64::from(hour % 12), count),
        'm' => padded(i64::from(time.minute()), count),
        's' => padded(i64::from(time.second()), count),
        'S' => {
            let nanoseconds = format!("{:09}", time.nanosecond().min(999_999_999));
            let mut digits: String = nanoseconds.chars().take(count.min(MAX_WIDTH)).collect();
            digits.extend(std::iter::repeat_n(
                '0',
                count.min(MAX_WIDTH).saturating_sub(9),
            ));
            digits
        }
        'E' => {
            let name = day_name(time.weekday().number_from_monday());
            if count >= 4 {
                name.to_owned()
            } else {
                name.chars().take(3).collect()
            }
        }
        'e' => padded(i64::from(time.weekday().number_from_monday()), count),
        'a' => (if hour < 12 { "AM" } else { "PM" }).to_owned(),
        'G' => (if time.year() > 0 { "AD" } else { "BC" }).to_owned(),
        'z' => "UTC".to_owned(),
        'Z' if count == 1 => "+0000".to_owned(),
        'Z' => "+00:00".to_owned(),
        other => {
            return Err(format!(
                "the letter '{other}' is not supported; quote literal text"
            ))
        }
    };
    output.push_str(&text);
    Ok(())
}

/// `value` zero-padded to `width` digits (at most [`MAX_WIDTH`]).
fn padded(value: i64, width: usize) -> String {
    let digits = value.unsigned_abs().to_string();
    let zeros = width.min(MAX_WIDTH).saturating_sub(digits.len());
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}{digits}", "0".repeat(zeros))
}

/// The English name of month `month` (1–12).
fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

/// The English name of weekday `day` (1 = Monday).
fn day_name(day: u32) -> &'static str {
    const NAMES: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    NAMES
        .get(day.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn may_24() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2011, 5, 24)
            .unwrap()
            .and_hms_opt(17, 10, 5)
            .unwrap()
    }

    #[test]
    fn the_documented_examples_format_as_aws_shows() {
        assert_eq!(
            format(may_24(), "YYYY-MM-dd HH:mm:ss z").unwrap(),
            "2011-05-24 17:10:05 UTC"
        );
        assert_eq!(format(may_24(), "yyyy/MM/dd/HH").unwrap(), "2011/05/24/17");
        assert_eq!(
            format(may_24(), "YYYY-MM-dd'T'HH:mm:ss").unwrap(),
            "2011-05-24T17:10:05"
        );
    }

    #[test]
    fn every_supported_letter() {
        let time = may_24();
        let cases = [
            ("yy", "11"),
            ("M", "5"),
            ("MMM", "May"),
            ("MMMM", "May"),
            ("D", "144"),
            ("k", "17"),
            ("h a", "5 PM"),
            ("KK", "05"),
            ("SSS", "000"),
            ("E EEEE e", "Tue Tuesday 2"),
            ("G Z ZZ", "AD +0000 +00:00"),
            ("'it''s' ''", "it's '"),
            ("d-M", "24-5"),
        ];
        for (pattern, expected) in cases {
            assert_eq!(format(time, pattern).unwrap(), expected, "{pattern}");
        }
        let midnight = NaiveDate::from_ymd_opt(2011, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(format(midnight, "k h K MMM").unwrap(), "24 12 0 Jan");
    }

    #[test]
    fn unsupported_letters_and_open_quotes_are_errors() {
        assert!(format(may_24(), "YYYY-q").unwrap_err().contains("'q'"));
        assert!(format(may_24(), "'open")
            .unwrap_err()
            .contains("not closed"));
        assert_eq!(
            format(may_24(), &"y".repeat(100_000)).unwrap().len(),
            MAX_WIDTH
        );
        assert_eq!(
            format(may_24(), &"S".repeat(100_000)).unwrap().len(),
            MAX_WIDTH
        );
    }
}
