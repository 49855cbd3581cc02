//! The runs page: a grid of components × scheduled times coloured by the
//! status of each instance, one page of times at a time, and the detail of
//! one instance with its attempts.
//!
//! Pages are cut here, not in the browser: a pipeline of 100 components
//! and 10,000 instances sends at most `size` columns (100 at most) per
//! answer, so the page never holds more than a few thousand cells.

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

/// Page `page` (0 is the latest times) of the grid, `size` times wide.
pub(crate) fn grid(pipeline: &Pipeline, page: usize, size: usize) -> Value {
    let size = size.clamp(1, MAX_PAGE_SIZE);
    let times: BTreeSet<NaiveDateTime> = pipeline
        .run
        .instances
        .values()
        .map(|instance| instance.scheduled_start)
        .collect();
    let pages = times.len().div_ceil(size).max(1);
    let page = page.min(pages - 1);
    let shown: Vec<NaiveDateTime> = times
        .iter()
        .rev()
        .skip(page * size)
        .take(size)
        .copied()
        .collect();
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
        "totalTimes": times.len(),
        "totalInstances": pipeline.run.instances.len(),
        "times": shown.iter().map(|time| format_time(*time)).collect::<Vec<_>>(),
        "rows": rows,
    })
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
