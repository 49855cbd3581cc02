//! The page, its script and its style, embedded in the binary: the console
//! needs nothing at run time but the service itself.

use bytes::Bytes;
use http::{Response, StatusCode};

use super::request::response;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// The page.
pub(crate) fn index() -> Response<Bytes> {
    response(
        StatusCode::OK,
        "text/html; charset=utf-8",
        Bytes::from_static(INDEX.as_bytes()),
    )
}

/// The asset `name`, if there is one.
pub(crate) fn file(name: &str) -> Option<Response<Bytes>> {
    let (content_type, body) = match name {
        "app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "style.css" => ("text/css; charset=utf-8", STYLE),
        _ => return None,
    };
    Some(response(
        StatusCode::OK,
        content_type,
        Bytes::from_static(body.as_bytes()),
    ))
}
