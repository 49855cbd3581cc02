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
use crate::faults::{Fault, FaultInjector};
use crate::ops::{dispatch, operation};
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
    pub(crate) timing: Timing,
    faults: FaultInjector,
    credentials: Option<Credentials>,
    /// Wakes the timer driver when a timer earlier than the one it sleeps
    /// for was armed.
    timer_wake: Notify,
    /// Trips when the service shuts down: long polls answer at once.
    pub(crate) shutdown: CancellationToken,
}

impl Core {
    pub(crate) fn new(config: &Config) -> Self {
        let clock = Clock::new(config.timing.time_scale);
        Self {
            state: Mutex::new(State::new(
                clock,
                config.timing.clone(),
                config.limits.clone(),
            )),
            timing: config.timing.clone(),
            faults: FaultInjector::new(&config.faults),
            credentials: config.credentials.clone(),
            timer_wake: Notify::new(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Runs `change` under the state lock, and wakes the timer driver if the
    /// change armed a timer earlier than any before.
    pub(crate) fn with_state<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock();
        let before = state.timers.next_due();
        let result = change(&mut state);
        let after = state.timers.next_due();
        drop(state);
        if after.is_some() && (before.is_none() || after < before) {
            self.timer_wake.notify_one();
        }
        result
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
