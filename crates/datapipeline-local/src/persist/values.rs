//! The small values every stored row is made of: fields, objects,
//! definitions, statuses, times, and instants as wall-clock milliseconds.
//!
//! The state file has its own serde types rather than derives on the
//! service's types, so that the file's format is spelled out in one place
//! and a change to an in-memory type cannot change it unnoticed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::definition::{Definition, ParameterAttribute, ParameterObject, ParameterValue};
use crate::model::{Field, FieldValue, PipelineObject, Status};

/// A field: a string value or a reference.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FieldRecord {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

impl FieldRecord {
    pub(super) fn new(field: &Field) -> Self {
        let (string, reference) = match &field.value {
            FieldValue::String(value) => (Some(value.clone()), None),
            FieldValue::Ref(id) => (None, Some(id.clone())),
        };
        Self {
            key: field.key.clone(),
            string,
            reference,
        }
    }

    pub(super) fn field(self) -> Field {
        let value = match (self.string, self.reference) {
            (_, Some(id)) => FieldValue::Ref(id),
            (string, None) => FieldValue::String(string.unwrap_or_default()),
        };
        Field {
            key: self.key,
            value,
        }
    }
}

pub(super) fn field_records(fields: &[Field]) -> Vec<FieldRecord> {
    fields.iter().map(FieldRecord::new).collect()
}

pub(super) fn fields(records: Vec<FieldRecord>) -> Vec<Field> {
    records.into_iter().map(FieldRecord::field).collect()
}

/// A pipeline object.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ObjectRecord {
    id: String,
    name: String,
    fields: Vec<FieldRecord>,
}

impl ObjectRecord {
    pub(super) fn new(object: &PipelineObject) -> Self {
        Self {
            id: object.id.clone(),
            name: object.name.clone(),
            fields: field_records(&object.fields),
        }
    }

    pub(super) fn object(self) -> PipelineObject {
        PipelineObject {
            id: self.id,
            name: self.name,
            fields: fields(self.fields),
        }
    }
}

/// A whole definition: objects, parameter declarations, parameter values.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct DefinitionRecord {
    objects: Vec<ObjectRecord>,
    /// (parameter id, [(attribute key, value)]).
    parameter_objects: Vec<(String, Vec<(String, String)>)>,
    /// (parameter id, value).
    parameter_values: Vec<(String, String)>,
}

impl DefinitionRecord {
    pub(super) fn new(definition: &Definition) -> Self {
        Self {
            objects: definition.objects.iter().map(ObjectRecord::new).collect(),
            parameter_objects: definition
                .parameter_objects
                .iter()
                .map(|parameter| {
                    let attributes = parameter
                        .attributes
                        .iter()
                        .map(|attribute| (attribute.key.clone(), attribute.value.clone()))
                        .collect();
                    (parameter.id.clone(), attributes)
                })
                .collect(),
            parameter_values: definition
                .parameter_values
                .iter()
                .map(|value| (value.id.clone(), value.value.clone()))
                .collect(),
        }
    }

    pub(super) fn definition(self) -> Definition {
        Definition {
            objects: self.objects.into_iter().map(ObjectRecord::object).collect(),
            parameter_objects: self
                .parameter_objects
                .into_iter()
                .map(|(id, attributes)| {
                    let attributes = attributes
                        .into_iter()
                        .map(|(key, value)| ParameterAttribute::new(key, value))
                        .collect();
                    ParameterObject::new(id, attributes)
                })
                .collect(),
            parameter_values: self
                .parameter_values
                .into_iter()
                .map(|(id, value)| ParameterValue::new(id, value))
                .collect(),
        }
    }
}

/// Every status, by a name of its own: the wire name is not enough
/// (WAITING_TO_RETRY shows as WAITING_ON_DEPENDENCIES).
const STATUSES: &[(Status, &str)] = &[
    (Status::WaitingOnDependencies, "waiting_on_dependencies"),
    (Status::WaitingForRunner, "waiting_for_runner"),
    (Status::Running, "running"),
    (Status::WaitingToRetry, "waiting_to_retry"),
    (Status::Finished, "finished"),
    (Status::Failed, "failed"),
    (Status::CascadeFailed, "cascade_failed"),
    (Status::Canceled, "canceled"),
    (Status::TimedOut, "timed_out"),
    (Status::Paused, "paused"),
    (Status::Skipped, "skipped"),
];

pub(super) fn status_name(status: Status) -> String {
    STATUSES
        .iter()
        .find(|(known, _)| *known == status)
        .map_or("unknown", |(_, name)| name)
        .to_owned()
}

pub(super) fn status(name: &str) -> Result<Status, String> {
    STATUSES
        .iter()
        .find(|(_, known)| *known == name)
        .map(|(status, _)| *status)
        .ok_or_else(|| format!("unknown status '{name}'"))
}

/// The stored form of a pipeline time: lossless, sub-seconds included.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";

pub(super) fn time_text(time: NaiveDateTime) -> String {
    time.format(TIME_FORMAT).to_string()
}

pub(super) fn time(text: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .map_err(|error| format!("'{text}' is not a time: {error}"))
}

pub(super) fn optional_time(text: Option<&str>) -> Result<Option<NaiveDateTime>, String> {
    text.map(time).transpose()
}

/// Maps tokio instants to wall-clock milliseconds since the Unix epoch and
/// back, around one reading of both clocks: instants do not survive a
/// restart, wall-clock time does.
#[derive(Debug, Clone, Copy)]
pub(super) struct WallClock {
    instant: Instant,
    millis: i64,
}

impl WallClock {
    /// Both clocks now.
    pub(super) fn now() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Self {
            instant: Instant::now(),
            millis: i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// The tokio instant now.
    pub(super) fn instant(self) -> Instant {
        self.instant
    }

    /// Wall-clock milliseconds since the epoch now.
    pub(super) fn millis(self) -> i64 {
        self.millis
    }

    /// The wall-clock time of `instant`, in milliseconds since the epoch.
    pub(super) fn millis_at(self, instant: Instant) -> i64 {
        let offset = |duration: Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        if instant >= self.instant {
            self.millis.saturating_add(offset(instant - self.instant))
        } else {
            self.millis.saturating_sub(offset(self.instant - instant))
        }
    }

    /// The instant of wall-clock time `millis`; times already passed map to
    /// now or a little before.
    pub(super) fn instant_at(self, millis: i64) -> Instant {
        let ahead = millis.saturating_sub(self.millis);
        let offset = Duration::from_millis(ahead.unsigned_abs());
        if ahead >= 0 {
            self.instant + offset
        } else {
            self.instant.checked_sub(offset).unwrap_or(self.instant)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_stored_name_that_reads_back() {
        for (known, _) in STATUSES {
            assert_eq!(status(&status_name(*known)), Ok(*known));
        }
        assert!(status("bogus").is_err());
    }

    #[test]
    fn times_and_instants_round_trip() {
        let text = "2026-11-29T21:40:06.250";
        assert_eq!(time_text(time(text).unwrap()), text);
        let clock = WallClock::now();
        let later = clock.instant + Duration::from_millis(1500);
        assert_eq!(clock.instant_at(clock.millis_at(later)), later);
    }
}
