//! The web console: a read-only view of the service's state in a browser,
//! served under `/console/` on the service's own port.
//!
//! The page and its script are embedded in the binary (no Node, no CDN);
//! the script polls the JSON endpoints under `/console/api/` about once a
//! second, so what it shows follows the pipelines as they run. The
//! endpoints read the state directly, under the state lock, rather than
//! through the wire API: they show what no operation answers (the lease
//! ledger, live leases' deadlines) and they never change anything.
//!
//! | path | answers |
//! |---|---|
//! | `/console/` | the page (`app.js`, `style.css` beside it) |
//! | `api/pipelines` | every pipeline: state, health, last run, instance counts by status |
//! | `api/pipelines/ID/graph` | the definition's objects and references, laid out ([`layout`]) |
//! | `api/pipelines/ID/objects/OBJECT` | one object's fields, as written and evaluated |
//! | `api/pipelines/ID/runs?page=N&size=M&asOf=T` | one page of the components × scheduled times grid, counted back from time `T` (default: the latest) |
//! | `api/pipelines/ID/instances/INSTANCE` | one instance and its attempts |
//! | `api/pipelines/ID/attempts/ATTEMPT/logs` | the attempt's stdout and stderr, when a store has them |
//! | `api/pipelines/ID/leases` | live leases and the ledger's record of this pipeline's leases |
//!
//! Encrypted values (`*` fields and parameters) never leave the service
//! through the console: every pipeline-scoped answer goes through
//! [`secrets::Secrets::mask`] last, which replaces each such value wherever
//! it appears (an evaluated field, an error message, a log).

mod assets;
mod graph;
mod layout;
mod leases;
mod logs;
mod object;
mod pipelines;
mod request;
mod runs;
mod secrets;

use bytes::Bytes;
use http::{Method, Response, StatusCode};

use crate::service::Core;
use request::{json_response, not_found, Query};

/// The path the console is served under.
pub(crate) const PREFIX: &str = "/console";

/// Whether a request for `path` is the console's.
pub(crate) fn owns(path: &str) -> bool {
    path == PREFIX || path.starts_with("/console/")
}

/// Answers a console request.
pub(crate) async fn serve(core: &Core, method: &Method, uri: &http::Uri) -> Response<Bytes> {
    if method != Method::GET && method != Method::HEAD {
        return request::error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{method} {}: the console is read-only; use GET", uri.path()),
        );
    }
    let path = uri.path();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return not_found(path);
    };
    let query = Query::parse(uri.query().unwrap_or(""));
    let segments = match request::segments(rest) {
        Ok(segments) => segments,
        Err(message) => return request::error_response(StatusCode::BAD_REQUEST, &message),
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        [] => request::redirect(&format!("{PREFIX}/")),
        [""] => assets::index(),
        [name] => assets::file(name).unwrap_or_else(|| not_found(path)),
        ["api", "pipelines"] => json_response(core.read(pipelines::list)),
        ["api", "pipelines", id, rest @ ..] => pipeline_api(core, id, rest, &query, path).await,
        _ => not_found(path),
    }
}

/// The endpoints about one pipeline.
async fn pipeline_api(
    core: &Core,
    id: &str,
    rest: &[&str],
    query: &Query,
    path: &str,
) -> Response<Bytes> {
    if let ["attempts", attempt, "logs"] = rest {
        return match logs::logs(core, id, attempt).await {
            Some(answer) => json_response(answer),
            None => not_found(path),
        };
    }
    let answer = core.read(|state| {
        let pipeline = state.pipelines.get(id)?;
        let answer = match rest {
            ["graph"] => graph::graph(pipeline),
            ["objects", object] => object::object(pipeline, object)?,
            ["runs"] => runs::grid(
                pipeline,
                query.number("page").unwrap_or(0),
                query.number("size").unwrap_or(runs::DEFAULT_PAGE_SIZE),
                query.text("asOf").and_then(crate::clock::parse_time),
            ),
            ["instances", instance] => runs::instance(state, pipeline, instance)?,
            ["leases"] => leases::leases(state, pipeline),
            _ => return None,
        };
        Some(secrets::Secrets::of(pipeline).masked(answer))
    });
    match answer {
        Some(answer) => json_response(answer),
        None => not_found(path),
    }
}
