//! The Java Task Runner's `--config` credentials file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `credentials.json` as the Java runner reads it.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct CredentialsFile {
    pub(crate) access_id: Option<String>,
    pub(crate) private_key: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) log_uri: Option<String>,
    /// Keys this runner does not know, reported as warnings.
    #[serde(flatten)]
    pub(crate) unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

impl std::fmt::Debug for CredentialsFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CredentialsFile")
            .field("access_id", &self.access_id)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("log_uri", &self.log_uri)
            .finish()
    }
}

/// Why the credentials file could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CredentialsFileError {
    // The cause is in the message, and so not a `source` too: the binary
    // prints the whole chain, which would repeat it.
    /// The file could not be read.
    #[error("cannot read the credentials file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not the expected JSON.
    #[error("the credentials file {path} is not valid: {error} (expected {{\"access-id\": \"…\", \"private-key\": \"…\"}})")]
    Parse {
        path: PathBuf,
        error: serde_json::Error,
    },
    /// Only one half of the key pair is there.
    #[error("the credentials file {path} has {present} but not {missing}")]
    HalfKey {
        path: PathBuf,
        present: &'static str,
        missing: &'static str,
    },
}

impl CredentialsFile {
    /// Reads and checks `path`.
    pub(crate) fn read(path: &Path) -> Result<Self, CredentialsFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| CredentialsFileError::Read {
            path: path.to_owned(),
            error,
        })?;
        let file: Self =
            serde_json::from_str(&text).map_err(|error| CredentialsFileError::Parse {
                path: path.to_owned(),
                error,
            })?;
        match (&file.access_id, &file.private_key) {
            (Some(_), None) => Err(CredentialsFileError::HalfKey {
                path: path.to_owned(),
                present: "access-id",
                missing: "private-key",
            }),
            (None, Some(_)) => Err(CredentialsFileError::HalfKey {
                path: path.to_owned(),
                present: "private-key",
                missing: "access-id",
            }),
            _ => Ok(file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn the_java_runners_file_reads() {
        let file = write(
            r#"{"access-id": "AKID", "private-key": "SECRET", "region": "eu-west-1", "endpoint": "https://datapipeline.eu-west-1.amazonaws.com"}"#,
        );
        let credentials = CredentialsFile::read(file.path()).unwrap();
        assert_eq!(credentials.access_id.as_deref(), Some("AKID"));
        assert_eq!(credentials.region.as_deref(), Some("eu-west-1"));
        assert!(
            !format!("{credentials:?}").contains("SECRET"),
            "the secret never prints"
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let half = write(r#"{"access-id": "AKID"}"#);
        let error = CredentialsFile::read(half.path()).unwrap_err().to_string();
        assert!(error.contains("private-key"), "{error}");
        let broken = write("{");
        let error = CredentialsFile::read(broken.path())
            .unwrap_err()
            .to_string();
        assert!(error.contains("not valid"), "{error}");
        let error = CredentialsFile::read(Path::new("/nonexistent/credentials.json"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/credentials.json"), "{error}");
    }
}
