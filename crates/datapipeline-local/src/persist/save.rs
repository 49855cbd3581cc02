//! Writing one critical section's changes in one transaction.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Transaction};
use serde::Serialize;

use super::meta::{runners_fingerprint, AuditRecord, RegistryRecord, RunnersRecord};
use super::records::{AttemptRecord, DefinitionsRecord, HeaderRecord, InstanceRecord, TimerRecord};
use super::values::WallClock;
use super::{StateError, Store, StoreResult};
use crate::state::changes::{PipelineChanges, StateChanges};
use crate::state::queue::QueueChange;
use crate::state::timers::TimerChange;
use crate::state::State;

impl Store {
    /// Writes `changes`, read from `state`, in one transaction; does
    /// nothing when nothing changed.
    pub(crate) fn save(&mut self, state: &State, changes: &StateChanges) -> StoreResult<()> {
        let runners = runners_fingerprint(state);
        let audit_changed = state.audit != self.saved_audit;
        let runners_changed = runners != self.saved_runners;
        let ledger_length = state.ledger.log().len();
        let ledger_changed = ledger_length > self.saved_ledger;
        if changes.is_empty() && !audit_changed && !runners_changed && !ledger_changed {
            return Ok(());
        }
        let wall = WallClock::now();
        let Self {
            path,
            connection,
            saved_headers,
            saved_ledger,
            ..
        } = self;
        let mut written_headers = Vec::new();
        let writing = |error: &dyn std::fmt::Display| StateError::Write {
            path: path.clone(),
            reason: error.to_string(),
        };
        let transaction = connection.transaction().map_err(|error| writing(&error))?;
        let written = write(
            &transaction,
            state,
            changes,
            wall,
            saved_headers,
            &mut written_headers,
        )
        .and_then(|()| {
            if audit_changed {
                put_meta(&transaction, "audit", &AuditRecord::new(&state.audit))?;
            }
            if runners_changed {
                put_meta(&transaction, "runners", &RunnersRecord::new(state))?;
            }
            if ledger_changed {
                super::ledger::write(&transaction, &state.ledger, *saved_ledger, wall)?;
            }
            Ok(())
        })
        .and_then(|()| transaction.commit().map_err(Failure::from));
        written.map_err(|failure| match failure {
            Failure::Sqlite(error) => writing(&error),
            Failure::Json(error) => writing(&error),
        })?;
        for (id, header) in written_headers {
            if header.is_empty() {
                saved_headers.remove(&id);
            } else {
                saved_headers.insert(id, header);
            }
        }
        self.saved_audit = state.audit;
        self.saved_runners = runners;
        self.saved_ledger = ledger_length;
        Ok(())
    }
}

/// What stopped a write.
#[derive(Debug)]
pub(super) enum Failure {
    Sqlite(rusqlite::Error),
    Json(serde_json::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Self::Json(error)
    }
}

fn write(
    transaction: &Transaction<'_>,
    state: &State,
    changes: &StateChanges,
    wall: WallClock,
    saved_headers: &HashMap<String, String>,
    written_headers: &mut Vec<(String, String)>,
) -> Result<(), Failure> {
    for pipeline in &changes.pipelines {
        write_pipeline(
            transaction,
            state,
            pipeline,
            wall,
            saved_headers,
            written_headers,
        )?;
    }
    if changes.registry {
        put_meta(transaction, "registry", &RegistryRecord::new(state))?;
    }
    write_queues(transaction, &changes.queues)?;
    write_timers(transaction, &changes.timers, wall)?;
    Ok(())
}

fn put_meta(
    transaction: &Transaction<'_>,
    key: &str,
    record: &impl Serialize,
) -> Result<(), Failure> {
    let body = serde_json::to_string(record)?;
    transaction
        .prepare_cached("INSERT OR REPLACE INTO meta (key, body) VALUES (?1, ?2)")?
        .execute(params![key, body])?;
    Ok(())
}

/// Writes one pipeline's changed rows. Headers written are added to
/// `written_headers` (an empty one for a deleted pipeline), to be
/// remembered in `saved_headers` once the transaction commits.
fn write_pipeline(
    transaction: &Transaction<'_>,
    state: &State,
    changes: &PipelineChanges,
    wall: WallClock,
    saved_headers: &HashMap<String, String>,
    written_headers: &mut Vec<(String, String)>,
) -> Result<(), Failure> {
    let id = changes.id.as_str();
    let Some(pipeline) = state.pipelines.get(id) else {
        written_headers.push((id.to_owned(), String::new()));
        for table in ["pipelines", "definitions", "instances", "attempts"] {
            let column = if table == "pipelines" {
                "id"
            } else {
                "pipeline"
            };
            transaction
                .prepare_cached(&format!("DELETE FROM {table} WHERE {column} = ?1"))?
                .execute([id])?;
        }
        return Ok(());
    };
    let header = serde_json::to_string(&HeaderRecord::new(pipeline))?;
    // Most calls touch a pipeline without changing its header: skip the
    // write when the file has it already.
    if saved_headers.get(id) != Some(&header) {
        transaction
            .prepare_cached(
                "INSERT INTO pipelines (id, header) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET header = excluded.header",
            )?
            .execute(params![id, &header])?;
        written_headers.push((id.to_owned(), header));
    }
    if changes.definitions {
        let body = serde_json::to_string(&DefinitionsRecord::new(pipeline))?;
        transaction
            .prepare_cached("INSERT OR REPLACE INTO definitions (pipeline, body) VALUES (?1, ?2)")?
            .execute(params![id, body])?;
    }
    for instance_id in &changes.instances {
        match pipeline.run.instances.get(instance_id) {
            Some(instance) => {
                let body = serde_json::to_string(&InstanceRecord::new(instance))?;
                transaction
                    .prepare_cached(
                        "INSERT INTO instances (pipeline, id, body) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (pipeline, id) DO UPDATE SET body = excluded.body",
                    )?
                    .execute(params![id, instance_id, body])?;
            }
            None => {
                transaction
                    .prepare_cached("DELETE FROM instances WHERE pipeline = ?1 AND id = ?2")?
                    .execute(params![id, instance_id])?;
            }
        }
    }
    for attempt_id in &changes.attempts {
        match pipeline.run.attempts.get(attempt_id) {
            Some(attempt) => {
                let body = serde_json::to_string(&AttemptRecord::new(attempt, wall))?;
                transaction
                    .prepare_cached(
                        "INSERT INTO attempts (pipeline, id, body) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (pipeline, id) DO UPDATE SET body = excluded.body",
                    )?
                    .execute(params![id, attempt_id, body])?;
            }
            None => {
                transaction
                    .prepare_cached("DELETE FROM attempts WHERE pipeline = ?1 AND id = ?2")?
                    .execute(params![id, attempt_id])?;
            }
        }
    }
    Ok(())
}

/// Applies queue pushes and pops in order; an entry pushed and popped in
/// the same critical section never reaches the file.
fn write_queues(transaction: &Transaction<'_>, changes: &[QueueChange]) -> Result<(), Failure> {
    let popped: HashSet<u64> = changes
        .iter()
        .filter_map(|change| match change {
            QueueChange::Popped { sequence } => Some(*sequence),
            QueueChange::Pushed { .. } => None,
        })
        .collect();
    let mut pushed = HashSet::new();
    for change in changes {
        match change {
            QueueChange::Pushed {
                sequence,
                worker_group,
                key,
            } => {
                pushed.insert(*sequence);
                if !popped.contains(sequence) {
                    transaction
                        .prepare_cached(
                            "INSERT OR REPLACE INTO queue (sequence, worker_group, pipeline, attempt) \
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![
                            sequence_value(*sequence),
                            worker_group,
                            &*key.pipeline,
                            &*key.attempt
                        ])?;
                }
            }
            QueueChange::Popped { sequence } => {
                if !pushed.contains(sequence) {
                    transaction
                        .prepare_cached("DELETE FROM queue WHERE sequence = ?1")?
                        .execute([sequence_value(*sequence)])?;
                }
            }
        }
    }
    Ok(())
}

/// Applies timers armed and fired in order; a timer armed and fired in the
/// same critical section never reaches the file.
fn write_timers(
    transaction: &Transaction<'_>,
    changes: &[TimerChange],
    wall: WallClock,
) -> Result<(), Failure> {
    let fired: HashSet<u64> = changes
        .iter()
        .filter_map(|change| match change {
            TimerChange::Fired { sequence } => Some(*sequence),
            TimerChange::Armed { .. } => None,
        })
        .collect();
    let mut armed = HashSet::new();
    for change in changes {
        match change {
            TimerChange::Armed {
                sequence,
                at,
                event,
            } => {
                armed.insert(*sequence);
                if !fired.contains(sequence) {
                    let event = serde_json::to_string(&TimerRecord::new(event))?;
                    transaction
                        .prepare_cached(
                            "INSERT OR REPLACE INTO timers (sequence, due_millis, event) \
                             VALUES (?1, ?2, ?3)",
                        )?
                        .execute(params![
                            sequence_value(*sequence),
                            wall.millis_at(*at),
                            event
                        ])?;
                }
            }
            TimerChange::Fired { sequence } => {
                if !armed.contains(sequence) {
                    transaction
                        .prepare_cached("DELETE FROM timers WHERE sequence = ?1")?
                        .execute([sequence_value(*sequence)])?;
                }
            }
        }
    }
    Ok(())
}

/// SQLite integers are signed; sequences stay far below `i64::MAX`.
fn sequence_value(sequence: u64) -> i64 {
    i64::try_from(sequence).unwrap_or(i64::MAX)
}
