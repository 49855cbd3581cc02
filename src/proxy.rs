//! The proxy the runner's AWS calls go through, taken as the Java runner
//! takes it (dp-taskrunner-config-options.md, dp-taskrunner-proxy.md).
//!
//! - `--proxyHost` (with `--proxyPort`, `--proxyUsername`, `--proxyPassword`)
//!   sends every Data Pipeline and S3 call through that HTTP proxy, with
//!   Basic authentication when a user name is given; `--s3NoProxy` keeps S3
//!   direct.
//! - With no proxy flag, the standard variables rule, as for the AWS CLI:
//!   `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, upper or lower
//!   case (the SDK's own client reads them).
//! - `--proxyDomain` and `--proxyWorkstation` are NTLM's: refused at start,
//!   since only Basic authentication is spoken.

use std::fmt;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use hyper_util::client::proxy::matcher::Matcher;

use crate::flags::RunArgs;

/// The port of a proxy given by `--proxyHost` alone: the default port of an
/// `http://` URL, which is what a proxy host without a port means.
const DEFAULT_PROXY_PORT: u16 = 80;

/// The instance metadata service's addresses (IPv4 and IPv6). They answer
/// only from the instance itself, so they stay direct whatever the flags say.
const ALWAYS_DIRECT: &str = "169.254.169.254,fd00:ec2::254";

/// Proxy flags that cannot be acted on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ProxyFlagError {
    /// An NTLM flag: the user has to pick a proxy that takes Basic
    /// authentication (or none).
    #[error("{flag} is for NTLM proxies, which this runner does not support: use a proxy that takes Basic authentication (--proxyUsername and --proxyPassword) or no authentication, with --proxyHost or HTTPS_PROXY")]
    Ntlm {
        /// The NTLM flag that was given.
        flag: &'static str,
    },
    /// A proxy setting without `--proxyHost`: the user has to add the host.
    #[error("{flag} needs --proxyHost: give the proxy's host name as well")]
    NeedsHost {
        /// The flag that was given without a host.
        flag: &'static str,
    },
    /// A password without a user name: the user has to add `--proxyUsername`.
    #[error("--proxyPassword needs --proxyUsername: Basic authentication sends both")]
    PasswordWithoutUsername,
    /// `--proxyHost` is not a bare host name or address.
    #[error("--proxyHost {host:?} is not a host name or address: give it alone, e.g. --proxyHost proxy.example.com --proxyPort 3128")]
    BadHost {
        /// The value given.
        host: String,
    },
}

/// Where the runner's AWS clients send their calls, derived once from the
/// flags.
#[derive(Clone)]
pub(crate) struct Proxy {
    /// The proxy the flags name, or `None` when the environment rules.
    flagged: Option<FlaggedProxy>,
    /// `--s3NoProxy`: S3 calls connect directly even when the others use a
    /// proxy (from the flags or the environment).
    s3_direct: bool,
}

/// A proxy named by `--proxyHost`.
#[derive(Clone)]
struct FlaggedProxy {
    /// The SDK's settings, the credentials inside: never printed.
    config: ProxyConfig,
    /// The proxy's URL with the credentials in it: never printed.
    url: String,
    /// The hosts reached directly (`NO_PROXY` and the metadata service).
    no_proxy: String,
    /// The proxy's URL without credentials, for the startup line.
    shown: String,
    /// Whether Basic authentication is sent.
    authenticated: bool,
}

impl fmt::Debug for Proxy {
    // By hand: the derived form would print the password.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.describe())
    }
}

impl Proxy {
    /// Reads the proxy flags of `arguments`.
    ///
    /// # Errors
    /// An NTLM flag, a setting without `--proxyHost`, a password without a
    /// user name, or a host that is not one.
    pub(crate) fn from_arguments(arguments: &RunArgs) -> Result<Self, ProxyFlagError> {
        if arguments.proxy_domain.is_some() {
            return Err(ProxyFlagError::Ntlm {
                flag: "--proxyDomain",
            });
        }
        if arguments.proxy_workstation.is_some() {
            return Err(ProxyFlagError::Ntlm {
                flag: "--proxyWorkstation",
            });
        }
        let flagged = match &arguments.proxy_host {
            Some(host) => Some(FlaggedProxy::new(
                host,
                arguments.proxy_port.unwrap_or(DEFAULT_PROXY_PORT),
                arguments.proxy_username.as_deref(),
                arguments.proxy_password.as_deref(),
            )?),
            None => {
                let without_host = [
                    ("--proxyPort", arguments.proxy_port.is_some()),
                    ("--proxyUsername", arguments.proxy_username.is_some()),
                    ("--proxyPassword", arguments.proxy_password.is_some()),
                ];
                if let Some((flag, _)) = without_host.into_iter().find(|(_, given)| *given) {
                    return Err(ProxyFlagError::NeedsHost { flag });
                }
                None
            }
        };
        Ok(Self {
            flagged,
            s3_direct: arguments.s3_no_proxy,
        })
    }

    /// The HTTP client for Data Pipeline (and the credential providers), or
    /// `None` to keep the SDK's own, which follows the proxy variables of
    /// the environment.
    pub(crate) fn aws_client(&self) -> Option<SharedHttpClient> {
        self.flagged
            .as_ref()
            .map(|proxy| http_client(proxy.config.clone()))
    }

    /// The HTTP client for S3: direct with `--s3NoProxy`, else as
    /// [`Proxy::aws_client`].
    pub(crate) fn s3_client(&self) -> Option<SharedHttpClient> {
        if self.s3_direct {
            Some(direct_client())
        } else {
            self.aws_client()
        }
    }

    /// Which requests go through which proxy, with which credentials, as
    /// the Data Pipeline client decides it (for the startup check).
    pub(crate) fn matcher(&self) -> Matcher {
        match &self.flagged {
            Some(proxy) => Matcher::builder()
                .all(proxy.url.clone())
                .no(proxy.no_proxy.clone())
                .build(),
            None => Matcher::from_env(),
        }
    }

    /// A description for the startup line, without the password.
    pub(crate) fn describe(&self) -> String {
        let calls = match &self.flagged {
            Some(proxy) if proxy.authenticated => {
                format!("proxy {} (Basic authentication)", proxy.shown)
            }
            Some(proxy) => format!("proxy {}", proxy.shown),
            None => "proxy from the environment, if set".to_owned(),
        };
        if self.s3_direct {
            format!("{calls}, S3 direct")
        } else {
            calls
        }
    }
}

impl FlaggedProxy {
    /// The proxy at `host:port`, with Basic credentials when `username` is
    /// given (the password may be empty, as a Basic header allows). The
    /// environment's `NO_PROXY` still names hosts to reach directly.
    fn new(
        host: &str,
        port: u16,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<Self, ProxyFlagError> {
        let bad_host = || ProxyFlagError::BadHost {
            host: host.to_owned(),
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(bad_host());
        }
        // An IPv6 address goes in brackets in a URL.
        let host_in_url = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let shown = format!("http://{host_in_url}:{port}");
        let url = match (username, password) {
            (Some(username), password) => format!(
                "http://{}:{}@{host_in_url}:{port}",
                percent_encode(username),
                percent_encode(password.unwrap_or_default())
            ),
            (None, Some(_)) => return Err(ProxyFlagError::PasswordWithoutUsername),
            (None, None) => shown.clone(),
        };
        let no_proxy = no_proxy_rules();
        let config = ProxyConfig::all(url.clone())
            .map_err(|_| bad_host())?
            .no_proxy(&no_proxy);
        Ok(Self {
            config,
            url,
            no_proxy,
            shown,
            authenticated: username.is_some(),
        })
    }
}

/// The hosts reached directly: the environment's `NO_PROXY` (or
/// `no_proxy`) and the instance metadata service.
fn no_proxy_rules() -> String {
    let from_environment = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()));
    match from_environment {
        Some(rules) => format!("{rules},{ALWAYS_DIRECT}"),
        None => ALWAYS_DIRECT.to_owned(),
    }
}

/// A client that never uses a proxy, for the services `taskrunner local`
/// embeds on 127.0.0.1: a proxy from the environment cannot reach them.
pub(crate) fn direct_client() -> SharedHttpClient {
    http_client(ProxyConfig::disabled())
}

/// The SDK's default HTTPS client (rustls with aws-lc, as
/// `default-https-client` builds it), with `proxy` instead of the
/// environment's.
fn http_client(proxy: ProxyConfig) -> SharedHttpClient {
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .proxy_config(proxy.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build()
    })
}

/// `text` as a URL's user information may carry it: every byte but the
/// unreserved ones as `%XX`, so that `@`, `:` or `/` in a password cannot
/// change where the URL points. The proxy client decodes it back.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_information_is_percent_encoded() {
        assert_eq!(percent_encode("pa@ss:w/rd é"), "pa%40ss%3Aw%2Frd%20%C3%A9");
        assert_eq!(percent_encode("plain-user_1.~"), "plain-user_1.~");
    }

    #[test]
    fn the_description_never_holds_the_password() {
        let proxy = Proxy {
            flagged: Some(
                FlaggedProxy::new("proxy.example", 3128, Some("user"), Some("hidden-value"))
                    .expect("a valid proxy"),
            ),
            s3_direct: true,
        };
        let described = format!("{proxy:?}");
        assert!(!described.contains("hidden-value"), "{described}");
        assert_eq!(
            described,
            "proxy http://proxy.example:3128 (Basic authentication), S3 direct"
        );
    }

    #[test]
    fn a_password_with_url_characters_reaches_the_proxy_unchanged() {
        let proxy = Proxy {
            flagged: Some(
                FlaggedProxy::new("proxy.example", 3128, Some("us@er"), Some("p@ss/w:rd%"))
                    .expect("a valid proxy"),
            ),
            s3_direct: false,
        };
        let target = "https://datapipeline.us-east-1.amazonaws.com"
            .parse()
            .expect("a URI");
        let intercept = proxy.matcher().intercept(&target).expect("proxied");
        // base64("us@er:p@ss/w:rd%")
        assert_eq!(
            intercept.basic_auth().and_then(|value| value.to_str().ok()),
            Some("Basic dXNAZXI6cEBzcy93OnJkJQ==")
        );
        assert_eq!(intercept.uri().host(), Some("proxy.example"));
    }

    #[test]
    fn a_host_with_a_scheme_or_path_is_refused() {
        for host in ["http://proxy.example", "proxy.example/path", "", "u@proxy"] {
            assert!(
                matches!(
                    FlaggedProxy::new(host, 3128, None, None),
                    Err(ProxyFlagError::BadHost { .. })
                ),
                "{host:?}"
            );
        }
    }

    #[test]
    fn an_ipv6_host_is_bracketed() {
        let proxy = FlaggedProxy::new("::1", 3128, None, None).expect("an IPv6 proxy");
        assert_eq!(proxy.shown, "http://[::1]:3128");
    }
}
