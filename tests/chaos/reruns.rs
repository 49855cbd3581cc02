//! The reruns of a chaos run: every instance of a component planned for it
//! ([`Component::rerun`](super::workload::Component)) gets SetStatus RERUN
//! once the harness sees it FINISHED, and must then finish again. The
//! service's ledger must count each as a rerun of a finished instance, and
//! no finished instance may run again any other way.

use aws_sdk_datapipeline::Client;

use super::watched::Watched;
use super::workload::Submitted;

/// The instances still to rerun, and how many RERUNs were sent.
pub(crate) struct Reruns {
    pending: Vec<Watched>,
    /// RERUNs sent, each of an instance seen FINISHED.
    pub(crate) sent: usize,
}

impl Reruns {
    /// The reruns planned for `pipelines`.
    pub(crate) fn new(pipelines: &[Submitted]) -> Self {
        Self {
            pending: Watched::choose(pipelines, |component| component.rerun),
            sent: 0,
        }
    }

    /// Whether every planned rerun was sent.
    pub(crate) fn done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Reruns the planned instances seen FINISHED.
    pub(crate) async fn tick(&mut self, client: &Client) {
        for watched in &mut self.pending {
            let Some((instances, described)) = watched.take(client).await else {
                continue;
            };
            let (rerun, left): (Vec<String>, Vec<String>) = instances.into_iter().partition(|id| {
                described
                    .get(id)
                    .is_some_and(|described| described.status == "FINISHED")
            });
            if !rerun.is_empty() {
                // Only a RERUN that took effect is answered 200: the
                // injected faults refuse a call before it changes anything.
                watched.set_status(client, &rerun, "RERUN").await;
                self.sent += rerun.len();
            }
            watched.keep(left);
        }
        self.pending.retain(|watched| !watched.finished());
    }
}
