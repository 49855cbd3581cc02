//! [`Operation`]: names of the task-runner calls, for errors, logs and
//! call budgets.

use std::fmt;

/// One of the four task-runner operations of the Data Pipeline API.
///
/// [`Display`](fmt::Display) prints the AWS operation name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `PollForTask`: lease the next task of a worker group.
    PollForTask,
    /// `ReportTaskProgress`: acknowledge a task and keep its lease alive.
    ReportTaskProgress,
    /// `ReportTaskRunnerHeartbeat`: tell the service the runner is alive.
    ReportTaskRunnerHeartbeat,
    /// `SetTaskStatus`: report the outcome of a task.
    SetTaskStatus,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Operation; 4] = [
        Self::PollForTask,
        Self::ReportTaskProgress,
        Self::ReportTaskRunnerHeartbeat,
        Self::SetTaskStatus,
    ];

    /// The AWS operation name, e.g. `PollForTask`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PollForTask => "PollForTask",
            Self::ReportTaskProgress => "ReportTaskProgress",
            Self::ReportTaskRunnerHeartbeat => "ReportTaskRunnerHeartbeat",
            Self::SetTaskStatus => "SetTaskStatus",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
