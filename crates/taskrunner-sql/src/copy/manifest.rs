//! An input `manifestFilePath`: a JSON file in Amazon Redshift's manifest
//! format, `{"entries": [{"url": "s3://b/k", "mandatory": true}, …]}`,
//! that lists the input's objects in order. Other keys of an entry (`meta`,
//! which Redshift's UNLOAD writes) are ignored; `mandatory` is false unless
//! given.

use serde_json::Value;

use super::error::CopyError;

/// Largest manifest read, in bytes: a manifest is a list of names, and one
/// this large is more likely a data file named by mistake.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its `url`.
    pub(crate) url: String,
    /// Whether the copy fails when it does not exist (else it is skipped).
    pub(crate) mandatory: bool,
}

/// The entries of the manifest `text`, read from `uri` (for messages).
///
/// # Errors
///
/// [`CopyError::Manifest`] naming the manifest and what is wrong with it.
pub(crate) fn parse(uri: &str, text: &[u8]) -> Result<Vec<Entry>, CopyError> {
    let invalid = |reason: String| CopyError::Manifest {
        manifest: uri.to_owned(),
        reason,
    };
    let document: Value = serde_json::from_slice(text)
        .map_err(|error| invalid(format!("not valid JSON: {error}")))?;
    let entries = document
        .get("entries")
        .ok_or_else(|| invalid("it has no `entries` key".to_owned()))?
        .as_array()
        .ok_or_else(|| invalid("`entries` is not an array".to_owned()))?;
    let mut listed = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let number = index + 1;
        let url = entry
            .get("url")
            .and_then(Value::as_str)
            .filter(|url| !url.is_empty())
            .ok_or_else(|| invalid(format!("entry {number} has no `url` string")))?;
        let mandatory = match entry.get("mandatory") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(mandatory)) => *mandatory,
            Some(other) => {
                return Err(invalid(format!(
                    "entry {number}: `mandatory` is {other}, not true or false"
                )))
            }
        };
        listed.push(Entry {
            url: url.to_owned(),
            mandatory,
        });
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        match parse("s3://b/m.json", text.as_bytes()) {
            Err(CopyError::Manifest { manifest, reason }) => {
                assert_eq!(manifest, "s3://b/m.json");
                reason
            }
            other => panic!("expected a manifest error, got {other:?}"),
        }
    }

    #[test]
    fn entries_in_order_with_mandatory_defaulting_to_false() {
        let entries = parse(
            "m",
            br#"{"entries":[{"url":"s3://b/2","mandatory":true},
                {"url":"s3://b/1","meta":{"content_length":5}},{"url":"s3://b/3","mandatory":false}]}"#,
        )
        .expect("a valid manifest");
        let listed: Vec<(&str, bool)> = entries
            .iter()
            .map(|entry| (entry.url.as_str(), entry.mandatory))
            .collect();
        assert_eq!(
            listed,
            [("s3://b/2", true), ("s3://b/1", false), ("s3://b/3", false)]
        );
    }

    #[test]
    fn what_is_wrong_is_named() {
        assert!(reason("{\"entries\": [").starts_with("not valid JSON: "));
        assert_eq!(reason("{\"files\": []}"), "it has no `entries` key");
        assert_eq!(reason("[]"), "it has no `entries` key");
        assert_eq!(reason("{\"entries\": {}}"), "`entries` is not an array");
        assert_eq!(
            reason("{\"entries\": [{\"url\": \"s3://b/a\"}, {\"mandatory\": true}]}"),
            "entry 2 has no `url` string"
        );
        assert_eq!(
            reason("{\"entries\": [{\"url\": \"s3://b/a\", \"mandatory\": \"yes\"}]}"),
            "entry 1: `mandatory` is \"yes\", not true or false"
        );
    }
}
