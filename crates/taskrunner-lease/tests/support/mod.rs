//! Shared test support: an in-process, scriptable `TaskService` that records
//! every ReportTaskProgress call with its (paused-clock) time.

#![allow(dead_code, unreachable_pub)] // Each test binary uses part of it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskrunner_api::{
    async_trait, ApiError, CallBudget, ErrorClass, Field, HeartbeatRequest, HeartbeatResponse,
    Operation, PollRequest, ProgressResponse, StatusReport, Task, TaskId, TaskObject, TaskService,
};
use taskrunner_lease::{LeaseConfig, LeaseManager};
use tokio::time::Instant;

/// One second of (paused) test time.
pub const SECOND: Duration = Duration::from_secs(1);
/// One minute of (paused) test time.
pub const MINUTE: Duration = Duration::from_secs(60);

/// How the service answers one ReportTaskProgress call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `{canceled: false}`.
    Accept,
    /// `{canceled: true}`.
    Cancel,
    /// An error of this class.
    Fail(ErrorClass),
}

/// One recorded ReportTaskProgress call.
#[derive(Debug, Clone)]
pub struct Call {
    /// When the call arrived.
    pub at: Instant,
    /// For which task.
    pub task_id: TaskId,
    /// With which fields.
    pub fields: Vec<Field>,
}

/// A scriptable service: per task, a queue of replies, then a standing reply
/// (default `Accept`).
#[derive(Debug, Default)]
pub struct ScriptedService {
    /// Every call, in arrival order.
    calls: Mutex<Vec<Call>>,
    /// Replies to give next, per task.
    scripts: Mutex<HashMap<TaskId, VecDeque<Reply>>>,
    /// The reply once a task's script is used up.
    standing: Mutex<HashMap<TaskId, Reply>>,
    /// How long each call takes.
    latency: Mutex<Duration>,
}

impl ScriptedService {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The next replies for `task_id`.
    pub fn script(&self, task_id: &TaskId, replies: impl IntoIterator<Item = Reply>) {
        self.scripts
            .lock()
            .expect("scripts")
            .entry(task_id.clone())
            .or_default()
            .extend(replies);
    }

    /// The reply for `task_id` once its script is used up.
    pub fn always(&self, task_id: &TaskId, reply: Reply) {
        self.standing
            .lock()
            .expect("standing")
            .insert(task_id.clone(), reply);
    }

    /// Every call takes `latency`.
    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock().expect("latency") = latency;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }

    /// The arrival times of the calls for `task_id`.
    pub fn call_times(&self, task_id: &TaskId) -> Vec<Instant> {
        self.calls
            .lock()
            .expect("calls")
            .iter()
            .filter(|call| call.task_id == *task_id)
            .map(|call| call.at)
            .collect()
    }

    fn next_reply(&self, task_id: &TaskId) -> Reply {
        let scripted = self
            .scripts
            .lock()
            .expect("scripts")
            .get_mut(task_id)
            .and_then(VecDeque::pop_front);
        scripted.unwrap_or_else(|| {
            self.standing
                .lock()
                .expect("standing")
                .get(task_id)
                .copied()
                .unwrap_or(Reply::Accept)
        })
    }
}

#[async_trait]
impl TaskService for ScriptedService {
    async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
        Ok(None)
    }

    async fn report_task_progress(
        &self,
        task_id: &TaskId,
        fields: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        self.calls.lock().expect("calls").push(Call {
            at: Instant::now(),
            task_id: task_id.clone(),
            fields: fields.to_vec(),
        });
        let reply = self.next_reply(task_id);
        let latency = *self.latency.lock().expect("latency");
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match reply {
            Reply::Accept => Ok(ProgressResponse { canceled: false }),
            Reply::Cancel => Ok(ProgressResponse { canceled: true }),
            Reply::Fail(class) => Err(ApiError::new(
                Operation::ReportTaskProgress,
                class,
                "scripted failure",
            )),
        }
    }

    async fn report_task_runner_heartbeat(
        &self,
        _: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        Ok(HeartbeatResponse::default())
    }

    async fn set_task_status(&self, _: &TaskId, _: &StatusReport) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A task named `name`, with `reportProgressTimeout` set when given.
pub fn task(name: &str, report_timeout: Option<&str>) -> Task {
    let attempt_id = format!("@{name}_Attempt=1");
    let mut attempt = TaskObject::new(attempt_id.clone(), name)
        .with_field(Field::string("type", "ShellCommandActivity"));
    if let Some(timeout) = report_timeout {
        attempt = attempt.with_field(Field::string("reportProgressTimeout", timeout));
    }
    Task::new(format!("task-token-{name}"), "df-TEST", attempt_id).with_object(attempt)
}

/// Default timing with repeatable jitter.
pub fn config() -> LeaseConfig {
    LeaseConfig {
        jitter_seed: Some(42),
        ..LeaseConfig::default()
    }
}

/// A manager over `service` with the documented budget.
pub fn manager(service: &Arc<ScriptedService>, config: LeaseConfig) -> LeaseManager {
    manager_with_budget(service, config, CallBudget::documented())
}

/// A manager over `service` with `budget`.
pub fn manager_with_budget(
    service: &Arc<ScriptedService>,
    config: LeaseConfig,
    budget: CallBudget,
) -> LeaseManager {
    let service: Arc<dyn TaskService> = service.clone();
    LeaseManager::new(service, budget, config)
}

/// Call times grouped by task, in one pass over `calls`.
pub fn times_by_task(calls: &[Call]) -> HashMap<TaskId, Vec<Instant>> {
    let mut grouped: HashMap<TaskId, Vec<Instant>> = HashMap::new();
    for call in calls {
        grouped
            .entry(call.task_id.clone())
            .or_default()
            .push(call.at);
    }
    grouped
}

/// Gaps between consecutive instants.
pub fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

/// The most calls that arrived within any one-second window.
pub fn busiest_second(calls: &[Call]) -> usize {
    let mut times: Vec<Instant> = calls.iter().map(|call| call.at).collect();
    times.sort();
    let mut busiest = 0;
    let mut first = 0;
    for (last, at) in times.iter().enumerate() {
        while *at - times[first] >= Duration::from_secs(1) {
            first += 1;
        }
        busiest = busiest.max(last - first + 1);
    }
    busiest
}
