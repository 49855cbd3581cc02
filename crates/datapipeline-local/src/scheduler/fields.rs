//! Reading the fields the scheduler acts on.

use std::time::Duration;

use crate::definition::Period;
use crate::model::{Field, FieldValue};

/// The first value of `key`.
pub(crate) fn first<'a>(fields: &'a [Field], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|field| field.key == key)
        .map(|field| field.value.as_str())
}

/// Every reference value of `key`.
pub(crate) fn refs<'a>(fields: &'a [Field], key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |field| field.key == key)
        .filter_map(|field| match &field.value {
            FieldValue::Ref(id) => Some(id.as_str()),
            FieldValue::String(_) => None,
        })
}

/// A duration field in Data Pipeline's form (`"10 minutes"`), in pipeline
/// time; `None` when absent or unreadable (validation reports the latter).
pub(crate) fn duration(fields: &[Field], key: &str) -> Option<Duration> {
    first(fields, key)
        .and_then(|text| Period::parse(text).ok())
        .map(|period| period.approximate())
}

/// `maximumRetries`, defaulting to 2 as the Developer Guide states, capped at
/// the documented maximum of 5.
pub(crate) fn maximum_retries(fields: &[Field]) -> u32 {
    first(fields, "maximumRetries")
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(2)
        .min(5)
}

/// `retryDelay` in pipeline time, defaulting to 10 minutes as documented.
pub(crate) fn retry_delay(fields: &[Field]) -> Duration {
    duration(fields, "retryDelay").unwrap_or(Duration::from_secs(600))
}

/// The worker group an object's tasks go to: its `runsOn` resource id when
/// set (a resource's runner polls with the resource's id as worker group in
/// this service), else its `workerGroup`.
pub(crate) fn worker_group(fields: &[Field]) -> Option<String> {
    refs(fields, "runsOn")
        .next()
        .or_else(|| first(fields, "workerGroup"))
        .map(str::to_owned)
}
