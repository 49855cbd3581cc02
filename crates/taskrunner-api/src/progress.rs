//! [`ProgressSink`]: fields an activity wants on the next progress report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use crate::Field;

/// Where an activity leaves fields for the lease manager to attach to its
/// next ReportTaskProgress call.
///
/// Setting a key replaces its earlier value; the sink keeps the latest value
/// of each key and every report carries all of them. Clones share the sink.
///
/// ```
/// use taskrunner_api::{Field, ProgressSink};
///
/// let sink = ProgressSink::new();
/// sink.set("myRowsCopied", "100");
/// sink.set("myPhase", "copy");
/// sink.set("myRowsCopied", "250");
/// assert_eq!(
///     sink.snapshot(),
///     [Field::string("myPhase", "copy"), Field::string("myRowsCopied", "250")]
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProgressSink {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Latest value per key; a `BTreeMap` so snapshots are sorted and stable.
    fields: Mutex<BTreeMap<String, String>>,
    /// Signalled by [`ProgressSink::request_report`] when no route is set.
    /// `Notify` keeps one permit, so a request made while the lease is busy
    /// is not lost.
    report_requested: Notify,
    /// Where requests go instead, when the lease manager set a route.
    route: Mutex<Option<RequestRoute>>,
}

/// A callback taking report requests (see [`ProgressSink::route_requests`]).
struct RequestRoute(Box<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for RequestRoute {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RequestRoute")
    }
}

impl ProgressSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` for the next and later reports.
    pub fn set(&self, key: impl Into<String>, value: impl Into<String>) {
        self.fields().insert(key.into(), value.into());
    }

    /// Removes `key`; later reports no longer carry it.
    pub fn remove(&self, key: &str) {
        self.fields().remove(key);
    }

    /// The fields for the next report, sorted by key.
    pub fn snapshot(&self) -> Vec<Field> {
        self.fields()
            .iter()
            .map(|(key, value)| Field::string(key.clone(), value.clone()))
            .collect()
    }

    /// Asks the lease manager to send a report soon rather than at the next
    /// interval (it still honours its call budget).
    pub fn request_report(&self) {
        let route = self
            .inner
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match route.as_ref() {
            Some(RequestRoute(route)) => route(),
            None => self.inner.report_requested.notify_one(),
        }
    }

    /// Completes when [`ProgressSink::request_report`] was called since the
    /// last time this completed, while no route is set. Cancel-safe.
    pub async fn report_requested(&self) {
        self.inner.report_requested.notified().await;
    }

    /// Sends later [`ProgressSink::request_report`] calls to `route` instead
    /// of waking [`ProgressSink::report_requested`]; a later route replaces
    /// an earlier one. For the lease manager: a callback costs a lease a few
    /// bytes where a future waiting on every sink would cost hundreds.
    pub fn route_requests(&self, route: impl Fn() + Send + Sync + 'static) {
        *self
            .inner
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(RequestRoute(Box::new(route)));
    }

    fn fields(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every operation is a single insert/remove), so poisoning is ignored.
        self.inner
            .fields
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_drops_the_key() {
        let sink = ProgressSink::new();
        sink.set("a", "1");
        sink.clone().remove("a");
        assert!(sink.snapshot().is_empty());
    }

    #[test]
    fn a_route_takes_the_requests() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let sink = ProgressSink::new();
        let taken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&taken);
        sink.route_requests(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        sink.request_report();
        sink.clone().request_report();
        assert_eq!(taken.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn request_before_wait_is_kept() {
        let sink = ProgressSink::new();
        sink.request_report();
        tokio::time::timeout(std::time::Duration::from_secs(1), sink.report_requested())
            .await
            .expect("the stored permit completes the wait");
    }
}
