//! The catalogue of object types the service knows, their kinds, and the
//! fields validation requires of each.
//!
//! The service only accepts its own object types (custom work is declared as
//! a known type plus `my…` fields), so an unknown `type` is a validation error.
//! The required fields are a deliberate subset of AWS's: those this service
//! or a task runner needs, plus the documented one-of groups. AWS-only fields
//! such as IAM roles of resources are not demanded, because nothing here
//! uses them.
//!
//! Workers: activities must name `workerGroup` or `runsOn` (either may be
//! inherited) because no runner could poll them otherwise.
//! `ShellCommandPrecondition` may go without, as in AWS, where a precondition
//! runs on the resource of the activity that checks it; validation only warns
//! (see [`validate`](super::validate())). The service-run preconditions
//! (`Exists`, `S3KeyExists`, …) need no worker at all.

/// What role an object type plays in a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// The `Default` object, whose fields every object inherits. Never a
    /// `type`; see [`ObjectKind::of_object`].
    Default,
    /// `Schedule`: when instances run.
    Schedule,
    /// Work a task runner performs, e.g. `ShellCommandActivity`.
    Activity,
    /// A condition checked before an activity runs.
    Precondition,
    /// Where data is read or written, e.g. `S3DataNode`.
    DataNode,
    /// Where activities run: `Ec2Resource`, `EmrCluster`.
    Resource,
    /// A database connection.
    Database,
    /// How data is laid out, e.g. `CSV`.
    DataFormat,
    /// What happens on an event: `SnsAlarm`, `Terminate`.
    Action,
    /// Supporting types: `EmrConfiguration`, `Property`, `HttpProxy`.
    Other,
}

impl ObjectKind {
    /// The kind of an object: [`ObjectKind::Default`] for the object with id
    /// `Default`, else the kind of its `type`.
    pub fn of_object(id: &str, type_name: Option<&str>) -> Option<Self> {
        if id == "Default" {
            return Some(Self::Default);
        }
        type_name.and_then(kind_of)
    }
}

/// The kind of a known object type, or `None` for a type the service does
/// not know. Type names are case-sensitive, as in AWS.
pub fn kind_of(type_name: &str) -> Option<ObjectKind> {
    use ObjectKind::{
        Action, Activity, DataFormat, DataNode, Database, Other, Precondition, Resource, Schedule,
    };
    let kind = match type_name {
        "Schedule" => Schedule,
        "ShellCommandActivity"
        | "CopyActivity"
        | "EmrActivity"
        | "HiveActivity"
        | "HiveCopyActivity"
        | "PigActivity"
        | "RedshiftCopyActivity"
        | "SqlActivity" => Activity,
        "ShellCommandPrecondition"
        | "Exists"
        | "S3KeyExists"
        | "S3PrefixNotEmpty"
        | "DynamoDBDataExists"
        | "DynamoDBTableExists" => Precondition,
        "S3DataNode" | "SqlDataNode" | "MySqlDataNode" | "DynamoDBDataNode"
        | "RedshiftDataNode" => DataNode,
        "Ec2Resource" | "EmrCluster" => Resource,
        "JdbcDatabase" | "RdsDatabase" | "RedshiftDatabase" => Database,
        "CSV" | "TSV" | "Custom" | "RegEx" | "DynamoDBDataFormat" | "DynamoDBExportDataFormat" => {
            DataFormat
        }
        "SnsAlarm" | "Terminate" => Action,
        "EmrConfiguration" | "Property" | "HttpProxy" => Other,
        _ => return None,
    };
    Some(kind)
}

/// A rule on the presence of fields, checked on an object's effective fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// The field must be present.
    Field(&'static str),
    /// At least one of the fields must be present.
    AnyOf(&'static [&'static str]),
    /// Exactly one of the fields must be present.
    ExactlyOne(&'static [&'static str]),
    /// At most one of the fields may be present.
    AtMostOne(&'static [&'static str]),
}

impl Requirement {
    /// Checks the rule against the set of present keys; `None` when it holds,
    /// else a message naming the fields.
    pub fn check(&self, has: impl Fn(&str) -> bool) -> Option<String> {
        let present = |keys: &[&str]| keys.iter().filter(|key| has(key)).count();
        match *self {
            Self::Field(key) => (!has(key)).then(|| format!("missing required field '{key}'")),
            Self::AnyOf(keys) => {
                (present(keys) == 0).then(|| format!("needs one of the fields {}", quoted(keys)))
            }
            Self::ExactlyOne(keys) => match present(keys) {
                1 => None,
                0 => Some(format!(
                    "needs exactly one of the fields {}, got none",
                    quoted(keys)
                )),
                count => Some(format!(
                    "needs exactly one of the fields {}, got {count}",
                    quoted(keys)
                )),
            },
            Self::AtMostOne(keys) => (present(keys) > 1)
                .then(|| format!("may have only one of the fields {}", quoted(keys))),
        }
    }
}

/// `'a', 'b' or 'c'`, for messages.
fn quoted(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|key| format!("'{key}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Fields naming where work runs.
const WORKER: Requirement = Requirement::AnyOf(&["workerGroup", "runsOn"]);
/// The two ways to give a script.
const SCRIPT: Requirement = Requirement::ExactlyOne(&["command", "scriptUri"]);

/// The field rules validation checks for objects of `type_name`. Unknown
/// types have none.
pub fn requirements(type_name: &str) -> &'static [Requirement] {
    use Requirement::{AnyOf, AtMostOne, ExactlyOne, Field};
    match type_name {
        "Schedule" => &[
            Field("period"),
            ExactlyOne(&["startDateTime", "startAt"]),
            AtMostOne(&["endDateTime", "occurrences"]),
        ],
        "ShellCommandActivity" => &[SCRIPT, WORKER],
        "ShellCommandPrecondition" => &[SCRIPT],
        "CopyActivity" | "RedshiftCopyActivity" => &[Field("input"), Field("output"), WORKER],
        "EmrActivity" => &[Field("step"), WORKER],
        "HiveActivity" => &[ExactlyOne(&["hiveScript", "scriptUri"]), WORKER],
        "HiveCopyActivity" => &[Field("input"), Field("output"), WORKER],
        "PigActivity" => &[ExactlyOne(&["script", "scriptUri"]), WORKER],
        "SqlActivity" => &[
            Field("database"),
            ExactlyOne(&["script", "scriptUri"]),
            WORKER,
        ],
        "S3KeyExists" => &[Field("s3Key")],
        "S3PrefixNotEmpty" => &[Field("s3Prefix")],
        "DynamoDBDataExists" | "DynamoDBTableExists" | "DynamoDBDataNode" => &[Field("tableName")],
        "S3DataNode" => &[ExactlyOne(&[
            "filePath",
            "directoryPath",
            "manifestFilePath",
        ])],
        "SqlDataNode" | "MySqlDataNode" => &[Field("table")],
        "RedshiftDataNode" => &[Field("tableName"), Field("database")],
        "JdbcDatabase" => &[Field("connectionString"), Field("jdbcDriverClass")],
        "RedshiftDatabase" => &[AnyOf(&["clusterId", "connectionString"])],
        "SnsAlarm" => &[Field("topicArn"), Field("subject"), Field("message")],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_have_their_kind() {
        assert_eq!(kind_of("ShellCommandActivity"), Some(ObjectKind::Activity));
        assert_eq!(kind_of("S3KeyExists"), Some(ObjectKind::Precondition));
        assert_eq!(kind_of("EmrCluster"), Some(ObjectKind::Resource));
        assert_eq!(kind_of("TSV"), Some(ObjectKind::DataFormat));
        assert_eq!(kind_of("HttpProxy"), Some(ObjectKind::Other));
        assert_eq!(
            kind_of("shellcommandactivity"),
            None,
            "types are case-sensitive"
        );
        assert_eq!(
            ObjectKind::of_object("Default", None),
            Some(ObjectKind::Default)
        );
        assert_eq!(
            ObjectKind::of_object("X", Some("Schedule")),
            Some(ObjectKind::Schedule)
        );
    }

    #[test]
    fn every_type_with_requirements_is_known() {
        for type_name in [
            "Schedule",
            "ShellCommandActivity",
            "S3DataNode",
            "SnsAlarm",
            "SqlActivity",
        ] {
            assert!(kind_of(type_name).is_some(), "{type_name}");
            assert!(!requirements(type_name).is_empty(), "{type_name}");
        }
        assert!(requirements("Unknown").is_empty());
    }

    #[test]
    fn requirements_name_the_fields() {
        let has = |present: &'static [&'static str]| move |key: &str| present.contains(&key);
        assert_eq!(SCRIPT.check(has(&["command"])), None);
        let both = SCRIPT.check(has(&["command", "scriptUri"])).unwrap();
        assert_eq!(
            both,
            "needs exactly one of the fields 'command' or 'scriptUri', got 2"
        );
        let none = Requirement::AnyOf(&["a", "b", "c"])
            .check(has(&[]))
            .unwrap();
        assert_eq!(none, "needs one of the fields 'a', 'b' or 'c'");
        let missing = Requirement::Field("period").check(has(&[])).unwrap();
        assert_eq!(missing, "missing required field 'period'");
        assert!(Requirement::AtMostOne(&["a", "b"])
            .check(has(&["a", "b"]))
            .is_some());
    }
}
