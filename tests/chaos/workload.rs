//! The work of a chaos run: pipelines of short shell commands for the
//! `taskrunner` processes and of in-process activities for a framework
//! runner, each component with the end status it must reach.

use std::path::Path;

use aws_sdk_datapipeline::types::PipelineObject;
use aws_sdk_datapipeline::Client;

use super::settings::{Random, Settings};
use crate::support::{object, string};

/// The worker group of the `taskrunner` processes.
pub(crate) const SHELL_GROUP: &str = "chaos-shell";
/// The worker group of the in-process runner.
pub(crate) const IN_PROCESS_GROUP: &str = "chaos-in-process";
/// The `myActivity` value of in-process work that finishes.
pub(crate) const WORK: &str = "work";
/// The `myActivity` value of in-process work that always fails.
pub(crate) const REFUSE: &str = "refuse";
/// The `myActivity` value of in-process work that runs until canceled.
pub(crate) const HANG: &str = "hang";

/// Components per pipeline: the service takes at most 100 objects per
/// definition, `Default` included.
const PER_PIPELINE: usize = 90;

/// One component and the status its instance must end in.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    /// The component id.
    pub(crate) id: String,
    /// What it is, for the table.
    pub(crate) kind: Kind,
    /// `FINISHED`, `FAILED` or `CANCELED`.
    pub(crate) expected: &'static str,
    /// Whether the harness reruns its instance once it finished
    /// (SetStatus RERUN); it must then finish again.
    pub(crate) rerun: bool,
}

/// The kinds of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// `true`.
    True,
    /// `sleep 0.1`.
    Sleep,
    /// `sleep 1`: long enough to be killed in the middle.
    Slow,
    /// `exit 1`, retried twice, then FAILED.
    Fail,
    /// Fails its first run (it leaves a marker file), then finishes.
    Flaky,
    /// In-process: a short await, then finished.
    Work,
    /// In-process: fails, retried once, then FAILED.
    Refuse,
    /// `sleep 30`, canceled by the harness (SetStatus TRY_CANCEL) once
    /// running, or at the latest a few seconds in: CANCELED.
    Cancel,
    /// In-process: waits for its cancellation, which the harness sends as
    /// for [`Kind::Cancel`]: CANCELED.
    Hang,
}

impl Kind {
    /// Whether the harness cancels it.
    pub(crate) fn canceled(self) -> bool {
        matches!(self, Self::Cancel | Self::Hang)
    }

    /// Whether a rerun of a finished instance must finish again.
    fn reruns_cleanly(self) -> bool {
        matches!(self, Self::True | Self::Sleep | Self::Slow | Self::Work)
    }
}

/// One in this many components of a kind that reruns cleanly is rerun.
const RERUN_ONE_IN: u64 = 20;

/// One pipeline of the run.
#[derive(Debug, Clone)]
pub(crate) struct PlannedPipeline {
    /// Its name (and uniqueId).
    pub(crate) name: String,
    /// Its worker group.
    pub(crate) worker_group: &'static str,
    /// Its components, `Default` aside.
    pub(crate) components: Vec<Component>,
}

/// A pipeline as the service knows it.
#[derive(Debug, Clone)]
pub(crate) struct Submitted {
    /// The pipeline id.
    pub(crate) id: String,
    /// What was planned for it.
    pub(crate) plan: PlannedPipeline,
}

/// Plans `settings.tasks` components: four fifths shell commands, one fifth
/// in-process, one in twenty of each canceled, one in twenty of those that
/// finish rerun.
pub(crate) fn plan(settings: &Settings, random: &mut Random) -> Vec<PlannedPipeline> {
    let in_process = settings.tasks / 5;
    let shell = settings.tasks - in_process;
    let mut pipelines = Vec::new();
    for (group, count) in [(SHELL_GROUP, shell), (IN_PROCESS_GROUP, in_process)] {
        let mut components = Vec::new();
        for number in 0..count {
            let roll = random.below(100);
            let kind = match (group == SHELL_GROUP, roll) {
                (true, 0..=49) => Kind::True,
                (true, 50..=69) => Kind::Sleep,
                (true, 70..=74) => Kind::Slow,
                (true, 75..=84) => Kind::Fail,
                (true, 85..=94) => Kind::Flaky,
                (true, _) => Kind::Cancel,
                (false, 0..=79) => Kind::Work,
                (false, 80..=94) => Kind::Refuse,
                (false, _) => Kind::Hang,
            };
            let expected = match kind {
                Kind::Fail | Kind::Refuse => "FAILED",
                Kind::Cancel | Kind::Hang => "CANCELED",
                _ => "FINISHED",
            };
            let rerun = kind.reruns_cleanly() && random.below(RERUN_ONE_IN) == 0;
            components.push(Component {
                id: format!("{kind:?}{number}"),
                kind,
                expected,
                rerun,
            });
        }
        for (index, chunk) in components.chunks(PER_PIPELINE).enumerate() {
            pipelines.push(PlannedPipeline {
                name: format!("{group}-{index}"),
                worker_group: group,
                components: chunk.to_vec(),
            });
        }
    }
    pipelines
}

/// The definition of `pipeline`.
pub(crate) fn definition(pipeline: &PlannedPipeline, markers: &Path) -> Vec<PipelineObject> {
    let mut objects = vec![object(
        "Default",
        vec![
            string("scheduleType", "ondemand"),
            string("workerGroup", pipeline.worker_group),
            string("maximumRetries", "0"),
            // 1 s on the 600× pipeline clock.
            string("retryDelay", "10 minutes"),
        ],
    )];
    for component in &pipeline.components {
        let marker = markers.join(format!("{}-{}", pipeline.name, component.id));
        let marker = marker.display();
        let (command, retries, activity) = match component.kind {
            Kind::True => (Some("true".to_owned()), None, None),
            Kind::Sleep => (Some("sleep 0.1".to_owned()), None, None),
            Kind::Slow => (Some("sleep 1".to_owned()), None, None),
            Kind::Fail => (Some("exit 1".to_owned()), Some("2"), None),
            Kind::Flaky => (
                Some(format!(
                    "test -e '{marker}' || {{ touch '{marker}'; exit 1; }}"
                )),
                Some("1"),
                None,
            ),
            Kind::Cancel => (Some("sleep 30".to_owned()), None, None),
            Kind::Work => (None, None, Some(WORK)),
            Kind::Refuse => (None, Some("1"), Some(REFUSE)),
            Kind::Hang => (None, None, Some(HANG)),
        };
        let mut fields = vec![string("type", "ShellCommandActivity")];
        // The in-process runner routes on myActivity; the service still
        // wants a command on a ShellCommandActivity.
        fields.push(string("command", command.as_deref().unwrap_or("true")));
        if let Some(retries) = retries {
            fields.push(string("maximumRetries", retries));
        }
        if let Some(activity) = activity {
            fields.push(string("myActivity", activity));
        }
        objects.push(object(&component.id, fields));
    }
    objects
}

/// Submits every pipeline through `client`, retrying calls that the
/// injected faults break (CreatePipeline is idempotent on its uniqueId).
pub(crate) async fn submit_all(
    client: &Client,
    pipelines: &[PlannedPipeline],
    markers: &Path,
) -> Vec<Submitted> {
    let mut submitted = Vec::new();
    for plan in pipelines {
        let objects = definition(plan, markers);
        let mut tries = 0;
        let id = loop {
            match datapipeline_local::testkit::submit(client, &plan.name, objects.clone()).await {
                Ok(id) => break id,
                Err(error) => {
                    tries += 1;
                    assert!(tries < 20, "{} cannot be submitted: {error}", plan.name);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        submitted.push(Submitted {
            id,
            plan: plan.clone(),
        });
    }
    submitted
}
