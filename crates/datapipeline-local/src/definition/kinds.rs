//! Object kinds and the field rules validation checks, both taken from the
//! Guide's object reference (see [`catalogue`](super::catalogue)).
//!
//! An unknown `type` is a validation error, as in AWS. The rules of each
//! type are its documented "Required Fields" and "Required Group" tables,
//! refined by what the pages say in prose (e.g. "only one of `command` or
//! `scriptUri`"), with three kinds of exceptions, each listed below with
//! its source:
//!
//! - Documented requirements that the Guide's own examples leave out: AWS
//!   accepts those examples, so a missing field of this list is only a
//!   warning ([`relaxed_requirements`]).
//! - Workers: activities must name `workerGroup` or `runsOn` (either may be
//!   inherited) because no runner could poll them otherwise.
//!   `ShellCommandPrecondition` may go without, as in AWS, where a
//!   precondition runs on the resource of the activity that checks it;
//!   validation only warns (see [`validate`](super::validate())).
//! - Encrypted keys: a documented `*password` is also satisfied by a plain
//!   `password`, and the other way round.

use super::catalogue::object_type;

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
    object_type(type_name).map(|doc| doc.kind)
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

/// Rules the pages state in prose, which refine or add to their tables: the
/// type, the rule, and the page saying so.
const PROSE_RULES: &[(&str, Requirement, &str)] = &[
    (
        "ShellCommandActivity",
        SCRIPT,
        "dp-object-shellcommandactivity.md",
    ),
    (
        "ShellCommandPrecondition",
        SCRIPT,
        "dp-object-shellcommandprecondition.md",
    ),
    (
        "Schedule",
        Requirement::ExactlyOne(&["startDateTime", "startAt"]),
        "dp-object-schedule.md",
    ),
    (
        "Schedule",
        Requirement::AtMostOne(&["endDateTime", "occurrences"]),
        "dp-object-schedule.md",
    ),
    // The page asks for `filePath` or `directoryPath` (a file or a folder,
    // not both), and documents `manifestFilePath` as the Redshift
    // alternative without saying it excludes a path: one of the three must
    // say where the data is, and a manifest beside a path is accepted.
    (
        "S3DataNode",
        Requirement::AnyOf(&["filePath", "directoryPath", "manifestFilePath"]),
        "dp-object-s3datanode.md",
    ),
    (
        "S3DataNode",
        Requirement::AtMostOne(&["filePath", "directoryPath"]),
        "dp-object-s3datanode.md",
    ),
];

/// Documented required fields that the Guide's own examples leave out, so
/// AWS accepts objects without them: the type, the field, and a page whose
/// example omits it. A missing one is a warning. (The IAM roles are usually
/// set on `Default` and inherited, but not always; nothing in this service
/// uses them.)
const RELAXED: &[(&str, &str, &str)] = &[
    (
        "SnsAlarm",
        "role",
        "dp-object-snsalarm.md, dp-pipeline-expressions.md",
    ),
    (
        "Ec2Resource",
        "role",
        "dp-object-ec2resource.md, dp-custom-templates.md",
    ),
    (
        "Ec2Resource",
        "resourceRole",
        "dp-object-ec2resource.md, dp-custom-templates.md",
    ),
];

/// The field rules whose breach makes validation refuse an object of
/// `type_name`. Unknown types have none.
pub fn requirements(type_name: &str) -> Vec<Requirement> {
    let Some(doc) = object_type(type_name) else {
        return Vec::new();
    };
    let mut rules: Vec<Requirement> = doc
        .required_fields()
        .filter(|field| !is_relaxed(type_name, field))
        .map(Requirement::Field)
        .collect();
    for group in doc.groups {
        if same_keys(group, &WORKER_KEYS) {
            rules.push(WORKER);
            continue;
        }
        let refined = PROSE_RULES.iter().any(|(name, rule, _)| {
            *name == type_name
                && matches!(rule, Requirement::ExactlyOne(keys) if same_keys(keys, group))
        });
        if !refined {
            rules.push(Requirement::AnyOf(group));
        }
    }
    rules.extend(
        PROSE_RULES
            .iter()
            .filter(|(name, _, _)| *name == type_name)
            .map(|(_, rule, _)| *rule),
    );
    let has_worker_rule = doc
        .groups
        .iter()
        .any(|group| WORKER_KEYS.iter().all(|key| group.contains(key)));
    if doc.kind == ObjectKind::Activity && !has_worker_rule {
        rules.push(WORKER);
    }
    rules
}

/// The documented rules of `type_name` that the Guide's own definitions
/// break; validation only warns when one does not hold.
pub fn relaxed_requirements(type_name: &str) -> Vec<Requirement> {
    RELAXED
        .iter()
        .filter(|(name, _, _)| *name == type_name)
        .map(|(_, field, _)| Requirement::Field(field))
        .collect()
}

/// The keys of [`WORKER`].
const WORKER_KEYS: [&str; 2] = ["workerGroup", "runsOn"];

/// Whether `field` of `type_name` is in [`RELAXED`].
fn is_relaxed(type_name: &str, field: &str) -> bool {
    RELAXED
        .iter()
        .any(|(name, relaxed, _)| *name == type_name && *relaxed == field)
}

/// Whether two key lists hold the same keys.
fn same_keys(left: &[&str], right: &[&str]) -> bool {
    left.len() == right.len() && left.iter().all(|key| right.contains(key))
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
    fn requirements_come_from_the_guide_with_their_exceptions() {
        let hadoop = requirements("HadoopActivity");
        assert!(hadoop.contains(&Requirement::Field("jarUri")), "{hadoop:?}");
        assert!(hadoop.contains(&WORKER), "{hadoop:?}");
        let shell = requirements("ShellCommandActivity");
        assert!(shell.contains(&SCRIPT), "{shell:?}");
        assert!(!shell.contains(&Requirement::AnyOf(&["command", "scriptUri"])));
        let ec2 = requirements("Ec2Resource");
        assert!(!ec2.contains(&Requirement::Field("role")), "{ec2:?}");
        assert!(relaxed_requirements("Ec2Resource").contains(&Requirement::Field("role")));
        assert!(requirements("RdsDatabase").contains(&Requirement::Field("*password")));
        assert_eq!(kind_of("HadoopActivity"), Some(ObjectKind::Activity));
        assert_eq!(kind_of("ShellScriptConfig"), Some(ObjectKind::Other));
        assert_eq!(kind_of("HttpProxy"), Some(ObjectKind::Other));
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
