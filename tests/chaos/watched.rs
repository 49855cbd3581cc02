//! The instances of chosen components of one pipeline, which the harness
//! acts on (cancels, reruns) once it sees them in the right state.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_datapipeline::Client;

use super::observe::{self, retried, Described};
use super::workload::{Component, Submitted};

/// The instances still to act on in one pipeline.
pub(crate) struct Watched {
    /// The pipeline id.
    pub(crate) pipeline: String,
    components: BTreeSet<String>,
    /// Instance ids still to act on; `None` until listed.
    instances: Option<Vec<String>>,
}

impl Watched {
    /// One per pipeline with a component `chosen` picks; none for the others.
    pub(crate) fn choose(
        pipelines: &[Submitted],
        chosen: impl Fn(&Component) -> bool,
    ) -> Vec<Self> {
        pipelines
            .iter()
            .map(|pipeline| Self {
                pipeline: pipeline.id.clone(),
                components: pipeline
                    .plan
                    .components
                    .iter()
                    .filter(|component| chosen(component))
                    .map(|component| component.id.clone())
                    .collect(),
                instances: None,
            })
            .filter(|watched| !watched.components.is_empty())
            .collect()
    }

    /// Takes the instances still to act on, with what the service says of
    /// them now; `None` while some component has no instance yet. Hand the
    /// ones not acted on back with [`Watched::keep`].
    pub(crate) async fn take(
        &mut self,
        client: &Client,
    ) -> Option<(Vec<String>, BTreeMap<String, Described>)> {
        if let Some(instances) = self.instances.take() {
            let described = observe::describe(client, &self.pipeline, &instances).await;
            return Some((instances, described));
        }
        let listed = observe::objects(client, &self.pipeline, "INSTANCE").await;
        let ids: Vec<String> = listed
            .iter()
            .filter(|(_, described)| self.components.contains(&described.component))
            .map(|(id, _)| id.clone())
            .collect();
        (ids.len() >= self.components.len()).then_some((ids, listed))
    }

    /// Sends SetStatus `status` for instances `ids` of the pipeline, retried
    /// until it is answered.
    pub(crate) async fn set_status(&self, client: &Client, ids: &[String], status: &str) {
        retried(&format!("SetStatus {status}"), || {
            client
                .set_status()
                .pipeline_id(&self.pipeline)
                .set_object_ids(Some(ids.to_vec()))
                .status(status)
                .send()
        })
        .await;
    }

    /// Keeps `left` to look at again.
    pub(crate) fn keep(&mut self, left: Vec<String>) {
        self.instances = Some(left);
    }

    /// Whether every instance was listed and acted on.
    pub(crate) fn finished(&self) -> bool {
        self.instances.as_ref().is_some_and(Vec::is_empty)
    }
}
