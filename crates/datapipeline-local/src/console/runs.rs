//! The runs page: a grid of components × scheduled times coloured by the
//! status of each instance, one page of times at a time, and the detail of
//! one instance with its attempts.
//!
//! Pages are cut here, not in the browser: a pipeline of 100 components
//! and 10,000 instances sends at most `size` columns (100 at most) per
//! answer, so the page never holds more than a few thousand cells.
//!
//! Pages count back from an anchor, the latest time when the reader began
//! to page (`asOf`), not from the latest time now: otherwise each new
//! scheduled time (every period of a running pipeline) would shift every
//! older page by a column while the reader moves between them.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::clock::format_time;
use crate::state::run::{Attempt, ErrorFields, Instance};
use crate::state::{Pipeline, State};

use super::graph::objects;

/// Scheduled times per page unless the page asks otherwise.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 20;
/// The most scheduled times one page may ask for.
const MAX_PAGE_SIZE: usize = 100;

/// Page `page` of the grid, `size` times wide, counted back from `as_of`
/// (page 0 ends with it), or from the latest time without one.
pub(crate) fn grid(
    pipeline: &Pipeline,
    page: usize,
    size: usize,
    as_of: Option<NaiveDateTime>,
) -> Value {
    let times: BTreeSet<NaiveDateTime> = pipeline
        .run
        .instances
        .values()
        .map(|instance| instance.scheduled_start)
        .collect();
    let Page {
        shown,
        page,
        pages,
        size,
    } = page_of(&times, page, size, as_of);
    let column: HashMap<NaiveDateTime, usize> = shown
        .iter()
        .enumerate()
        .map(|(place, time)| (*time, place))
        .collect();
    let mut cells: HashMap<&str, Vec<Option<&Instance>>> = HashMap::new();
    for instance in pipeline.run.instances.values() {
        let row = cells
            .entry(instance.component.as_str())
            .or_insert_with(|| vec![None; shown.len()]);
        if let Some(&place) = column.get(&instance.scheduled_start) {
            row[place] = Some(instance);
        }
    }
    let rows: Vec<Value> = objects(pipeline)
        .iter()
        .filter_map(|object| {
            let row = cells.get(object.id.as_str())?;
            let cells: Vec<Value> = row
                .iter()
                .map(|cell| {
                    cell.map_or(Value::Null, |instance| {
                        json!({
                            "id": instance.id,
                            "status": instance.status.as_str(),
                            "attempts": instance.attempts.len(),
                        })
                    })
                })
                .collect();
            Some(json!({ "component": object.id, "cells": cells }))
        })
        .collect();
    json!({
        "page": page,
        "pages": pages,
        "size": size,
        "asOf": as_of.map(format_time),
        "totalTimes": times.len(),
        "totalInstances": pipeline.run.instances.len(),
        "times": shown.iter().map(|time| format_time(*time)).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// The times one page of the grid shows, newest first.
#[derive(Debug, PartialEq, Eq)]
struct Page {
    shown: Vec<NaiveDateTime>,
    /// The page shown: the one asked for, or the last there is.
    page: usize,
    /// How many pages there are back from the anchor.
    pages: usize,
    /// Times per page, within the bounds.
    size: usize,
}

/// Page `page` of `times`, counted back from `as_of` (or from the latest).
fn page_of(
    times: &BTreeSet<NaiveDateTime>,
    page: usize,
    size: usize,
    as_of: Option<NaiveDateTime>,
) -> Page {
    let size = size.clamp(1, MAX_PAGE_SIZE);
    let anchored = || {
        times
            .iter()
            .rev()
            .filter(move |time| as_of.is_none_or(|as_of| **time <= as_of))
    };
    let pages = anchored().count().div_ceil(size).max(1);
    let page = page.min(pages - 1);
    let shown = anchored().skip(page * size).take(size).copied().collect();
    Page {
        shown,
        page,
        pages,
        size,
    }
}

/// Instance `id` of `pipeline` with its attempts, or `None` when there is
/// no such instance.
pub(crate) fn instance(state: &State, pipeline: &Pipeline, id: &str) -> Option<Value> {
    let instance = pipeline.run.instances.get(id)?;
    let attempts: Vec<Value> = instance
        .attempts
        .iter()
        .filter_map(|attempt| pipeline.run.attempts.get(attempt))
        .map(|attempt| describe_attempt(state, attempt))
        .collect();
    Some(json!({
        "id": instance.id,
        "component": instance.component,
        "status": instance.status.as_str(),
        "scheduledStart": format_time(instance.scheduled_start),
        "scheduledEnd": format_time(instance.scheduled_end),
        "actualStart": instance.actual_start.map(format_time),
        "actualEnd": instance.actual_end.map(format_time),
        "triesLeft": instance.tries_left,
        "waitingOn": instance.waiting_on,
        "cascadeFailedOn": instance.cascade_failed_on,
        "error": error_json(instance.error.as_ref()),
        "attempts": attempts,
    }))
}

fn describe_attempt(state: &State, attempt: &Attempt) -> Value {
    json!({
        "id": attempt.id,
        "number": attempt.number,
        "status": attempt.status.as_str(),
        "start": attempt.actual_start.map(format_time),
        "end": attempt.actual_end.map(format_time),
        "hostname": attempt.hostname,
        "runner": attempt.hostname.as_deref().and_then(|hostname| runner_of(state, hostname)),
        "lastReport": attempt.report_progress_time.map(format_time),
        "held": attempt.lease.is_some(),
        "reassignments": attempt.reassignments,
        "error": error_json(attempt.error.as_ref()),
    })
}

/// The `taskrunnerId` of the runner whose heartbeats gave `hostname`, if
/// exactly one did: PollForTask carries a hostname, not a runner id.
pub(crate) fn runner_of<'a>(state: &'a State, hostname: &str) -> Option<&'a str> {
    let mut matching = state
        .runners
        .records
        .values()
        .filter(|runner| runner.hostname.as_deref() == Some(hostname));
    let first = matching.next()?;
    matching
        .next()
        .is_none()
        .then_some(first.taskrunner_id.as_str())
}

fn error_json(error: Option<&ErrorFields>) -> Value {
    error.map_or(Value::Null, |error| {
        json!({
            "errorId": error.error_id,
            "errorMessage": error.error_message,
            "errorStackTrace": error.error_stack_trace,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_time;

    fn hours(count: u32) -> BTreeSet<NaiveDateTime> {
        (0..count)
            .map(|hour| parse_time(&format!("2026-01-01T{hour:02}:00:00")).expect("a time"))
            .collect()
    }

    fn labels(page: &Page) -> Vec<String> {
        page.shown
            .iter()
            .map(|time| format_time(*time)[11..13].to_owned())
            .collect()
    }

    #[test]
    fn pages_count_back_from_the_latest_time() {
        let times = hours(10);
        let first = page_of(&times, 0, 4, None);
        assert_eq!(labels(&first), ["09", "08", "07", "06"]);
        assert_eq!((first.page, first.pages), (0, 3));
        let last = page_of(&times, 7, 4, None);
        assert_eq!(labels(&last), ["01", "00"]);
        assert_eq!(last.page, 2, "a page past the end shows the last one");
    }

    #[test]
    fn an_anchor_keeps_older_pages_in_place_while_new_times_arrive() {
        let before = hours(10);
        let anchor = *before.last().expect("a latest time");
        let second = page_of(&before, 1, 4, Some(anchor));
        let after = hours(12);
        assert_eq!(page_of(&after, 1, 4, Some(anchor)), second);
        assert_eq!(
            labels(&page_of(&after, 1, 4, None)),
            ["07", "06", "05", "04"]
        );
    }
}
