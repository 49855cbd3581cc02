//! `Exists`: a user-managed precondition (dp-concepts-preconditions.md) that
//! holds when the data node it guards is there (dp-object-exists.md).
//!
//! The data node is found through the attempt's runtime field `node` (the
//! object the precondition is performed for), or else as the object the
//! task carries whose `precondition` names this one. Its fields arrive
//! evaluated for the attempt's period, so `filePath` names that period's
//! file. What "there" means per node:
//!
//! - `S3DataNode`: every path it names: the object at `filePath`, at least
//!   one object under `directoryPath`, the object at `manifestFilePath`.
//!   A path without a scheme (or `file://`) is a path on this host: a file
//!   that exists, or a directory with at least one entry.
//! - `SqlDataNode` and `MySqlDataNode`: the node's `table` on its database
//!   (`taskrunner_sql::table_exists`). A database that cannot be reached
//!   fails with the SQL activities' connection errorIds and messages.
//! - Redshift and DynamoDB data nodes: not built in (`FAILED`).
//!
//! All there → `FINISHED`; one missing → `FALSE` (the service retries it by
//! `retryDelay` until `preconditionTimeout`); the question cannot be asked
//! (no such node, an unreadable store) → `FAILED`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use taskrunner::service::error_chain;
use taskrunner::task::TaskObject;
use taskrunner::{Activity, BoxError, Failure, Outcome, TaskContext};
use taskrunner_s3::S3Storage;
use taskrunner_sql::{table_exists, task_objects, RdsEndpoints};

/// errorId: the precondition guards no data node the runner can see.
pub(crate) const NO_DATA_NODE: &str = "ExistsNoDataNode";
/// errorId: the data node is of a type this runner cannot look into.
pub(crate) const DATA_NODE_NOT_BUILT_IN: &str = "ExistsDataNodeNotBuiltIn";
/// errorId: the store could not be asked (access denied, unreachable).
pub(crate) const CHECK_FAILED: &str = "ExistsCheckFailed";

/// The data node types whose existence needs a driver or service this
/// runner does not have, with what they need.
const NOT_BUILT_IN: [(&str, &str); 2] = [
    (
        "RedshiftDataNode",
        "Redshift data nodes need a database driver",
    ),
    (
        "DynamoDBDataNode",
        "use the system-managed DynamoDBTableExists or DynamoDBDataExists instead",
    ),
];

/// One thing that must be there.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Probe {
    /// An S3 object (`filePath`, `manifestFilePath`).
    S3Object(String),
    /// At least one S3 object under a prefix (`directoryPath`).
    S3Prefix(String),
    /// A file or directory on this host; a directory needs an entry.
    Local(PathBuf),
    /// The table of the SQL data node with this id, on its database.
    SqlTable(String),
}

/// The `Exists` activity; `s3` answers for `s3://` paths.
#[derive(Debug, Clone)]
pub(crate) struct ExistsPrecondition {
    /// `None` when the runner has no S3 client: `s3://` paths then fail
    /// with errorId `S3NotConfigured`.
    s3: Option<Arc<S3Storage>>,
    /// Endpoints of `RdsDatabase` instances, as the SQL activities use.
    rds: RdsEndpoints,
}

impl ExistsPrecondition {
    /// The precondition, checking `s3://` paths through `s3` and SQL
    /// tables through `rds` for `RdsDatabase` endpoints, as the SQL
    /// activities do.
    pub(crate) fn new(s3: Option<Arc<S3Storage>>, rds: RdsEndpoints) -> Self {
        Self { s3, rds }
    }
}

impl Activity for ExistsPrecondition {
    async fn run(&self, ctx: TaskContext) -> Result<Outcome, BoxError> {
        let (node, probes) = probes(&ctx)?;
        for probe in probes {
            let there = self.check(&ctx, &probe).await?;
            tracing::info!(node = %node, ?probe, there, "Exists checked");
            if !there {
                return Ok(Outcome::PreconditionFalse);
            }
        }
        Ok(Outcome::Finished)
    }
}

impl ExistsPrecondition {
    async fn check(&self, ctx: &TaskContext, probe: &Probe) -> Result<bool, Failure> {
        let s3 = || {
            self.s3.as_deref().ok_or_else(|| {
                Failure::new(
                    taskrunner_shell::error_id::S3_NOT_CONFIGURED,
                    "the data node names an s3:// path but this runner has no S3 client",
                )
            })
        };
        let answer = match probe {
            Probe::S3Object(uri) => s3()?.object_exists(uri).await,
            Probe::S3Prefix(uri) => s3()?.prefix_has_objects(uri).await,
            Probe::Local(path) => return Ok(local_exists(path).await),
            Probe::SqlTable(node) => {
                // A connection may take up to its connectTimeout: stop
                // waiting as soon as the attempt is canceled.
                let objects = task_objects(ctx);
                return ctx
                    .until_cancelled(table_exists(&objects, node, &self.rds))
                    .await?
                    .map_err(|error| Failure::new(error.error_id(), error.to_string()));
            }
        };
        answer
            .map_err(|error| Failure::new(CHECK_FAILED, crate::secrets::mask(&error_chain(&error))))
    }
}

/// The guarded node's id and what must be there.
fn probes(ctx: &TaskContext) -> Result<(String, Vec<Probe>), Failure> {
    let node = guarded_node(ctx)?;
    let id = node.id.clone();
    let node_type = node.object_type().unwrap_or("(no type)");
    if let Some((_, needs)) = NOT_BUILT_IN.iter().find(|(name, _)| *name == node_type) {
        return Err(Failure::new(
            DATA_NODE_NOT_BUILT_IN,
            format!(
                "Exists cannot check {id}: {node_type} is not built into this runner ({needs})"
            ),
        ));
    }
    if matches!(node_type, "SqlDataNode" | "MySqlDataNode") {
        return Ok((id.clone(), vec![Probe::SqlTable(id)]));
    }
    if node_type != "S3DataNode" {
        return Err(Failure::new(
            DATA_NODE_NOT_BUILT_IN,
            format!("Exists cannot check {id}: its type {node_type} is not a data node this runner knows"),
        ));
    }
    let mut probes = Vec::new();
    for (field, is_directory) in [
        ("filePath", false),
        ("directoryPath", true),
        ("manifestFilePath", false),
    ] {
        let Some(path) = node.field(field) else {
            continue;
        };
        if path.contains("#{") {
            return Err(Failure::new(
                NO_DATA_NODE,
                format!(
                    "{id}'s {field} still holds an expression the service did not evaluate: {path}"
                ),
            ));
        }
        probes.push(probe(path, is_directory));
    }
    if probes.is_empty() {
        return Err(Failure::new(
            NO_DATA_NODE,
            format!(
                "{id} names no filePath, directoryPath or manifestFilePath for Exists to check"
            ),
        ));
    }
    Ok((id, probes))
}

fn probe(path: &str, is_directory: bool) -> Probe {
    if path.starts_with("s3://") {
        if is_directory {
            Probe::S3Prefix(path.to_owned())
        } else {
            Probe::S3Object(path.to_owned())
        }
    } else {
        Probe::Local(PathBuf::from(path.strip_prefix("file://").unwrap_or(path)))
    }
}

/// The object the precondition guards: the attempt's `node`, else the
/// carried object whose `precondition` names this precondition.
fn guarded_node(ctx: &TaskContext) -> Result<&TaskObject, Failure> {
    if let Some(id) = ctx.field("node") {
        return ctx.object(id).ok_or_else(|| {
            Failure::new(
                NO_DATA_NODE,
                format!("the precondition is performed for {id}, but the task does not carry that object"),
            )
        });
    }
    let component = ctx.field("@componentParent").unwrap_or_default();
    ctx.task()
        .objects
        .iter()
        .find(|object| object.values("precondition").any(|id| id == component))
        .ok_or_else(|| {
            Failure::new(
                NO_DATA_NODE,
                format!("no data node in the task names {component} as its precondition: reference it from a data node's precondition field"),
            )
        })
}

/// A file, or a directory with at least one entry.
async fn local_exists(path: &Path) -> bool {
    match tokio::fs::metadata(path).await {
        Ok(metadata) if metadata.is_dir() => match tokio::fs::read_dir(path).await {
            Ok(mut entries) => matches!(entries.next_entry().await, Ok(Some(_))),
            Err(_) => false,
        },
        Ok(_) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use taskrunner::task::{Field, Task, TaskObject};

    use super::*;

    const ATTEMPT: &str = "@Ready_2026-01-01T00:00:00_Attempt=1";

    fn context(attempt: TaskObject, others: Vec<TaskObject>) -> TaskContext {
        let mut task = Task::new("task", "df-1", ATTEMPT).with_object(attempt);
        for object in others {
            task = task.with_object(object);
        }
        TaskContext::builder(task).build()
    }

    fn attempt() -> TaskObject {
        TaskObject::new(ATTEMPT, ATTEMPT)
            .with_field(Field::string("type", "Exists"))
            .with_field(Field::reference("@componentParent", "Ready"))
    }

    /// The Guide's example (dp-object-exists.md), its path evaluated.
    fn input_data() -> TaskObject {
        TaskObject::new("InputData", "InputData")
            .with_field(Field::string("type", "S3DataNode"))
            .with_field(Field::string(
                "filePath",
                "s3://example-bucket/InputData/2026-01-01-12:00.csv",
            ))
            .with_field(Field::reference("precondition", "Ready"))
    }

    #[test]
    fn the_node_field_names_the_data_node() {
        let ctx = context(
            attempt().with_field(Field::reference("node", "InputData")),
            vec![input_data()],
        );
        let (node, probes) = probes(&ctx).unwrap();
        assert_eq!(node, "InputData");
        assert_eq!(
            probes,
            vec![Probe::S3Object(
                "s3://example-bucket/InputData/2026-01-01-12:00.csv".into()
            )]
        );
    }

    #[test]
    fn without_node_the_object_naming_the_precondition_is_used() {
        let ctx = context(attempt(), vec![input_data()]);
        assert_eq!(probes(&ctx).unwrap().0, "InputData");
    }

    #[test]
    fn directories_and_local_paths() {
        let node = TaskObject::new("Dir", "Dir")
            .with_field(Field::string("type", "S3DataNode"))
            .with_field(Field::string("directoryPath", "/data/in"))
            .with_field(Field::string("manifestFilePath", "s3://b/manifest"));
        let ctx = context(
            attempt().with_field(Field::reference("node", "Dir")),
            vec![node],
        );
        assert_eq!(
            probes(&ctx).unwrap().1,
            vec![
                Probe::Local(PathBuf::from("/data/in")),
                Probe::S3Object("s3://b/manifest".into())
            ]
        );
    }

    #[test]
    fn what_cannot_be_checked_fails_with_a_reason() {
        let missing = context(
            attempt().with_field(Field::reference("node", "Gone")),
            vec![],
        );
        assert_eq!(probes(&missing).unwrap_err().error_id, NO_DATA_NODE);
        let unguarded = context(attempt(), vec![]);
        assert_eq!(probes(&unguarded).unwrap_err().error_id, NO_DATA_NODE);
        let redshift =
            TaskObject::new("Table", "Table").with_field(Field::string("type", "RedshiftDataNode"));
        let ctx = context(
            attempt().with_field(Field::reference("node", "Table")),
            vec![redshift],
        );
        let error = probes(&ctx).unwrap_err();
        assert_eq!(error.error_id, DATA_NODE_NOT_BUILT_IN);
        assert!(error.to_string().contains("RedshiftDataNode"), "{error}");
    }

    #[test]
    fn sql_data_nodes_are_checked_by_their_table() {
        for node_type in ["SqlDataNode", "MySqlDataNode"] {
            let table =
                TaskObject::new("Table", "Table").with_field(Field::string("type", node_type));
            let ctx = context(
                attempt().with_field(Field::reference("node", "Table")),
                vec![table],
            );
            assert_eq!(
                probes(&ctx).unwrap(),
                ("Table".to_owned(), vec![Probe::SqlTable("Table".into())])
            );
        }
    }

    #[tokio::test]
    async fn local_directories_need_an_entry() {
        let directory = tempfile::tempdir().unwrap();
        assert!(!local_exists(directory.path()).await);
        std::fs::write(directory.path().join("part-0"), "x").unwrap();
        assert!(local_exists(directory.path()).await);
        assert!(local_exists(&directory.path().join("part-0")).await);
        assert!(!local_exists(&directory.path().join("missing")).await);
    }
}
