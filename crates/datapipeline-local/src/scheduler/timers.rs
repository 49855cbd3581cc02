//! Firing due timers.

use tokio::time::Instant;

use crate::state::{State, TimerEvent};

/// At most this many timers fire per lock hold, so that a burst of expiries
/// (thousands of leases lapsing together) never starves requests.
const TIMERS_PER_TURN: usize = 256;

impl State {
    /// Fires the timers due at `now`, a bounded number per call; answers
    /// when to call again.
    pub(crate) fn fire_due(&mut self, now: Instant) -> Option<Instant> {
        for _ in 0..TIMERS_PER_TURN {
            let Some(event) = self.timers.pop_due(now) else {
                return self.timers.next_due();
            };
            match event {
                TimerEvent::LeaseDeadline { task_id } => self.expire_lease(&task_id, now),
                TimerEvent::AttemptTimeout {
                    pipeline,
                    attempt,
                    task_id,
                } => {
                    self.time_out_attempt(&pipeline, &attempt, &task_id);
                }
                TimerEvent::Retry { pipeline, instance } => {
                    if let Ok(mut scheduler) = self.scheduler(&pipeline) {
                        scheduler.retry_due(&instance);
                    }
                }
                TimerEvent::Schedule {
                    pipeline,
                    component,
                } => {
                    if let Ok(mut scheduler) = self.scheduler(&pipeline) {
                        if scheduler.pipeline.state
                            == crate::state::pipeline::PipelineState::Scheduled
                        {
                            scheduler.schedule_component(&component);
                        }
                    }
                }
            }
        }
        Some(now)
    }
}
