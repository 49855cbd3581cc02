//! [`FieldUri`]: a path or URI from a task field, parsed into where it points,
//! and [`Endpoint`]: how to move data there.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use super::{local, Storage, StorageError};
use crate::error::ShellError;

/// Where a path or URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A local path (a plain path, or a `file://` URI). Relative paths are
    /// relative to the runner's working directory, not the command's.
    Local(PathBuf),
    /// An `s3://` URI, handled by the configured [`Storage`].
    S3,
}

impl Location {
    /// Parses a field value. `Err` carries the reason, for the caller to
    /// name the field.
    pub(crate) fn parse(uri: &str) -> Result<Self, String> {
        if uri.is_empty() {
            return Err("is empty".to_owned());
        }
        if let Some(rest) = strip_scheme(uri, "s3") {
            return if rest.is_empty() || rest.starts_with('/') {
                Err(format!(
                    "{uri:?} names no bucket (expected s3://bucket/key)"
                ))
            } else {
                Ok(Self::S3)
            };
        }
        if let Some(rest) = strip_scheme(uri, "file") {
            let rest = rest.strip_prefix("localhost").unwrap_or(rest);
            return if rest.starts_with('/') {
                Ok(Self::Local(PathBuf::from(percent_decode(rest))))
            } else {
                Err(format!(
                    "{uri:?} is not an absolute file URI (expected file:///path)"
                ))
            };
        }
        if let Some((scheme, _)) = uri.split_once("://") {
            if is_scheme(scheme) {
                return Err(format!(
                    "{uri:?} has the unsupported scheme {scheme:?} (use a local path, file:// or s3://)"
                ));
            }
        }
        Ok(Self::Local(PathBuf::from(uri)))
    }
}

/// A path or URI taken from a task field, with the field's name for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldUri {
    /// The field it came from, e.g. `stdout` or `input #1 (In) directoryPath`.
    pub(crate) field: String,
    /// The value as written in the pipeline.
    pub(crate) uri: String,
    /// Where it points.
    pub(crate) location: Location,
}

impl FieldUri {
    /// Parses the value of `field`.
    pub(crate) fn parse(field: impl Into<String>, uri: &str) -> Result<Self, ShellError> {
        let field = field.into();
        match Location::parse(uri) {
            Ok(location) => Ok(Self {
                field,
                uri: uri.to_owned(),
                location,
            }),
            Err(reason) => Err(ShellError::InvalidCommand(format!("{field} {reason}"))),
        }
    }

    /// How to reach this location: locally, or through `storage` for
    /// `s3://`.
    ///
    /// # Errors
    ///
    /// [`ShellError::S3NotConfigured`] for an `s3://` URI without a storage.
    pub(crate) fn endpoint<'a>(
        &'a self,
        storage: Option<&'a dyn Storage>,
    ) -> Result<Endpoint<'a>, ShellError> {
        match (&self.location, storage) {
            (Location::Local(path), _) => Ok(Endpoint::Local(path)),
            (Location::S3, Some(storage)) => Ok(Endpoint::Remote {
                storage,
                uri: &self.uri,
            }),
            (Location::S3, None) => Err(ShellError::S3NotConfigured {
                field: self.field.clone(),
                uri: self.uri.clone(),
            }),
        }
    }

    /// The last segment of the path or key, if it has one (`data.csv` for
    /// `s3://bucket/in/data.csv`).
    pub(crate) fn file_name(&self) -> Option<String> {
        let name = match &self.location {
            Location::Local(path) => path.file_name()?.to_string_lossy().into_owned(),
            Location::S3 => self.uri.rsplit('/').next()?.to_owned(),
        };
        (!name.is_empty()).then_some(name)
    }
}

/// A resolved place to move data to or from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Endpoint<'a> {
    /// A local file or directory.
    Local(&'a Path),
    /// An object or prefix in the configured storage.
    Remote {
        storage: &'a dyn Storage,
        uri: &'a str,
    },
}

impl Endpoint<'_> {
    /// Copies this file to the local file `dest`, creating its parent.
    pub(crate) async fn fetch_file(&self, dest: &Path) -> Result<(), StorageError> {
        local::create_parent(dest).await?;
        match self {
            Self::Local(path) => local::copy_file(path, dest).await,
            Self::Remote { storage, uri } => storage.fetch_file(uri, dest).await,
        }
    }

    /// Copies this directory's contents into the local directory `dest`.
    pub(crate) async fn fetch_dir(&self, dest: &Path) -> Result<(), StorageError> {
        match self {
            Self::Local(path) => local::copy_dir_contents(path, dest).await,
            Self::Remote { storage, uri } => storage.fetch_dir(uri, dest).await,
        }
    }

    /// Copies the local file `source` to this file.
    pub(crate) async fn upload_file(&self, source: &Path) -> Result<(), StorageError> {
        match self {
            Self::Local(path) => local::copy_file(source, path).await,
            Self::Remote { storage, uri } => storage.upload_file(source, uri).await,
        }
    }

    /// Copies the local directory `source`'s contents into this directory.
    pub(crate) async fn upload_dir(&self, source: &Path) -> Result<(), StorageError> {
        match self {
            Self::Local(path) => local::copy_dir_contents(source, path).await,
            Self::Remote { storage, uri } => storage.upload_dir(source, uri).await,
        }
    }
}

/// `uri` without `scheme://`, matching the scheme case-insensitively.
fn strip_scheme<'a>(uri: &'a str, scheme: &str) -> Option<&'a str> {
    let (head, rest) = uri.split_once("://")?;
    head.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// RFC 3986: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
fn percent_decode(text: &str) -> OsString {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    OsString::from_vec(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(path: &str) -> Result<Location, String> {
        Ok(Location::Local(PathBuf::from(path)))
    }

    #[test]
    fn parses_paths_and_uris() {
        assert_eq!(
            Location::parse("/var/log/out.txt"),
            local("/var/log/out.txt")
        );
        assert_eq!(Location::parse("relative/out"), local("relative/out"));
        assert_eq!(Location::parse("file:///tmp/a%20b"), local("/tmp/a b"));
        assert_eq!(Location::parse("FILE://localhost/tmp/x"), local("/tmp/x"));
        assert_eq!(Location::parse("file:///bad%zz"), local("/bad%zz"));
        assert_eq!(Location::parse("s3://bucket/key"), Ok(Location::S3));
        assert_eq!(Location::parse("S3://bucket"), Ok(Location::S3));
    }

    #[test]
    fn rejects_what_it_cannot_reach() {
        for uri in [
            "",
            "s3://",
            "s3:///key",
            "file://host/x",
            "file://rel",
            "https://x/y",
        ] {
            assert!(Location::parse(uri).is_err(), "{uri}");
        }
        let error = FieldUri::parse("stdout", "ftp://x/y").expect_err("unsupported");
        assert!(error.to_string().starts_with("stdout "), "{error}");
        assert!(error.to_string().contains("\"ftp\""), "{error}");
    }

    #[test]
    fn s3_needs_a_storage() {
        let uri = FieldUri::parse("stderr", "s3://bucket/err").expect("parses");
        let error = uri.endpoint(None).expect_err("no storage");
        assert!(matches!(error, ShellError::S3NotConfigured { .. }));
        assert!(error.to_string().contains("s3://bucket/err"), "{error}");
        assert_eq!(uri.file_name().as_deref(), Some("err"));
    }
}
