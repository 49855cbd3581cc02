//! Moving instances forward: starting those whose dependencies hold, and
//! telling dependents when an instance ends.

use super::fields::first;
use super::Scheduler;
use crate::model::Status;
use crate::state::pipeline::PipelineState;
use crate::state::run::{attempt_id, Attempt, ErrorFields, InstanceKind};
use crate::state::AttemptKey;

/// What the instances an instance waits on say about it.
enum Verdict {
    /// Every dependency is satisfied.
    Ready,
    /// Some dependency has not finished yet.
    Waiting,
    /// A dependency failed in a way that fails this instance too.
    Cascade(String),
}

impl Scheduler<'_> {
    /// Starts instance `id` if it is waiting and everything it waits on is
    /// satisfied, or cascades a failure into it.
    pub(super) fn refresh(&mut self, id: &str) {
        let run = &self.pipeline.run;
        let Some(instance) = run.instances.get(id) else {
            return;
        };
        if instance.status != Status::WaitingOnDependencies
            || self.pipeline.state != PipelineState::Scheduled
            || run.paused.contains(&instance.component)
        {
            return;
        }
        let cascades = first(&instance.fields, "failureAndRerunMode")
            .is_some_and(|mode| mode.eq_ignore_ascii_case("cascade"));
        let mut verdict = Verdict::Ready;
        for dependency in &instance.waiting_on {
            match run.instances.get(dependency) {
                Some(other) if other.status.satisfies_dependents() => {}
                Some(other)
                    if is_failure(other.status)
                        && (cascades || other.kind != InstanceKind::Activity) =>
                {
                    let origin = other
                        .cascade_failed_on
                        .clone()
                        .unwrap_or_else(|| other.id.clone());
                    verdict = Verdict::Cascade(origin);
                    break;
                }
                _ => verdict = Verdict::Waiting,
            }
        }
        match verdict {
            Verdict::Waiting => {}
            Verdict::Ready => self.start(id),
            Verdict::Cascade(origin) => {
                if let Some(instance) = self.pipeline.run.instances.get_mut(id) {
                    instance.status = Status::CascadeFailed;
                    instance.actual_end = Some(self.clock.now());
                    instance.error = Some(ErrorFields {
                        error_id: Some("CascadeFailed".into()),
                        error_message: Some(format!("{origin} failed, and {id} depends on it")),
                        error_stack_trace: None,
                    });
                    instance.cascade_failed_on = Some(origin);
                }
                self.instance_ended(id);
            }
        }
    }

    /// Starts a ready instance: a data node finishes at once, an activity or
    /// precondition gets a new attempt queued for its worker group, and a
    /// system-managed precondition gets one the service checks itself.
    pub(super) fn start(&mut self, id: &str) {
        let now = self.clock.now();
        let checked_by_service = self.service_check(id).is_some();
        let Some(instance) = self.pipeline.run.instances.get_mut(id) else {
            return;
        };
        instance.actual_start.get_or_insert(now);
        if instance.kind == InstanceKind::DataNode {
            instance.status = Status::Finished;
            instance.actual_end = Some(now);
            self.instance_ended(id);
            return;
        }
        let worker_group = instance.worker_group.clone();
        if worker_group.is_none() && !checked_by_service {
            instance.status = Status::Failed;
            instance.actual_end = Some(now);
            instance.error = Some(ErrorFields {
                error_id: Some("NoWorkerGroup".into()),
                error_message: Some(format!(
                    "{} names neither workerGroup nor runsOn, so no runner can take it",
                    instance.component
                )),
                error_stack_trace: None,
            });
            self.instance_ended(id);
            return;
        }
        let number = u32::try_from(instance.attempts.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let attempt = attempt_id(id, number);
        instance.attempts.push(attempt.clone());
        instance.status = Status::WaitingForRunner;
        if instance.kind == InstanceKind::Precondition && instance.precondition_deadline.is_none() {
            if let Some(timeout) = super::fields::duration(&instance.fields, "preconditionTimeout")
            {
                instance.precondition_deadline = chrono::TimeDelta::from_std(timeout)
                    .ok()
                    .map(|delta| now + delta);
            }
        }
        self.pipeline.run.attempts.insert(
            attempt.clone(),
            Attempt {
                id: attempt.clone(),
                instance: id.to_owned(),
                number,
                status: Status::WaitingForRunner,
                actual_start: None,
                actual_end: None,
                hostname: None,
                report_progress_time: None,
                progress: Vec::new(),
                lease: None,
                reassignments: 0,
                error: None,
            },
        );
        let key = AttemptKey {
            pipeline: self.pipeline.id.as_str().into(),
            attempt: attempt.into(),
        };
        match worker_group {
            Some(worker_group) if !checked_by_service => self.queues.push(&worker_group, key),
            _ => self.service_checks.push(key),
        }
    }

    /// Tells the dependents of instance `id`, which just reached an end
    /// state, and finishes the pipeline when nothing is left to do.
    pub(super) fn instance_ended(&mut self, id: &str) {
        let dependents = self
            .pipeline
            .run
            .dependents
            .get(id)
            .cloned()
            .unwrap_or_default();
        for dependent in dependents {
            self.refresh(&dependent);
        }
        self.finish_pipeline_if_done();
    }

    /// Marks the pipeline FINISHED when its schedules are exhausted and no
    /// instance can still move.
    pub(super) fn finish_pipeline_if_done(&mut self) {
        if self.pipeline.state != PipelineState::Scheduled {
            return;
        }
        // Cheapest test first, as this runs on every status: an instance
        // queued, running or waiting to retry means the run goes on.
        let moving = self.pipeline.run.instances.values().any(|instance| {
            matches!(
                instance.status,
                Status::WaitingForRunner | Status::Running | Status::WaitingToRetry
            )
        });
        if moving || !self.schedules_exhausted() {
            return;
        }
        let run = &self.pipeline.run;
        // An instance that waits, directly or through others, on a failed or
        // canceled one will never move: grow that set to its fixed point.
        let mut stuck: std::collections::HashSet<&str> = run
            .instances
            .values()
            .filter(|instance| is_failure(instance.status) || instance.status == Status::Canceled)
            .map(|instance| instance.id.as_str())
            .collect();
        loop {
            let before = stuck.len();
            for instance in run.instances.values() {
                if instance.status == Status::WaitingOnDependencies
                    && instance
                        .waiting_on
                        .iter()
                        .any(|dependency| stuck.contains(dependency.as_str()))
                {
                    stuck.insert(instance.id.as_str());
                }
            }
            if stuck.len() == before {
                break;
            }
        }
        let settled = run
            .instances
            .values()
            .all(|instance| instance.status.is_terminal() || stuck.contains(instance.id.as_str()));
        if settled {
            self.pipeline.state = PipelineState::Finished;
        }
    }
}

/// Whether a status is a failure that dependents may inherit.
pub(super) fn is_failure(status: Status) -> bool {
    matches!(
        status,
        Status::Failed | Status::CascadeFailed | Status::TimedOut
    )
}
