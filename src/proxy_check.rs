//! The check at start that the proxy takes our credentials.
//!
//! A proxy that refuses them answers 407 (or 401) and often closes the connection
//! while the request body is still being sent, so the SDK's calls fail
//! with a bare "connection reset" that names neither the proxy nor the
//! credentials. One request without a body, sent by hand at start, reads
//! that status itself and turns it into an error that says what to fix.

use std::time::Duration;

use hyper::Uri;
use hyper_util::client::proxy::matcher::Matcher;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long the proxy may take to answer the check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The statuses a proxy answers when it wants other credentials: 407 by
/// the standard; 401 from some proxies (tinyproxy among them) when the
/// credentials sent are wrong rather than missing.
const CREDENTIALS_REFUSED: [u16; 2] = [407, 401];

/// Why the check did not pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ProxyCheckError {
    /// The proxy refused the credentials: the user has to fix them.
    #[error("the proxy {proxy} refused the credentials (HTTP {status}): check --proxyUsername and --proxyPassword, or the user and password in HTTPS_PROXY/HTTP_PROXY")]
    Refused {
        /// The proxy, without credentials.
        proxy: String,
        /// The status it answered.
        status: u16,
    },
    /// The proxy could not be asked: the calls themselves will retry, so
    /// the caller only warns.
    #[error("cannot check the proxy {proxy}: {reason}")]
    Unreachable {
        /// The proxy, without credentials.
        proxy: String,
        /// What went wrong.
        reason: String,
    },
}

/// Asks the proxy that `matcher` picks for `target` (the Data Pipeline
/// endpoint) to pass one request without a body: a `HEAD` for an `http://`
/// target, a `CONNECT` for an `https://` one, as the SDK's own requests go.
/// No proxy for the target, or a proxy spoken to over TLS, is not checked.
///
/// # Errors
/// [`ProxyCheckError::Refused`] on a 407 or 401; [`ProxyCheckError::Unreachable`]
/// when the proxy does not answer with a status line in time.
pub(crate) async fn check(matcher: &Matcher, target: &Uri) -> Result<(), ProxyCheckError> {
    let Some(intercept) = matcher.intercept(target) else {
        return Ok(());
    };
    let proxy_uri = intercept.uri();
    if proxy_uri.scheme_str() == Some("https") {
        return Ok(());
    }
    let proxy_host = proxy_uri.host().unwrap_or_default().to_owned();
    let proxy_port = proxy_uri.port_u16().unwrap_or(80);
    let proxy = format!("http://{proxy_host}:{proxy_port}");
    let unreachable = |reason: String| ProxyCheckError::Unreachable {
        proxy: proxy.clone(),
        reason,
    };
    let request = request_for(
        target,
        intercept.basic_auth().and_then(|value| value.to_str().ok()),
    )
    .ok_or_else(|| unreachable(format!("the endpoint {target} names no host")))?;
    let host = proxy_host.trim_start_matches('[').trim_end_matches(']');
    let status = tokio::time::timeout(CHECK_TIMEOUT, async {
        let mut stream = TcpStream::connect((host, proxy_port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut status_line = String::new();
        BufReader::new(stream).read_line(&mut status_line).await?;
        Ok::<_, std::io::Error>(status_line)
    })
    .await
    .map_err(|_| unreachable(format!("no answer within {CHECK_TIMEOUT:?}")))?
    .map_err(|error| unreachable(error.to_string()))?;
    match status_code(&status) {
        Some(status) if CREDENTIALS_REFUSED.contains(&status) => {
            Err(ProxyCheckError::Refused { proxy, status })
        }
        Some(_) => Ok(()),
        None => Err(unreachable(format!(
            "the answer {:?} is not an HTTP status line",
            status.trim_end()
        ))),
    }
}

/// The request that asks the proxy for `target`, or `None` when the target
/// names no host.
fn request_for(target: &Uri, authorization: Option<&str>) -> Option<String> {
    let host = target.host()?;
    let https = target.scheme_str() == Some("https");
    let port = target.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = format!("{host}:{port}");
    let first_line = if https {
        format!("CONNECT {authority} HTTP/1.1")
    } else {
        format!("HEAD http://{authority}/ HTTP/1.1")
    };
    let authorization = authorization
        .map(|value| format!("Proxy-Authorization: {value}\r\n"))
        .unwrap_or_default();
    Some(format!(
        "{first_line}\r\nHost: {authority}\r\n{authorization}Connection: close\r\n\r\n"
    ))
}

/// The status code of an HTTP status line (`HTTP/1.1 407 …`).
fn status_code(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    parts
        .next()
        .filter(|version| version.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_target_is_asked_for_with_head_and_an_https_one_with_connect() {
        let http: Uri = "http://127.0.0.1:8990".parse().expect("a URI");
        assert_eq!(
            request_for(&http, Some("Basic abc")).as_deref(),
            Some("HEAD http://127.0.0.1:8990/ HTTP/1.1\r\nHost: 127.0.0.1:8990\r\nProxy-Authorization: Basic abc\r\nConnection: close\r\n\r\n")
        );
        let https: Uri = "https://datapipeline.us-east-1.amazonaws.com"
            .parse()
            .expect("a URI");
        assert_eq!(
            request_for(&https, None).as_deref(),
            Some("CONNECT datapipeline.us-east-1.amazonaws.com:443 HTTP/1.1\r\nHost: datapipeline.us-east-1.amazonaws.com:443\r\nConnection: close\r\n\r\n")
        );
    }

    #[test]
    fn status_lines_are_read() {
        assert_eq!(
            status_code("HTTP/1.1 407 Proxy Authentication Required\r\n"),
            Some(407)
        );
        assert_eq!(status_code("HTTP/1.0 200 OK"), Some(200));
        assert_eq!(status_code("SSH-2.0-OpenSSH"), None);
        assert_eq!(status_code(""), None);
    }
}
