//! The cancellations of a chaos run. Every instance of a kind the harness
//! cancels ([`Kind::canceled`]) gets SetStatus TRY_CANCEL as soon as the
//! harness sees it RUNNING, so that its runner must stop a live attempt
//! on `canceled: true`; whatever has not run by [`CANCEL_ALL_AFTER`] is
//! canceled then, before or between attempts.
//!
//! A deactivation with `cancelActive` cancels such an instance too, and the
//! reactivation runs it again: so an instance that ended is let go only
//! once every deactivation is over.

use std::time::Duration;

use aws_sdk_datapipeline::Client;
use tokio::time::Instant;

use super::verdict::END_STATES;
use super::watched::Watched;
use super::workload::Submitted;

/// When every instance still to cancel is canceled, whatever its state:
/// well before a canceled `sleep 30` could end on its own.
const CANCEL_ALL_AFTER: Duration = Duration::from_secs(8);

/// The instances still to cancel, and what was sent.
pub(crate) struct Cancels {
    pending: Vec<Watched>,
    started: Instant,
    /// Cancellations sent to RUNNING instances.
    pub(crate) while_running: usize,
    /// Cancellations sent to instances in any other state.
    pub(crate) otherwise: usize,
}

impl Cancels {
    /// The cancellations planned for `pipelines`, counted from now.
    pub(crate) fn new(pipelines: &[Submitted]) -> Self {
        Self {
            pending: Watched::choose(pipelines, |component| component.kind.canceled()),
            started: Instant::now(),
            while_running: 0,
            otherwise: 0,
        }
    }

    /// Whether every planned cancellation was sent and has held.
    pub(crate) fn done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Looks at the instances still to cancel and cancels those RUNNING,
    /// or all of them once [`CANCEL_ALL_AFTER`] has passed. `settled`: no
    /// deactivation is under way or to come, so an instance that ended
    /// stays ended.
    pub(crate) async fn tick(&mut self, client: &Client, settled: bool) {
        let all = self.started.elapsed() >= CANCEL_ALL_AFTER;
        for watched in &mut self.pending {
            let Some((instances, described)) = watched.take(client).await else {
                continue;
            };
            let mut cancel = Vec::new();
            let mut left = Vec::new();
            for id in instances {
                let status = described.get(&id).map_or("", |d| d.status.as_str());
                if END_STATES.contains(&status) {
                    if settled {
                        continue;
                    }
                } else if status == "RUNNING" {
                    self.while_running += 1;
                    cancel.push(id.clone());
                } else if all {
                    self.otherwise += 1;
                    cancel.push(id.clone());
                }
                // Watched until it has ended and no deactivation can bring
                // it back.
                left.push(id);
            }
            if !cancel.is_empty() {
                // TRY_CANCEL of an instance that ended meanwhile, or a retry
                // of one that went through, changes nothing.
                watched.set_status(client, &cancel, "TRY_CANCEL").await;
            }
            watched.keep(left);
        }
        self.pending.retain(|watched| !watched.finished());
    }
}
