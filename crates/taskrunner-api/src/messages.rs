//! Requests and responses of the task-runner calls that are more than a task
//! id: [`PollRequest`], [`InstanceIdentity`], [`ProgressResponse`],
//! [`HeartbeatRequest`], [`HeartbeatResponse`].

/// A PollForTask request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRequest {
    /// The worker group to take tasks from; must match the activities'
    /// `workerGroup` exactly (case and region included).
    pub worker_group: String,
    /// The host name the service records on the attempt.
    pub hostname: Option<String>,
    /// The EC2 instance identity, when running on EC2.
    pub instance_identity: Option<InstanceIdentity>,
}

impl PollRequest {
    /// A request for `worker_group` with no hostname or identity.
    pub fn new(worker_group: impl Into<String>) -> Self {
        Self {
            worker_group: worker_group.into(),
            hostname: None,
            instance_identity: None,
        }
    }
}

/// The signed EC2 instance identity document PollForTask can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceIdentity {
    /// The identity document (JSON) from the instance metadata service.
    pub document: String,
    /// Its signature.
    pub signature: String,
}

/// The answer to ReportTaskProgress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgressResponse {
    /// The service asks the runner to stop the work; no SetTaskStatus is
    /// needed afterwards.
    pub canceled: bool,
}

/// A ReportTaskRunnerHeartbeat request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRequest {
    /// This runner's id, unique across the account.
    pub taskrunner_id: String,
    /// The worker group the runner polls.
    pub worker_group: Option<String>,
    /// The runner's host name.
    pub hostname: Option<String>,
}

impl HeartbeatRequest {
    /// A heartbeat for `taskrunner_id` with no worker group or hostname.
    pub fn new(taskrunner_id: impl Into<String>) -> Self {
        Self {
            taskrunner_id: taskrunner_id.into(),
            worker_group: None,
            hostname: None,
        }
    }
}

/// The answer to ReportTaskRunnerHeartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeartbeatResponse {
    /// The service asks the runner to shut down.
    pub terminate: bool,
}
