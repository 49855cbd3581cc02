//! Reading the state file back into a [`State`].

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::meta::{AuditRecord, ClockRecord, RegistryRecord, RunnersRecord};
use super::records::{AttemptRecord, DefinitionsRecord, HeaderRecord, InstanceRecord, TimerRecord};
use super::values::WallClock;
use crate::clock::Clock;
use crate::config::{Limits, Timing};
use crate::scheduler::fields::duration;
use crate::state::run::{Attempt, Instance};
use crate::state::{AttemptKey, Queues, State, Timers};

/// Why a load failed: a SQLite error, or a row that does not read back.
#[derive(Debug)]
pub(super) enum LoadFailure {
    Sqlite(rusqlite::Error),
    Row(String),
}

impl From<rusqlite::Error> for LoadFailure {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

impl From<String> for LoadFailure {
    fn from(reason: String) -> Self {
        Self::Row(reason)
    }
}

type LoadResult<T> = Result<T, LoadFailure>;

fn parse<T: DeserializeOwned>(what: &str, body: &str) -> LoadResult<T> {
    serde_json::from_str(body).map_err(|error| LoadFailure::Row(format!("{what}: {error}")))
}

/// Reads the whole state. Returns it with the clock anchor to write for
/// this life of the service.
pub(super) fn load(
    connection: &Connection,
    timing: &Timing,
    limits: &Limits,
    wall: WallClock,
) -> LoadResult<State> {
    let meta: HashMap<String, String> = connection
        .prepare("SELECT key, body FROM meta")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let clock = match meta.get("clock") {
        Some(body) => parse::<ClockRecord>("clock", body)?.resume(wall, timing.time_scale)?,
        None => Clock::new(timing.time_scale),
    };
    let mut state = State::new(clock, timing.clone(), limits.clone());
    if let Some(body) = meta.get("registry") {
        parse::<RegistryRecord>("registry", body)?.restore(&mut state);
    }
    if let Some(body) = meta.get("runners") {
        parse::<RunnersRecord>("runners", body)?.restore(&mut state)?;
    }
    if let Some(body) = meta.get("audit") {
        state.audit = parse::<AuditRecord>("audit", body)?.audit();
    }
    load_pipelines(connection, &mut state, wall)?;
    refresh_leases(&mut state, wall.instant());
    let queued = connection
        .prepare("SELECT sequence, worker_group, pipeline, attempt FROM queue")?
        .query_map([], |row| {
            let sequence: i64 = row.get(0)?;
            let pipeline: String = row.get(2)?;
            let attempt: String = row.get(3)?;
            let key = AttemptKey {
                pipeline: pipeline.into(),
                attempt: attempt.into(),
            };
            Ok((sequence.unsigned_abs(), row.get::<_, String>(1)?, key))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    state.queues = Queues::restored(queued);
    let timers = connection
        .prepare("SELECT sequence, due_millis, event FROM timers")?
        .query_map([], |row| {
            let sequence: i64 = row.get(0)?;
            let due: i64 = row.get(1)?;
            Ok((sequence.unsigned_abs(), due, row.get::<_, String>(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(sequence, due, event)| {
            let event = parse::<TimerRecord>("timer", &event)?.event();
            Ok((sequence, wall.instant_at(due), event))
        })
        .collect::<LoadResult<Vec<_>>>()?;
    state.timers = Timers::restored(timers);
    state.ledger = super::ledger::load(connection, wall)?;
    Ok(state)
}

/// Rows of `table` (instances or attempts) grouped by pipeline.
fn rows_by_pipeline(
    connection: &Connection,
    table: &str,
) -> LoadResult<HashMap<String, Vec<(String, String)>>> {
    let mut grouped: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut statement = connection.prepare(&format!("SELECT pipeline, id, body FROM {table}"))?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    for row in rows {
        let (pipeline, id, body): (String, String, String) = row?;
        grouped.entry(pipeline).or_default().push((id, body));
    }
    Ok(grouped)
}

fn load_pipelines(connection: &Connection, state: &mut State, wall: WallClock) -> LoadResult<()> {
    let mut definitions: HashMap<String, String> = connection
        .prepare("SELECT pipeline, body FROM definitions")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut instances = rows_by_pipeline(connection, "instances")?;
    let mut attempts = rows_by_pipeline(connection, "attempts")?;
    let headers: Vec<(String, String)> = connection
        .prepare("SELECT id, header FROM pipelines")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, header) in headers {
        let header: HeaderRecord = parse(&format!("pipeline {id}"), &header)?;
        let definitions: DefinitionsRecord = match definitions.remove(&id) {
            Some(body) => parse(&format!("definitions of {id}"), &body)?,
            None => return Err(format!("pipeline {id} has no definitions row").into()),
        };
        let instances = (instances.remove(&id).unwrap_or_default().into_iter())
            .map(|(instance_id, body)| {
                let record: InstanceRecord = parse(&format!("instance {instance_id}"), &body)?;
                Ok((instance_id.clone(), record.instance(instance_id)?))
            })
            .collect::<LoadResult<BTreeMap<String, Instance>>>()?;
        let attempts = (attempts.remove(&id).unwrap_or_default().into_iter())
            .map(|(attempt_id, body)| {
                let record: AttemptRecord = parse(&format!("attempt {attempt_id}"), &body)?;
                Ok((attempt_id.clone(), record.attempt(attempt_id, wall)?))
            })
            .collect::<LoadResult<BTreeMap<String, Attempt>>>()?;
        let pipeline = header.pipeline(id.clone(), definitions, instances, attempts)?;
        state.pipelines.insert(id, pipeline);
    }
    let _ = state.pipelines.take_changed();
    Ok(())
}

/// Rebuilds the taskId → attempt map from the attempts' leases, and gives
/// every live lease a full window from now: the time the service was down
/// is not held against the runner, which could not report meanwhile. An
/// unacknowledged lease gets the acknowledgement timeout, an acknowledged
/// one its `reportProgressTimeout`, as if it had just reported; a lease
/// whose deadline was still further off keeps it.
fn refresh_leases(state: &mut State, now: Instant) {
    let default_timeout = state.timing.default_report_progress_timeout;
    let timing = state.timing.clone();
    let State {
        pipelines, leases, ..
    } = state;
    let ids: Vec<String> = pipelines.keys().cloned().collect();
    for pipeline_id in ids {
        let Some(pipeline) = pipelines.get_mut(&pipeline_id) else {
            continue;
        };
        let run = &mut pipeline.run;
        let held: Vec<String> = (run.attempts.iter())
            .filter(|(_, attempt)| attempt.lease.is_some())
            .map(|(id, _)| id.clone())
            .collect();
        for attempt_id in held {
            let timeout = run
                .attempts
                .get(&attempt_id)
                .and_then(|attempt| run.instances.get(&attempt.instance))
                .and_then(|instance| duration(&instance.fields, "reportProgressTimeout"))
                .map_or(default_timeout, |stated| timing.work_deadline(stated));
            let Some(lease) = run
                .attempts
                .get_mut(&attempt_id)
                .and_then(|attempt| attempt.lease.as_mut())
            else {
                continue;
            };
            let window = if lease.acknowledged {
                timeout
            } else {
                timing.ack_timeout
            };
            lease.deadline = lease.deadline.max(now + window);
            leases.insert(
                lease.task_id.clone(),
                AttemptKey {
                    pipeline: pipeline_id.as_str().into(),
                    attempt: attempt_id.as_str().into(),
                },
            );
        }
        let _ = run.attempts.take_changed();
    }
    let _ = pipelines.take_changed();
}
