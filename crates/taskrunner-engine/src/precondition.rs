//! Preconditions are retried inside the runner, as the Java Task Runner does
//! (dp-taskrunner-threading.md): a check that answers FALSE is made again
//! every `retryDelay` until it holds or its `preconditionTimeout` is spent,
//! all within one attempt and one lease.
//!
//! Any activity that answers [`Outcome::PreconditionFalse`] is a
//! precondition: the retry applies to every route, not only to the shell
//! precondition. Its timing is read from the attempt object only after the
//! first FALSE, so an activity is never failed over fields it does not use.
//!
//! - The timeout counts from the start of this attempt's first check, on
//!   this runner's clock. The service counts its own `preconditionTimeout`
//!   from the instance's first start, which is earlier, so by the time this
//!   runner reports FALSE the service's deadline has passed as well and it
//!   fails the instance (errorId `PreconditionTimeout`) instead of retrying
//!   it: the pair never retries twice over (docs/ARCHITECTURE.md,
//!   "Preconditions: who retries").
//! - Without a `preconditionTimeout` the runner checks once and reports
//!   FALSE, and the service's retries (`maximumRetries`, `retryDelay`)
//!   decide what happens next: the runner has no limit to wait against.
//! - The last check is made at the timeout itself, so a precondition that
//!   comes true just before it is still seen.
//! - Cancellation (service cancel, lost lease, shutdown) and the
//!   `attemptTimeout` rule the whole loop: the wait between checks ends at
//!   once when the attempt's token trips.

use std::future::Future;
use std::time::Duration;

use taskrunner_activity::{Cancelled, Failure, FieldsError, Outcome, Route, TaskContext};
use taskrunner_api::{parse_period, Task};
use tokio::time::Instant;

/// The wait between two checks when the precondition sets no `retryDelay`:
/// the service's own default (10 minutes), so a precondition waits the same
/// whichever side retries it. The Guide's field tables give no default.
pub const DEFAULT_PRECONDITION_RETRY_DELAY: Duration = Duration::from_secs(10 * 60);

/// When a precondition is checked again, from its task's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryTiming {
    /// The wait between two checks.
    pub(crate) retry_delay: Duration,
    /// How long after the first check the last one is made; `None`: check
    /// once.
    pub(crate) timeout: Option<Duration>,
}

impl RetryTiming {
    /// Reads `retryDelay` and `preconditionTimeout` from the attempt object,
    /// dividing both by `time_scale` (1.0 outside `taskrunner local`, where
    /// the service compresses pipeline time and the runner follows it).
    ///
    /// # Errors
    ///
    /// A [`FieldsError::InvalidValue`] naming the field whose value is not a
    /// period.
    pub(crate) fn of(task: &Task, time_scale: f64) -> Result<Self, FieldsError> {
        let read = |key: &str| -> Result<Option<Duration>, FieldsError> {
            let Some(text) = task.attempt().and_then(|attempt| attempt.field(key)) else {
                return Ok(None);
            };
            let period = parse_period(text).map_err(|error| FieldsError::InvalidValue {
                field: key.to_owned(),
                problem: error.to_string(),
            })?;
            Ok(Some(scaled(period, time_scale)))
        };
        Ok(Self {
            retry_delay: read("retryDelay")?
                .unwrap_or_else(|| scaled(DEFAULT_PRECONDITION_RETRY_DELAY, time_scale)),
            timeout: read("preconditionTimeout")?,
        })
    }
}

/// `period` divided by `time_scale`; a scale that is not a positive finite
/// number leaves it as it is.
fn scaled(period: Duration, time_scale: f64) -> Duration {
    if time_scale.is_finite() && time_scale > 0.0 {
        period.div_f64(time_scale)
    } else {
        period
    }
}

/// Runs `route` for `context` and, while it answers FALSE, again every
/// `retryDelay` until it holds or its `preconditionTimeout` is spent; see
/// the module docs.
///
/// # Errors
///
/// What the activity fails with; an `InvalidTaskFields` failure for an
/// unreadable `retryDelay` or `preconditionTimeout`; the [`Cancelled`]
/// failure when the attempt is cancelled between checks.
///
/// A function answering an `async` block rather than an `async fn`: the
/// block keeps each argument once, where an `async fn` keeps a second copy
/// of each for its whole run (a held lease keeps this future).
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice (see above)"
)]
pub(crate) fn check_until_holds(
    route: &Route,
    context: TaskContext,
    time_scale: f64,
) -> impl Future<Output = Outcome> + Send + '_ {
    async move {
        let started = Instant::now();
        // Matched, not kept in a variable: one would hold its place in the
        // future through the retries below.
        match route.call(context.clone()).await {
            Outcome::PreconditionFalse => {}
            outcome => return outcome,
        }
        // Boxed: the retries' state (a second call, the timer, the wait for
        // cancellation) would otherwise sit in every task's future for as
        // long as its handler runs, though only a precondition that answered
        // FALSE needs it: boxing it took ~0.45 KiB off each held lease
        // (docs/PERFORMANCE.md, leases).
        Box::pin(retry_until_holds(route, context, time_scale, started)).await
    }
}

/// The retries of [`check_until_holds`] after a first FALSE at `started`.
async fn retry_until_holds(
    route: &Route,
    context: TaskContext,
    time_scale: f64,
    started: Instant,
) -> Outcome {
    let first = Outcome::PreconditionFalse;
    let timing = match RetryTiming::of(context.task(), time_scale) {
        Ok(timing) => timing,
        Err(error) => return Failure::from(error).into(),
    };
    let Some(timeout) = timing.timeout else {
        return first;
    };
    let deadline = started + timeout;
    let mut checks = 1_u32;
    loop {
        let now = Instant::now();
        if now >= deadline {
            tracing::info!(
                checks,
                ?timeout,
                "the precondition did not hold within its preconditionTimeout"
            );
            return Outcome::PreconditionFalse;
        }
        let next = (now + timing.retry_delay).min(deadline);
        tracing::debug!(checks, wait = ?(next - now), "the precondition does not hold yet; checking again");
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            reason = context.cancelled() => return Failure::from(Cancelled::new(reason)).into(),
        }
        checks += 1;
        match route.call(context.clone()).await {
            Outcome::PreconditionFalse => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests;
