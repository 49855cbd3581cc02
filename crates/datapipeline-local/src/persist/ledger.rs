//! The lease ledger in the state file: one row per ledger event, written
//! in the transaction of the change it came with, so that the ledger of a
//! restarted service (a SIGKILLed one included) is the ledger of every
//! change the file kept, and only those.
//!
//! A lease's taskId (768 characters) is written once, with its grant;
//! later events name the lease by its grant's place in the ledger.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};

use super::values::WallClock;
use crate::state::ledger::Event;
use crate::state::{AttemptKey, Ledger};

/// The `taskStatus` values a status event may carry.
const TASK_STATUSES: [&str; 3] = ["FINISHED", "FAILED", "FALSE"];

/// One event as written. `lease` is the index of the lease's grant among
/// the ledger's records.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum EventRecord {
    Granted {
        task_id: String,
        pipeline: String,
        attempt: String,
        worker_group: String,
        holder: Option<String>,
    },
    Reported {
        lease: usize,
    },
    StatusAccepted {
        lease: usize,
        status: Option<String>,
    },
    /// `lease` is `None` for a taskId the service never granted.
    StatusFenced {
        lease: Option<usize>,
    },
    Expired {
        lease: usize,
        requeued: bool,
    },
    CancelDelivered {
        lease: usize,
    },
    CanceledLapsed {
        lease: usize,
    },
    PipelineDeleted {
        lease: usize,
    },
    Rerun {
        pipeline: String,
        instance: String,
    },
}

impl EventRecord {
    /// The record of `event`, or `None` for an event about a lease the
    /// ledger never saw granted: replayed, it would change nothing. A
    /// refused status is the exception, written with no lease, because the
    /// ledger counts refusals for unknown taskIds.
    fn new(event: &Event, ledger: &Ledger) -> Option<Self> {
        let lease = |task_id: &str| ledger.lease_index(task_id);
        Some(match event {
            Event::Granted {
                task_id,
                key,
                worker_group,
                holder,
            } => Self::Granted {
                task_id: task_id.to_string(),
                pipeline: key.pipeline.to_string(),
                attempt: key.attempt.to_string(),
                worker_group: worker_group.clone(),
                holder: holder.clone(),
            },
            Event::Reported(task_id) => Self::Reported {
                lease: lease(task_id)?,
            },
            Event::StatusAccepted(task_id, status) => Self::StatusAccepted {
                lease: lease(task_id)?,
                status: status.map(str::to_owned),
            },
            Event::StatusFenced(task_id) => Self::StatusFenced {
                lease: lease(task_id),
            },
            Event::Expired(task_id, requeued) => Self::Expired {
                lease: lease(task_id)?,
                requeued: *requeued,
            },
            Event::CancelDelivered(task_id) => Self::CancelDelivered {
                lease: lease(task_id)?,
            },
            Event::CanceledLapsed(task_id) => Self::CanceledLapsed {
                lease: lease(task_id)?,
            },
            Event::PipelineDeleted(task_id) => Self::PipelineDeleted {
                lease: lease(task_id)?,
            },
            Event::Rerun { pipeline, instance } => Self::Rerun {
                pipeline: pipeline.to_string(),
                instance: instance.clone(),
            },
        })
    }

    /// The event again; `granted` holds the taskIds of the grants read so
    /// far, in order.
    fn event(self, granted: &mut Vec<Arc<str>>) -> Result<Event, String> {
        let task_id = |lease: usize| {
            granted
                .get(lease)
                .cloned()
                .ok_or_else(|| format!("ledger: lease {lease} was never granted"))
        };
        Ok(match self {
            Self::Granted {
                task_id,
                pipeline,
                attempt,
                worker_group,
                holder,
            } => {
                let task_id: Arc<str> = task_id.into();
                granted.push(task_id.clone());
                Event::Granted {
                    task_id,
                    key: AttemptKey {
                        pipeline: pipeline.into(),
                        attempt: attempt.into(),
                    },
                    worker_group,
                    holder,
                }
            }
            Self::Reported { lease } => Event::Reported(task_id(lease)?),
            Self::StatusAccepted { lease, status } => {
                let status = match status {
                    None => None,
                    Some(text) => Some(
                        TASK_STATUSES
                            .into_iter()
                            .find(|known| *known == text)
                            .ok_or_else(|| format!("ledger: unknown taskStatus '{text}'"))?,
                    ),
                };
                Event::StatusAccepted(task_id(lease)?, status)
            }
            // No grant has an empty taskId: replayed, it counts as a
            // status for a taskId never granted, as it did.
            Self::StatusFenced { lease } => {
                Event::StatusFenced(lease.map_or_else(|| Ok(Arc::from("")), task_id)?)
            }
            Self::Expired { lease, requeued } => Event::Expired(task_id(lease)?, requeued),
            Self::CancelDelivered { lease } => Event::CancelDelivered(task_id(lease)?),
            Self::CanceledLapsed { lease } => Event::CanceledLapsed(task_id(lease)?),
            Self::PipelineDeleted { lease } => Event::PipelineDeleted(task_id(lease)?),
            Self::Rerun { pipeline, instance } => Event::Rerun {
                pipeline: pipeline.into(),
                instance,
            },
        })
    }
}

/// Writes the events of `ledger` from the `from`th on, with their
/// wall-clock times.
pub(super) fn write(
    transaction: &Transaction<'_>,
    ledger: &Ledger,
    from: usize,
    wall: WallClock,
) -> Result<(), super::save::Failure> {
    // The rowid numbers the rows in order; a restarted service's log is
    // numbered afresh, so its index is no key.
    let mut insert =
        transaction.prepare_cached("INSERT INTO ledger (at_millis, event) VALUES (?1, ?2)")?;
    for (event, at) in ledger.log().iter().skip(from) {
        let Some(record) = EventRecord::new(event, ledger) else {
            continue;
        };
        let at_millis = wall.millis_at(ledger.started() + *at);
        let body = serde_json::to_string(&record)?;
        insert.execute(params![at_millis, body])?;
    }
    Ok(())
}

/// Reads the ledger back; its times resume from the first event's.
pub(super) fn load(connection: &Connection, wall: WallClock) -> Result<Ledger, String> {
    let rows = connection
        .prepare("SELECT at_millis, event FROM ledger ORDER BY sequence")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|error| format!("ledger: {error}"))?;
    let Some(&(first, _)) = rows.first() else {
        return Ok(Ledger::default());
    };
    let started = wall.instant_at(first);
    let mut granted = Vec::new();
    let mut log = Vec::with_capacity(rows.len());
    for (at_millis, body) in rows {
        let record: EventRecord =
            serde_json::from_str(&body).map_err(|error| format!("ledger: {error}"))?;
        let event = record.event(&mut granted)?;
        let at = u64::try_from(at_millis.saturating_sub(first)).unwrap_or(0);
        log.push((event, Duration::from_millis(at)));
    }
    Ok(Ledger::replayed(log, started))
}
