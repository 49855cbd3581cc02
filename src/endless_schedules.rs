//! Bounding schedules that never end, so a `taskrunner local` run ends.
//!
//! A `Schedule` with neither `endDateTime` nor `occurrences`
//! (dp-object-schedule.md) makes instances for ever, and AWS backfills
//! every period from a past `startDateTime` up to now. A local run is a
//! trial, so it submits such a schedule with `occurrences` set to
//! `--periods` (default 1): the schedule's first periods, then the
//! pipeline finishes.
//!
//! So that a daily or weekly period does not make the user wait a day of
//! pipeline time, a schedule that starts at `FIRST_ACTIVATION_DATE_TIME` is
//! submitted with a `startDateTime` that many periods before now instead:
//! all its periods are already due and run at once, as a backfill would.
//! A schedule with its own `startDateTime` keeps it (a past start runs its
//! first periods at once; a future one waits for it).

use chrono::NaiveDateTime;
use datapipeline_local::definition::{effective_objects, Definition, Period};
use datapipeline_local::model::Field;

/// What was changed on one schedule, to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundedSchedule {
    /// The schedule's id.
    pub(crate) id: String,
    /// How many periods it now runs.
    pub(crate) periods: u32,
    /// The `startDateTime` it got in place of `startAt`, if any.
    pub(crate) backdated_to: Option<String>,
}

impl std::fmt::Display for BoundedSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (plural, due) = if self.periods == 1 {
            ("", "it is")
        } else {
            ("s", "they are")
        };
        write!(
            f,
            "Schedule '{}' has no end: running {} period{plural} (--periods N for more)",
            self.id, self.periods
        )?;
        if let Some(start) = &self.backdated_to {
            write!(f, ", starting at {start} so that {due} due at once")?;
        }
        Ok(())
    }
}

/// Gives every endless schedule of `definition` `occurrences: periods`, and
/// a `startDateTime` `periods` periods before `now` in place of
/// `startAt: FIRST_ACTIVATION_DATE_TIME`. Answers what it changed.
pub(crate) fn bound(
    definition: &mut Definition,
    periods: u32,
    now: NaiveDateTime,
) -> Vec<BoundedSchedule> {
    // Decided on the effective fields, so that a schedule inheriting an end
    // from a parent is left alone; an inheritance error is left to the
    // service's validation.
    let Ok(effective) = effective_objects(&definition.objects) else {
        return Vec::new();
    };
    let mut bounded = Vec::new();
    for object in &mut definition.objects {
        let Some(schedule) = effective.get(&object.id) else {
            continue;
        };
        let endless = schedule.type_name() == Some("Schedule")
            && schedule.field("endDateTime").is_none()
            && schedule.field("occurrences").is_none();
        if !endless {
            continue;
        }
        object
            .fields
            .push(Field::string("occurrences", periods.to_string()));
        let starts_at_activation = schedule.field("startDateTime").is_none()
            && schedule
                .field("startAt")
                .is_some_and(|start| start.eq_ignore_ascii_case("FIRST_ACTIVATION_DATE_TIME"))
            // Only a startAt of the object's own can be replaced by a
            // startDateTime without leaving both after inheritance.
            && object.field("startAt").is_some();
        let start = schedule
            .field("period")
            .and_then(|period| Period::parse(period).ok())
            .filter(|_| starts_at_activation)
            .and_then(|period| {
                (0..periods).try_fold(now, |time, _| period.checked_subtract_from(time))
            });
        let backdated_to = start.map(|start| start.format("%Y-%m-%dT%H:%M:%S").to_string());
        if let Some(start) = &backdated_to {
            object.fields.retain(|field| field.key != "startAt");
            object
                .fields
                .push(Field::string("startDateTime", start.clone()));
        }
        // Kept sorted by key, as the definition-file reader leaves them.
        object
            .fields
            .sort_by(|left, right| left.key.cmp(&right.key));
        bounded.push(BoundedSchedule {
            id: object.id.clone(),
            periods,
            backdated_to,
        });
    }
    bounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use datapipeline_local::definition::parse_definition_file;

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-12-06T12:00:00", "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    fn definition(schedules: &str) -> Definition {
        parse_definition_file(&format!(r#"{{"objects": [{schedules}]}}"#)).unwrap()
    }

    #[test]
    fn a_daily_schedule_from_activation_runs_its_periods_at_once() {
        let mut definition = definition(
            r#"{"id": "Daily", "type": "Schedule", "period": "1 day", "startAt": "FIRST_ACTIVATION_DATE_TIME"}"#,
        );
        let bounded = bound(&mut definition, 2, now());
        assert_eq!(
            bounded,
            [BoundedSchedule {
                id: "Daily".into(),
                periods: 2,
                backdated_to: Some("2026-12-04T12:00:00".into())
            }]
        );
        let daily = definition.object("Daily").unwrap();
        assert_eq!(daily.field("occurrences"), Some("2"));
        assert_eq!(daily.field("startDateTime"), Some("2026-12-04T12:00:00"));
        assert_eq!(daily.field("startAt"), None);
        assert!(bounded[0].to_string().contains("running 2 periods"));
    }

    #[test]
    fn a_past_start_keeps_its_start_and_runs_its_first_periods() {
        let mut definition = definition(
            r#"{"id": "Hourly", "type": "Schedule", "period": "1 hour", "startDateTime": "2020-01-01T00:00:00"}"#,
        );
        let bounded = bound(&mut definition, 1, now());
        assert_eq!(bounded[0].backdated_to, None);
        let hourly = definition.object("Hourly").unwrap();
        assert_eq!(hourly.field("occurrences"), Some("1"));
        assert_eq!(hourly.field("startDateTime"), Some("2020-01-01T00:00:00"));
        assert!(bounded[0].to_string().contains("running 1 period "));
    }

    #[test]
    fn schedules_with_an_end_are_left_alone() {
        let mut definition = definition(
            r#"{"id": "Base", "type": "Schedule", "period": "1 day", "endDateTime": "2030-01-01T00:00:00", "startAt": "FIRST_ACTIVATION_DATE_TIME"},
               {"id": "Counted", "type": "Schedule", "period": "1 day", "occurrences": "3", "startAt": "FIRST_ACTIVATION_DATE_TIME"},
               {"id": "Child", "parent": {"ref": "Base"}, "name": "Child"}"#,
        );
        let before = definition.clone();
        assert!(bound(&mut definition, 1, now()).is_empty());
        assert_eq!(definition, before);
    }
}
