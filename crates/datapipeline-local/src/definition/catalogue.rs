//! The object reference of the AWS Data Pipeline Developer Guide, as data:
//! every documented object type with its kind and fields.
//!
//! The data itself is generated (`catalogue_data.rs`, written by
//! `python3 tests/guide/extract_catalogue.py` from the Guide's
//! `dp-object-*.md` pages); this file holds the types that describe it and
//! the lookups the validator uses. A test fails when the generated file
//! differs from a fresh run of the script, so the catalogue follows the Guide.

use super::catalogue_data::TYPES;
use super::kinds::ObjectKind;

/// Which table of a type's page documents a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Section {
    /// "Required Fields": every object of the type must have the field.
    Required,
    /// A "Required Group" table: at least one field of the group must be set.
    /// The groups themselves are in [`TypeDoc::groups`].
    RequiredGroup,
    /// "Optional Fields".
    Optional,
    /// "Object Invocation Fields", e.g. `schedule`.
    Invocation,
    /// "Runtime Fields": set by the service (mostly `@…` names).
    Runtime,
    /// "System Fields": set by the service, e.g. `@pipelineId`.
    System,
}

/// The kind of value a field holds, as the Guide's "Slot Type" column says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotType {
    /// Free text.
    String,
    /// A reference to another object (`{"ref": "id"}`).
    Reference,
    /// A date time `YYYY-MM-DDTHH:MM:SS`.
    DateTime,
    /// A period such as `"15 minutes"`.
    Period,
    /// A whole number.
    Integer,
    /// A decimal number.
    Double,
    /// One of a fixed set of words; see [`enumerated_values`](super::enumerated_values).
    Enumeration,
    /// `true` or `false`.
    Boolean,
}

/// One documented field of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDoc {
    /// The field's key as objects write it, e.g. `runsOn`, `*password` or
    /// `@status`.
    pub name: &'static str,
    /// The table that documents it.
    pub section: Section,
    /// What its value holds.
    pub slot: SlotType,
}

/// One documented object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeDoc {
    /// The value of `type`, e.g. `ShellCommandActivity`.
    pub name: &'static str,
    /// The role it plays in a pipeline.
    pub kind: ObjectKind,
    /// The Guide page documenting it, e.g. `dp-object-hadoopactivity.md`.
    pub page: &'static str,
    /// Its "Required Group" tables: of each, at least one field is required.
    pub groups: &'static [&'static [&'static str]],
    /// Every documented field, each once, in the page's order.
    pub fields: &'static [FieldDoc],
}

impl TypeDoc {
    /// The documented field named `key`. An encrypted key (`*password`)
    /// and its plain form (`password`) name the same field.
    pub fn field(&self, key: &str) -> Option<&'static FieldDoc> {
        let plain = plain_key(key);
        self.fields
            .iter()
            .find(|field| plain_key(field.name) == plain)
    }

    /// The fields of the "Required Fields" table.
    pub fn required_fields(&self) -> impl Iterator<Item = &'static str> {
        self.fields
            .iter()
            .filter(|field| field.section == Section::Required)
            .map(|field| field.name)
    }
}

/// Every object type the Guide documents.
pub fn object_types() -> &'static [TypeDoc] {
    TYPES
}

/// The documented type named `name` (case-sensitive, as in AWS).
pub fn object_type(name: &str) -> Option<&'static TypeDoc> {
    TYPES.iter().find(|doc| doc.name == name)
}

/// Whether any documented type has a field named `key`.
pub(crate) fn is_documented_field(key: &str) -> bool {
    TYPES.iter().any(|doc| doc.field(key).is_some())
}

/// Whether a field key or parameter id is encrypted: it starts with `*`
/// (dp-pipeline-characters.md). Encrypted values are ordinary values to
/// validation and to runners, but the service never writes them to its logs
/// or messages.
pub fn is_encrypted_key(key: &str) -> bool {
    key.starts_with('*')
}

/// `key` without the `*` that marks it encrypted.
pub(crate) fn plain_key(key: &str) -> &str {
    key.strip_prefix('*').unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_type_is_there_once() {
        for name in [
            "HadoopActivity",
            "ShellScriptConfig",
            "DynamoDBDataExists",
            "CSV",
            "Schedule",
        ] {
            assert!(object_type(name).is_some(), "{name}");
        }
        let mut names: Vec<&str> = object_types().iter().map(|doc| doc.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), object_types().len());
    }

    /// The committed `catalogue_data.rs` is what the script makes of the
    /// Guide today. The script finds the Guide (`$DATAPIPELINE_GUIDE`, else
    /// `shared/reference/...` beside the repository) and, when it cannot,
    /// fails saying where it looked: this test never skips.
    #[test]
    fn generated_catalogue_matches_the_guide() {
        let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let output = std::process::Command::new("python3")
            .arg("tests/guide/extract_catalogue.py")
            .arg("--check")
            .current_dir(&repository)
            .output()
            .expect("python3 runs tests/guide/extract_catalogue.py");
        assert!(
            output.status.success(),
            "the catalogue check failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn encrypted_keys_match_their_plain_field() {
        let rds = object_type("RdsDatabase").unwrap();
        assert!(rds.required_fields().any(|name| name == "*password"));
        assert_eq!(
            rds.field("password").map(|field| field.name),
            Some("*password")
        );
        assert!(is_encrypted_key("*password"));
        assert!(!is_encrypted_key("password"));
        assert_eq!(plain_key("*myPassword"), "myPassword");
    }
}
