//! The cancellations of a chaos run. Every instance of a kind the harness
//! cancels ([`Kind::canceled`]) gets SetStatus TRY_CANCEL as soon as the
//! harness sees it RUNNING, so that its runner must stop a live attempt
//! on `canceled: true`; whatever has not run by [`CANCEL_ALL_AFTER`] is
//! canceled then, before or between attempts.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_datapipeline::Client;
use tokio::time::Instant;

use super::observe::{self, retried};
use super::verdict::END_STATES;
use super::workload::Submitted;

/// When every instance still to cancel is canceled, whatever its state:
/// well before a canceled `sleep 30` could end on its own.
const CANCEL_ALL_AFTER: Duration = Duration::from_secs(8);

/// The instances still to cancel, and what was sent.
pub(crate) struct Cancels {
    /// Per pipeline: its id, the components to cancel, and their
    /// instances once known.
    pending: Vec<Pending>,
    started: Instant,
    /// Instances canceled while RUNNING.
    pub(crate) while_running: usize,
    /// Instances canceled in any other state.
    pub(crate) otherwise: usize,
}

struct Pending {
    pipeline: String,
    components: BTreeSet<String>,
    /// Instance ids still to cancel; `None` until listed.
    instances: Option<Vec<String>>,
}

impl Cancels {
    /// The cancellations planned for `pipelines`, counted from now.
    pub(crate) fn new(pipelines: &[Submitted]) -> Self {
        let pending = pipelines
            .iter()
            .map(|pipeline| Pending {
                pipeline: pipeline.id.clone(),
                components: pipeline
                    .plan
                    .components
                    .iter()
                    .filter(|component| component.kind.canceled())
                    .map(|component| component.id.clone())
                    .collect(),
                instances: None,
            })
            .filter(|pending| !pending.components.is_empty())
            .collect();
        Self {
            pending,
            started: Instant::now(),
            while_running: 0,
            otherwise: 0,
        }
    }

    /// Whether every planned cancellation was sent.
    pub(crate) fn done(&self) -> bool {
        self.pending.is_empty()
    }

    /// Looks at the instances still to cancel and cancels those RUNNING,
    /// or all of them once [`CANCEL_ALL_AFTER`] has passed.
    pub(crate) async fn tick(&mut self, client: &Client) {
        let all = self.started.elapsed() >= CANCEL_ALL_AFTER;
        for pending in &mut self.pending {
            let (instances, described) = match pending.instances.take() {
                Some(instances) => {
                    let described = observe::describe(client, &pending.pipeline, &instances).await;
                    (instances, described)
                }
                None => {
                    let listed = observe::objects(client, &pending.pipeline, "INSTANCE").await;
                    let ids: Vec<String> = listed
                        .iter()
                        .filter(|(_, described)| pending.components.contains(&described.component))
                        .map(|(id, _)| id.clone())
                        .collect();
                    if ids.len() < pending.components.len() {
                        // Not every instance exists yet: list again later.
                        continue;
                    }
                    (ids, listed)
                }
            };
            let mut cancel = Vec::new();
            let mut left = Vec::new();
            for id in instances {
                let status = described.get(&id).map_or("", |d| d.status.as_str());
                if END_STATES.contains(&status) {
                    continue;
                }
                if status == "RUNNING" {
                    self.while_running += 1;
                    cancel.push(id);
                } else if all {
                    self.otherwise += 1;
                    cancel.push(id);
                } else {
                    left.push(id);
                }
            }
            if !cancel.is_empty() {
                // TRY_CANCEL of an instance that ended meanwhile, or a retry
                // of one that went through, changes nothing.
                retried("SetStatus TRY_CANCEL", || {
                    client
                        .set_status()
                        .pipeline_id(&pending.pipeline)
                        .set_object_ids(Some(cancel.clone()))
                        .status("TRY_CANCEL")
                        .send()
                })
                .await;
            }
            pending.instances = Some(left);
        }
        self.pending.retain(|pending| {
            pending
                .instances
                .as_ref()
                .is_none_or(|left| !left.is_empty())
        });
    }
}
