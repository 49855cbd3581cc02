//! [`S3Uri`]: an `s3://bucket/key` URI split into bucket and key.

use std::fmt;
use std::str::FromStr;

/// The longest key S3 accepts, in bytes.
const MAX_KEY_BYTES: usize = 1024;
/// The longest bucket name S3 ever accepted (legacy us-east-1 names; new
/// buckets are at most 63).
const MAX_BUCKET_BYTES: usize = 255;

/// An `s3://bucket/key` URI.
///
/// The key is taken literally (no percent-decoding), as the AWS CLI and the
/// Data Pipeline fields write it; it may be empty (`s3://bucket` and
/// `s3://bucket/` name the whole bucket). The scheme is matched
/// case-insensitively.
///
/// ```
/// use taskrunner_s3::S3Uri;
///
/// let uri: S3Uri = "s3://my-bucket/logs/2024/out.txt".parse()?;
/// assert_eq!(uri.bucket(), "my-bucket");
/// assert_eq!(uri.key(), "logs/2024/out.txt");
/// assert_eq!(uri.dir_prefix(), "logs/2024/out.txt/");
/// assert!("https://my-bucket/x".parse::<S3Uri>().is_err());
/// # Ok::<(), taskrunner_s3::UriError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Uri {
    bucket: String,
    key: String,
}

/// Why a string is not a usable `s3://bucket/key` URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// It does not start with `s3://`. Write it as `s3://bucket/key`.
    #[error("{uri:?} is not an s3:// URI (expected s3://bucket/key)")]
    NotS3 {
        /// The string as given.
        uri: String,
    },
    /// Nothing names the bucket (`s3://`, `s3:///key`).
    #[error("{uri:?} names no bucket (expected s3://bucket/key)")]
    NoBucket {
        /// The string as given.
        uri: String,
    },
    /// The bucket name has characters or a length S3 never allows.
    #[error("{uri:?} has an invalid bucket name {bucket:?} (letters, digits, '.', '-' and '_', at most 255 characters)")]
    BadBucket {
        /// The string as given.
        uri: String,
        /// The bucket part.
        bucket: String,
    },
    /// The key is longer than S3's 1,024 bytes.
    #[error("{uri:?} has a key longer than S3's limit of 1024 bytes")]
    KeyTooLong {
        /// The string as given.
        uri: String,
    },
    /// The URI names a prefix (it ends with `/` or has no key) where an
    /// object is needed. Name the object: `s3://bucket/dir/file`.
    #[error("{uri:?} names a prefix, not an object (expected s3://bucket/key with a key not ending in '/')")]
    NotAnObject {
        /// The string as given.
        uri: String,
    },
}

impl S3Uri {
    /// Parses `s3://bucket/key`.
    ///
    /// # Errors
    ///
    /// A [`UriError`] naming the URI and what is wrong with it.
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        let rest = uri
            .split_once("://")
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("s3"))
            .map(|(_, rest)| rest)
            .ok_or_else(|| UriError::NotS3 {
                uri: uri.to_owned(),
            })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(UriError::NoBucket {
                uri: uri.to_owned(),
            });
        }
        let valid_bucket = bucket.len() <= MAX_BUCKET_BYTES
            && bucket
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'));
        if !valid_bucket {
            return Err(UriError::BadBucket {
                uri: uri.to_owned(),
                bucket: bucket.to_owned(),
            });
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(UriError::KeyTooLong {
                uri: uri.to_owned(),
            });
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// Parses a URI that must name an object: a non-empty key not ending
    /// in `/`.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse), and [`UriError::NotAnObject`].
    pub fn parse_object(uri: &str) -> Result<Self, UriError> {
        let parsed = Self::parse(uri)?;
        if parsed.key.is_empty() || parsed.key.ends_with('/') {
            return Err(UriError::NotAnObject {
                uri: uri.to_owned(),
            });
        }
        Ok(parsed)
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key, possibly empty.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key as a "directory" prefix: empty for the whole bucket, else the
    /// key with exactly one trailing `/` (`logs` and `logs/` both give
    /// `logs/`), so that `s3://b/logs` never matches `logs-old/…`.
    pub fn dir_prefix(&self) -> String {
        let trimmed = self.key.trim_end_matches('/');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        }
    }

    /// The object `key` in the same bucket.
    pub(crate) fn with_key(&self, key: impl Into<String>) -> Self {
        Self {
            bucket: self.bucket.clone(),
            key: key.into(),
        }
    }

    /// The URI of `name` below this one taken as a directory
    /// (`s3://b/logs` + `x/y` = `s3://b/logs/x/y`).
    pub fn join(&self, name: &str) -> Self {
        Self {
            bucket: self.bucket.clone(),
            key: format!("{}{name}", self.dir_prefix()),
        }
    }
}

impl FromStr for S3Uri {
    type Err = UriError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        Self::parse(uri)
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "s3://{}/{}", self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> (String, String) {
        let parsed = S3Uri::parse(uri).expect(uri);
        (parsed.bucket().to_owned(), parsed.key().to_owned())
    }

    #[test]
    fn splits_bucket_and_key() {
        let pair = |bucket: &str, key: &str| (bucket.to_owned(), key.to_owned());
        assert_eq!(parts("s3://b/k"), pair("b", "k"));
        assert_eq!(
            parts("S3://Legacy_Bucket/a/b/"),
            pair("Legacy_Bucket", "a/b/")
        );
        assert_eq!(parts("s3://b"), pair("b", ""));
        assert_eq!(parts("s3://b/"), pair("b", ""));
        assert_eq!(parts("s3://b/a b%20c?x#y"), pair("b", "a b%20c?x#y"));
        assert_eq!(parts("s3://b//lead"), pair("b", "/lead"));
    }

    #[test]
    fn refuses_what_s3_cannot_hold() {
        type Check = fn(&UriError) -> bool;
        let cases: [(&str, Check); 6] = [
            ("https://b/k", |e| matches!(e, UriError::NotS3 { .. })),
            ("b/k", |e| matches!(e, UriError::NotS3 { .. })),
            ("s3://", |e| matches!(e, UriError::NoBucket { .. })),
            ("s3:///k", |e| matches!(e, UriError::NoBucket { .. })),
            ("s3://bad bucket/k", |e| {
                matches!(e, UriError::BadBucket { .. })
            }),
            ("s3://b:80/k", |e| matches!(e, UriError::BadBucket { .. })),
        ];
        for (uri, expected) in cases {
            let error = S3Uri::parse(uri).expect_err(uri);
            assert!(expected(&error), "{uri}: {error:?}");
            assert!(error.to_string().contains(uri), "{error}");
        }
        let long = format!("s3://b/{}", "k".repeat(1025));
        assert!(matches!(
            S3Uri::parse(&long),
            Err(UriError::KeyTooLong { .. })
        ));
        for uri in ["s3://b", "s3://b/", "s3://b/dir/"] {
            assert!(
                matches!(S3Uri::parse_object(uri), Err(UriError::NotAnObject { .. })),
                "{uri}"
            );
        }
    }

    #[test]
    fn prefixes_and_joins() {
        let dir = S3Uri::parse("s3://b/logs").expect("parses");
        assert_eq!(dir.dir_prefix(), "logs/");
        assert_eq!(
            S3Uri::parse("s3://b/logs//").expect("p").dir_prefix(),
            "logs/"
        );
        assert_eq!(S3Uri::parse("s3://b").expect("p").dir_prefix(), "");
        assert_eq!(dir.join("id/x.gz").to_string(), "s3://b/logs/id/x.gz");
        assert_eq!(
            S3Uri::parse("s3://b/").expect("p").join("x").to_string(),
            "s3://b/x"
        );
    }
}
