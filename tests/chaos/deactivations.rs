//! The deactivations of a chaos run: some pipelines are deactivated while
//! their runners hold tasks, with or without `cancelActive`, and activated
//! again a moment later. With `cancelActive` the holders are told
//! `canceled: true` and the reactivation runs the canceled instances again;
//! without it, running attempts go on and nothing new starts meanwhile.
//! Either way every instance must still end as planned.

use std::time::Duration;

use aws_sdk_datapipeline::Client;
use tokio::time::Instant;

use super::observe::{self, retried};
use super::settings::Random;
use super::workload::Submitted;

/// One planned deactivation.
struct Deactivation {
    pipeline: String,
    /// When, counted from the start of the run.
    at: Duration,
    cancel_active: bool,
    /// How long the pipeline stays inactive.
    off_for: Duration,
    step: Step,
}

enum Step {
    Planned,
    Inactive { until: Instant },
    Over,
}

/// The deactivations of a run, and what came of them.
pub(crate) struct Deactivations {
    planned: Vec<Deactivation>,
    started: Instant,
    /// Pipelines deactivated with `cancelActive` and activated again.
    pub(crate) canceling: usize,
    /// Pipelines deactivated without `cancelActive` and activated again.
    pub(crate) gentle: usize,
    /// Deactivations that found the pipeline already FINISHED, so it was
    /// left alone (activating it would start an on-demand run anew).
    pub(crate) too_late: usize,
}

impl Deactivations {
    /// Deactivates every pipeline once, at a random moment (`spread` is the
    /// mean, so the more tasks the later), for 0.5 to 2 s; every other one
    /// with `cancelActive`.
    pub(crate) fn plan(pipelines: &[Submitted], spread: Duration, random: &mut Random) -> Self {
        let first_cancels = random.below(2) == 0;
        let planned = pipelines
            .iter()
            .enumerate()
            .map(|(index, pipeline)| Deactivation {
                pipeline: pipeline.id.clone(),
                at: Duration::from_millis(500) + random.around(spread),
                cancel_active: (index % 2 == 0) == first_cancels,
                off_for: Duration::from_millis(500) + random.around(Duration::from_millis(750)),
                step: Step::Planned,
            })
            .collect();
        Self {
            planned,
            started: Instant::now(),
            canceling: 0,
            gentle: 0,
            too_late: 0,
        }
    }

    /// Whether every deactivation is over, its pipeline active again.
    pub(crate) fn done(&self) -> bool {
        self.planned
            .iter()
            .all(|deactivation| matches!(deactivation.step, Step::Over))
    }

    /// Deactivates the pipelines whose moment came, and activates again
    /// those whose time off is up.
    pub(crate) async fn tick(&mut self, client: &Client) {
        let elapsed = self.started.elapsed();
        for deactivation in &mut self.planned {
            match deactivation.step {
                Step::Planned if elapsed >= deactivation.at => {
                    // Deactivating an inactive pipeline changes nothing, so
                    // a retry is safe.
                    retried("DeactivatePipeline", || {
                        client
                            .deactivate_pipeline()
                            .pipeline_id(&deactivation.pipeline)
                            .cancel_active(deactivation.cancel_active)
                            .send()
                    })
                    .await;
                    deactivation.step = Step::Inactive {
                        until: Instant::now() + deactivation.off_for,
                    };
                }
                Step::Inactive { until } if Instant::now() >= until => {
                    let state = observe::pipeline_state(client, &deactivation.pipeline).await;
                    if state == "INACTIVE" {
                        // Activating an active pipeline changes nothing.
                        retried("ActivatePipeline", || {
                            client
                                .activate_pipeline()
                                .pipeline_id(&deactivation.pipeline)
                                .send()
                        })
                        .await;
                        if deactivation.cancel_active {
                            self.canceling += 1;
                        } else {
                            self.gentle += 1;
                        }
                    } else {
                        self.too_late += 1;
                    }
                    deactivation.step = Step::Over;
                }
                _ => {}
            }
        }
    }
}
