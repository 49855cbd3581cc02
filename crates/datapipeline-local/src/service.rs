//! The service's core: the state behind its lock, the timer driver, and the
//! request pipeline from bytes to bytes.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Response};
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth;
use crate::clock::Clock;
use crate::config::{Config, Credentials, Timing};
use crate::error::ServiceError;
use crate::error::ServiceResult;
use crate::faults::{Fault, FaultInjector};
use crate::ops::{dispatch, operation};
use crate::persist::{StateError, Store};
use crate::protocol::request::{check_content_type, failure, success, target};
use crate::state::State;

/// What the HTTP layer does with a handled request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Send this response.
    Respond(Response<Bytes>),
    /// Close the connection without a response (an injected fault).
    Drop,
}

/// The shared core of a running service.
#[derive(Debug)]
pub(crate) struct Core {
    /// Everything the service knows; see [`State`] for the locking rules.
    state: Mutex<State>,
    /// The state file, with `--state`. Locked only while `state` is held,
    /// after it, so that commits happen in the order of the changes.
    store: Option<Mutex<Store>>,
    pub(crate) timing: Timing,
    faults: FaultInjector,
    credentials: Option<Credentials>,
    /// Wakes the timer driver when a timer earlier than the one it sleeps
    /// for was armed.
    timer_wake: Notify,
    /// Runs the system-managed preconditions' checks against the S3 store.
    pub(crate) checker: crate::checks::Checker,
    /// Wakes the check driver when the scheduler queued a check.
    pub(crate) check_wake: Notify,
    /// Trips when the service shuts down: long polls answer at once.
    pub(crate) shutdown: CancellationToken,
    /// Where runners copy attempt logs ([`Config::attempt_logs`]), for the
    /// console.
    pub(crate) attempt_logs: Option<String>,
}

impl Core {
    /// A core whose state lives in memory only, whatever `config.state`
    /// says.
    pub(crate) fn new(config: &Config) -> Self {
        let clock = Clock::new(config.timing.time_scale);
        let state = State::new(clock, config.timing.clone(), config.limits.clone());
        Self::assemble(config, state, None)
    }

    /// A core for `config`: with `config.state`, the state file is opened
    /// or created and its state loaded.
    ///
    /// # Errors
    /// A [`StateError`] naming the state file when it cannot be used.
    pub(crate) fn open(config: &Config) -> Result<Self, StateError> {
        let Some(path) = &config.state else {
            return Ok(Self::new(config));
        };
        let (store, state) = Store::open(path, &config.timing, &config.limits)?;
        Ok(Self::assemble(config, state, Some(store)))
    }

    fn assemble(config: &Config, state: State, store: Option<Store>) -> Self {
        Self {
            state: Mutex::new(state),
            store: store.map(Mutex::new),
            timing: config.timing.clone(),
            faults: FaultInjector::new(&config.faults),
            credentials: config.credentials.clone(),
            timer_wake: Notify::new(),
            checker: crate::checks::Checker::new(config.s3.as_ref()),
            check_wake: Notify::new(),
            shutdown: CancellationToken::new(),
            attempt_logs: config.attempt_logs.clone(),
        }
    }

    /// Runs `change` under the state lock, commits what it changed to the
    /// state file (with `--state`) before the lock is released, and wakes
    /// the timer driver if the change armed a timer earlier than any
    /// before. A failed commit is logged; callers whose result goes to a
    /// client use [`Core::with_state_committed`] instead.
    pub(crate) fn with_state<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let (result, committed) = self.locked(change);
        if let Err(error) = committed {
            tracing::error!(%error, "a change could not be committed; it will be retried");
        }
        result
    }

    /// As [`Core::with_state`], for a result a client will be told: when
    /// the change cannot be committed, the client gets InternalFailure
    /// rather than an answer the state file does not back.
    pub(crate) fn with_state_committed<R>(
        &self,
        change: impl FnOnce(&mut State) -> ServiceResult<R>,
    ) -> ServiceResult<R> {
        let (result, committed) = self.locked(change);
        if let Err(error) = committed {
            tracing::error!(%error, "a change could not be committed; it will be retried");
            return Err(ServiceError::Internal(format!(
                "the change could not be saved: {error}"
            )));
        }
        result
    }

    /// Reads the state under its lock, changing nothing and committing
    /// nothing: for the console.
    pub(crate) fn read<R>(&self, look: impl FnOnce(&State) -> R) -> R {
        look(&self.state.lock())
    }

    fn locked<R>(&self, change: impl FnOnce(&mut State) -> R) -> (R, Result<(), StateError>) {
        let mut state = self.state.lock();
        let before = state.timers.next_due();
        let result = change(&mut state);
        let committed = self.commit(&mut state);
        let after = state.timers.next_due();
        let checks_queued = !state.service_checks.is_empty();
        drop(state);
        if after.is_some() && (before.is_none() || after < before) {
            self.timer_wake.notify_one();
        }
        if checks_queued {
            self.check_wake.notify_one();
        }
        (result, committed)
    }

    /// Collects the changes the state recorded and writes them, or drops
    /// them without a state file. On failure they are recorded again, so
    /// the next commit carries them.
    fn commit(&self, state: &mut State) -> Result<(), StateError> {
        let changes = state.take_changes();
        let Some(store) = &self.store else {
            return Ok(());
        };
        let mut store = store.lock();
        if let Err(error) = store.save(state, &changes) {
            state.restore_changes(changes);
            return Err(error);
        }
        Ok(())
    }

    /// Fires timers as they come due, until shutdown.
    pub(crate) async fn drive_timers(self: Arc<Self>) {
        loop {
            let next = self.with_state(|state| state.fire_due(Instant::now()));
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => {}
                () = self.timer_wake.notified() => {}
                () = self.shutdown.cancelled() => return,
            }
        }
    }

    /// Handles one request: target, content type, signature, injected
    /// faults, then the operation.
    pub(crate) async fn handle(
        &self,
        method: &http::Method,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Reply {
        let request_id = uuid::Uuid::new_v4().to_string();
        let respond = |result: Result<serde_json::Value, ServiceError>| {
            Reply::Respond(match result {
                Ok(value) => success(&value, &request_id),
                Err(error) => failure(&error, &request_id),
            })
        };
        if method != http::Method::POST {
            return respond(Err(ServiceError::UnknownOperation(format!(
                "{method} is not supported: every operation is a POST to /"
            ))));
        }
        let operation = match target(headers).and_then(operation) {
            Ok(operation) => operation,
            Err(error) => return respond(Err(error)),
        };
        if let Err(error) = check_content_type(headers) {
            return respond(Err(error));
        }
        if let Some(credentials) = &self.credentials {
            if let Err(error) = auth::verify(credentials, method, headers, body) {
                return respond(Err(error));
            }
        }
        let draw = self.faults.draw(operation.name());
        if let Some(latency) = draw.latency {
            tokio::time::sleep(latency).await;
        }
        match draw.failure {
            Some(Fault::InternalError) => {
                return respond(Err(ServiceError::Internal(format!(
                    "injected fault: {operation} failed"
                ))));
            }
            Some(Fault::Throttle) => {
                return respond(Err(ServiceError::Throttling(format!(
                    "injected fault: {operation} was throttled"
                ))));
            }
            Some(Fault::Drop) => return Reply::Drop,
            _ => {}
        }
        // A request still in flight when the service shut down (held up by
        // injected latency, say) must not change the state afterwards: a
        // service restarted on the same state file has loaded it already,
        // and the client would be told of a change the new service never
        // sees. Dropping the connection makes the client retry there.
        if self.shutdown.is_cancelled() {
            return Reply::Drop;
        }
        let result = dispatch(self, operation, body).await;
        if draw.failure == Some(Fault::DropAfter) {
            return Reply::Drop;
        }
        if let Err(error) = &result {
            tracing::debug!(%operation, code = error.code(), %error, "request refused");
        }
        respond(result)
    }
}
