//! Creating instances: one per scheduled period of each activity, with the
//! instances it waits on (inputs, preconditions) created alongside.

use chrono::NaiveDateTime;

use super::evaluate::evaluate_fields;
use super::fields::{first, maximum_retries, refs, worker_group};
use super::Scheduler;
use crate::clock::parse_time;
use crate::definition::{kind_of, matches_enumerated, ObjectKind, Period};
use crate::model::{Field, Status};
use crate::state::run::{instance_id, ErrorFields, Instance, InstanceKind};
use crate::state::TimerEvent;

/// When a component runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cadence {
    /// Once per activation.
    OnDemand,
    /// Every period from `start`, at the start (cron) or the end
    /// (timeseries) of each period, while `end` and `occurrences` allow.
    Scheduled {
        period: Period,
        start: NaiveDateTime,
        end: Option<NaiveDateTime>,
        occurrences: Option<u32>,
        at_end: bool,
    },
}

impl Scheduler<'_> {
    /// How `component` is scheduled: the pipeline's `scheduleType` (on
    /// `Default`, inherited) and the component's `schedule` reference.
    pub(super) fn cadence(&self, component: &str) -> Cadence {
        let components = &self.pipeline.run.components;
        let Some(object) = components.get(component) else {
            return Cadence::OnDemand;
        };
        let schedule_type = first(&object.fields, "scheduleType").unwrap_or("cron");
        if matches_enumerated(schedule_type, "ondemand") {
            return Cadence::OnDemand;
        }
        let schedule = refs(&object.fields, "schedule")
            .next()
            .and_then(|id| components.get(id));
        let Some(schedule) = schedule else {
            return Cadence::OnDemand;
        };
        let Some(period) =
            first(&schedule.fields, "period").and_then(|text| Period::parse(text).ok())
        else {
            return Cadence::OnDemand;
        };
        let activation = self
            .pipeline
            .last_activation
            .unwrap_or_else(|| self.clock.now());
        let start = first(&schedule.fields, "startDateTime")
            .and_then(parse_time)
            .unwrap_or(activation);
        Cadence::Scheduled {
            period,
            start,
            end: first(&schedule.fields, "endDateTime").and_then(parse_time),
            occurrences: first(&schedule.fields, "occurrences")
                .and_then(|text| text.trim().parse().ok()),
            at_end: matches_enumerated(schedule_type, "timeseries"),
        }
    }

    /// The ids of the components that get instances of their own: the
    /// activities. Data nodes and preconditions get theirs when an activity
    /// needs them.
    pub(super) fn activity_components(&self) -> Vec<String> {
        self.pipeline
            .run
            .components
            .values()
            .filter(|object| object.type_name().and_then(kind_of) == Some(ObjectKind::Activity))
            .map(|object| object.id.clone())
            .collect()
    }

    /// Creates the instances of a scheduled component whose periods are due
    /// and arms a timer for the next one.
    pub(super) fn schedule_component(&mut self, component: &str) {
        let Cadence::Scheduled {
            period,
            start,
            end,
            occurrences,
            at_end,
        } = self.cadence(component)
        else {
            return;
        };
        let now = self.clock.now();
        let mut created_now = 0;
        loop {
            let created = self
                .pipeline
                .run
                .created
                .get(component)
                .copied()
                .unwrap_or(0);
            let next = self
                .pipeline
                .run
                .next_period
                .get(component)
                .copied()
                .unwrap_or(start);
            let next_end = period.add_to(next);
            let exhausted = occurrences.is_some_and(|limit| created >= limit)
                || end.is_some_and(|end| next >= end);
            if exhausted || next_end == NaiveDateTime::MAX {
                return;
            }
            let due_at = if at_end { next_end } else { next };
            if due_at > now || created_now >= self.limits.backfill_per_component {
                let pipeline = self.pipeline.id.as_str().into();
                let event = TimerEvent::Schedule {
                    pipeline,
                    component: component.to_owned(),
                };
                let at = if due_at > now {
                    self.clock.instant_at(due_at)
                } else {
                    tokio::time::Instant::now()
                };
                self.timers.arm(at, event);
                return;
            }
            self.pipeline
                .run
                .next_period
                .insert(component.to_owned(), next_end);
            self.pipeline
                .run
                .created
                .insert(component.to_owned(), created + 1);
            created_now += 1;
            self.create_instance(component, next, next_end, InstanceKind::Activity, None);
        }
    }

    /// Whether every scheduled component has created its last instance.
    pub(super) fn schedules_exhausted(&self) -> bool {
        self.activity_components()
            .iter()
            .all(|component| match self.cadence(component) {
                Cadence::OnDemand => true,
                Cadence::Scheduled {
                    period,
                    start,
                    end,
                    occurrences,
                    ..
                } => {
                    let created = self
                        .pipeline
                        .run
                        .created
                        .get(component)
                        .copied()
                        .unwrap_or(0);
                    let next = self
                        .pipeline
                        .run
                        .next_period
                        .get(component)
                        .copied()
                        .unwrap_or(start);
                    occurrences.is_some_and(|limit| created >= limit)
                        || end.is_some_and(|end| next >= end)
                        || period.add_to(next) == NaiveDateTime::MAX
                }
            })
    }

    /// Creates the instance of `component` for the period starting at
    /// `start` (unless it exists), wires what it waits on, and starts it if
    /// nothing holds it back. `guarded` is the worker group of the object a
    /// precondition guards, used when the precondition names none.
    pub(super) fn create_instance(
        &mut self,
        component: &str,
        start: NaiveDateTime,
        end: NaiveDateTime,
        kind: InstanceKind,
        guarded: Option<&str>,
    ) -> String {
        let id = instance_id(component, start);
        if self.pipeline.run.instances.contains_key(&id) {
            return id;
        }
        let Some(object) = self.pipeline.run.components.get(component).cloned() else {
            return id;
        };
        let mut instance = Instance {
            id: id.clone(),
            component: component.to_owned(),
            kind,
            status: Status::WaitingOnDependencies,
            scheduled_start: start,
            scheduled_end: end,
            actual_start: None,
            actual_end: None,
            fields: Vec::new(),
            worker_group: None,
            waiting_on: Vec::new(),
            attempts: Vec::new(),
            tries_left: maximum_retries(&object.fields),
            precondition_deadline: None,
            cascade_failed_on: None,
            error: None,
            canceled_by_deactivation: false,
        };
        let run = &self.pipeline.run;
        match evaluate_fields(&object, &instance, &run.components, &run.parameters) {
            Ok(fields) => instance.fields = fields,
            Err(message) => {
                instance.fields.clone_from(&object.fields);
                instance.status = Status::Failed;
                instance.error = Some(ErrorFields {
                    error_id: Some("InvalidExpression".into()),
                    error_message: Some(message),
                    error_stack_trace: None,
                });
            }
        }
        // The worker group comes from the evaluated fields, so that
        // `workerGroup: #{myWorkerGroup}` queues under the parameter's value.
        instance.worker_group =
            worker_group(&instance.fields).or_else(|| guarded.map(str::to_owned));
        let fields = instance.fields.clone();
        let worker = instance.worker_group.clone();
        self.pipeline.run.instances.insert(id.clone(), instance);
        if self
            .pipeline
            .run
            .instances
            .get(&id)
            .is_some_and(|instance| instance.status == Status::Failed)
        {
            self.instance_ended(&id);
            return id;
        }
        let mut waiting_on = Vec::new();
        for dependency in refs(&fields, "dependsOn") {
            waiting_on.push(instance_id(dependency, start));
        }
        let inputs: Vec<String> = refs(&fields, "input").map(str::to_owned).collect();
        for input in inputs {
            let is_data_node = self
                .pipeline
                .run
                .components
                .get(&input)
                .and_then(|object| object.type_name().and_then(kind_of))
                == Some(ObjectKind::DataNode);
            if is_data_node {
                waiting_on.push(self.create_instance(
                    &input,
                    start,
                    end,
                    InstanceKind::DataNode,
                    worker.as_deref(),
                ));
            }
        }
        let preconditions: Vec<String> = refs(&fields, "precondition").map(str::to_owned).collect();
        for precondition in preconditions {
            let check = self.create_instance(
                &precondition,
                start,
                end,
                InstanceKind::Precondition,
                worker.as_deref(),
            );
            // The runtime field `node` names what the precondition guards
            // (dp-object-exists.md): a runner evaluating `Exists` finds the
            // data node through it, as the task carries what it references.
            // A precondition shared by several objects keeps the first.
            if let Some(instance) = self.pipeline.run.instances.get_mut(&check) {
                if !instance.fields.iter().any(|field| field.key == "node") {
                    instance.fields.push(Field::reference("node", component));
                }
            }
            waiting_on.push(check);
        }
        for dependency in &waiting_on {
            self.pipeline
                .run
                .dependents
                .entry(dependency.clone())
                .or_default()
                .push(id.clone());
        }
        if let Some(instance) = self.pipeline.run.instances.get_mut(&id) {
            instance.waiting_on = waiting_on;
        }
        self.refresh(&id);
        id
    }
}
