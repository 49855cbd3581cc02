//! [`NoActivity`]: no route matched a task.

use taskrunner_api::StatusReport;

use crate::Failure;

/// No route matches a task. Report the task `FAILED` with
/// [`NoActivity::into_status_report`]; the fix is a route for the task's type
/// or field value, or a pipeline definition whose fields match a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no activity for {}; known routes: {}", self.looked_for(), self.known_routes())]
pub struct NoActivity {
    /// The quoted `type` looked up (`Some(None)`: absent); `None` when the
    /// task had no attempt object.
    object_type: Option<Option<String>>,
    /// Each routed field key with its quoted value, if present.
    fields: Vec<(String, Option<String>)>,
    /// Every route's name.
    known: Vec<String>,
}

impl NoActivity {
    pub(super) fn new(
        object_type: Option<Option<String>>,
        fields: Vec<(String, Option<String>)>,
        known: Vec<String>,
    ) -> Self {
        Self {
            object_type,
            fields,
            known,
        }
    }

    /// The errorId reported for it: `NoActivityForTask`.
    pub fn error_id(&self) -> &'static str {
        "NoActivityForTask"
    }

    /// The SetTaskStatus `FAILED` report for it.
    pub fn into_status_report(self) -> StatusReport {
        StatusReport::failed(self.error_id(), self.to_string())
    }

    fn looked_for(&self) -> String {
        let Some(object_type) = &self.object_type else {
            return "a task without an attempt object".to_owned();
        };
        let mut parts = vec![format!(
            "type {}",
            object_type.as_deref().unwrap_or("(absent)")
        )];
        for (key, value) in &self.fields {
            parts.push(format!("{key} {}", value.as_deref().unwrap_or("(absent)")));
        }
        parts.join(", ")
    }

    fn known_routes(&self) -> String {
        if self.known.is_empty() {
            "none".to_owned()
        } else {
            self.known.join(", ")
        }
    }
}

impl From<NoActivity> for Failure {
    fn from(error: NoActivity) -> Self {
        Failure::new(error.error_id(), error.to_string())
    }
}
