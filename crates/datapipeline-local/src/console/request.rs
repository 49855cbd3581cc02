//! The HTTP details of the console: paths, queries and responses.

use bytes::Bytes;
use http::{header, Response, StatusCode};

/// The path after `/console`, split at `/` and percent-decoded: `""` is
/// the page itself, `[]` the bare prefix.
///
/// # Errors
/// A message naming the segment when it is not valid percent-encoded UTF-8.
pub(crate) fn segments(rest: &str) -> Result<Vec<String>, String> {
    let Some(rest) = rest.strip_prefix('/') else {
        return Ok(Vec::new());
    };
    rest.split('/')
        .map(|segment| {
            percent_decode(segment)
                .ok_or_else(|| format!("path segment {segment:?} is not valid percent-encoding"))
        })
        .collect()
}

/// `text` with each `%XX` replaced by its byte, as UTF-8; `None` when an
/// escape is cut short or the bytes are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The query string's `name=value` pairs.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Reads `name=value&…`; pairs that do not decode are left out.
    pub(crate) fn parse(text: &str) -> Self {
        let pairs = text
            .split('&')
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                Some((percent_decode(name)?, percent_decode(value)?))
            })
            .collect();
        Self { pairs }
    }

    /// The value of `name`, decoded.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name` as a number, if it is one.
    pub(crate) fn number(&self, name: &str) -> Option<usize> {
        self.text(name).and_then(|value| value.parse().ok())
    }
}

/// A response with `body` and the headers every console answer carries:
/// no caching (the state changes), and a policy that lets the page load
/// only its own script and style.
pub(crate) fn response(status: StatusCode, content_type: &str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_str(content_type)
            .unwrap_or(header::HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

/// A JSON answer.
pub(crate) fn json_response(value: serde_json::Value) -> Response<Bytes> {
    response(
        StatusCode::OK,
        "application/json",
        Bytes::from(value.to_string()),
    )
}

/// An error as JSON: `{"error": message}`.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response<Bytes> {
    let body = serde_json::json!({ "error": message }).to_string();
    response(status, "application/json", Bytes::from(body))
}

/// 404, naming the path.
pub(crate) fn not_found(path: &str) -> Response<Bytes> {
    error_response(
        StatusCode::NOT_FOUND,
        &format!("{path} is not a console page, or what it names does not exist"),
    )
}

/// A permanent redirect to `location`.
pub(crate) fn redirect(location: &str) -> Response<Bytes> {
    let mut response = response(StatusCode::PERMANENT_REDIRECT, "text/plain", Bytes::new());
    if let Ok(value) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_reserved_characters_decode() {
        assert_eq!(
            segments("/api/pipelines/df-1/instances/%40Load_2026-01-01T00%3A00%3A00").unwrap(),
            [
                "api",
                "pipelines",
                "df-1",
                "instances",
                "@Load_2026-01-01T00:00:00"
            ]
        );
        assert_eq!(segments("/").unwrap(), [""]);
        assert!(segments("").unwrap().is_empty());
    }

    #[test]
    fn bad_escapes_are_refused_by_name() {
        let error = segments("/api/%zz").unwrap_err();
        assert!(error.contains("%zz"), "{error}");
        assert!(segments("/api/%e2%28").is_err());
        assert!(segments("/api/%4").is_err());
    }

    #[test]
    fn query_numbers_read_and_garbage_is_ignored() {
        let query = Query::parse("page=3&size=x&other");
        assert_eq!(query.number("page"), Some(3));
        assert_eq!(query.number("size"), None);
        assert_eq!(query.number("missing"), None);
    }
}
