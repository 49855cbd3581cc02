//! The Java runner's proxy flags and the standard proxy variables, through a
//! real forward proxy: tinyproxy (Debian's `tinyproxy-bin`, which
//! tests/run.sh installs) with Basic authentication, started by each test on
//! a free port. The binary runs a shell activity whose output goes to a real
//! local S3 (`--logUri`), so both its Data Pipeline and its S3 calls show in
//! the proxy's log, or do not.

use crate::support;
// The S3 server the taskrunner-s3 tests use.
use crate::s3;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

/// The proxy's Basic credentials. tinyproxy's configuration takes only
/// plain words; the percent-encoding of other characters is unit-tested in
/// src/proxy.rs.
const PROXY_USER: &str = "proxy-user";
const PROXY_PASSWORD: &str = "proxy-Secret.1";

/// How long the activity may take to finish through the proxy.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// A tinyproxy process requiring [`PROXY_USER`] and [`PROXY_PASSWORD`],
/// killed on drop.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy on a free port of 127.0.0.1 and waits until it
    /// accepts connections. Panics, saying what to install, when it is
    /// missing: the test does not skip.
    fn start() -> Self {
        // A port freed just before tinyproxy binds it can be taken in
        // between: a few tries.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("a temp dir");
            let port = free_port();
            let log = dir.path().join("tinyproxy.log");
            let config = dir.path().join("tinyproxy.conf");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Info\n\
                     MaxClients 50\nAllow 127.0.0.1\nBasicAuth {PROXY_USER} {PROXY_PASSWORD}\n\
                     DisableViaHeader Yes\n",
                    log.display()
                ),
            )
            .expect("the tinyproxy configuration is written");
            let child = match Command::new("tinyproxy")
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(child) => child,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
                    "tinyproxy is not installed: apt-get install tinyproxy-bin (tests/run.sh installs it when run as root)"
                ),
                Err(error) => panic!("tinyproxy does not start: {error}"),
            };
            let mut proxy = Self {
                child,
                port,
                log,
                _dir: dir,
            };
            if proxy.accepts_within(Duration::from_secs(10)) {
                return proxy;
            }
        }
        panic!("tinyproxy did not start listening in 5 tries");
    }

    /// Whether the proxy accepts connections before `limit` (false when it
    /// exited, e.g. because its port was taken).
    fn accepts_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The proxy's port, for `--proxyPort`.
    fn port(&self) -> String {
        self.port.to_string()
    }

    /// The proxy's URL with `password`, for `HTTP_PROXY`.
    fn url_with(&self, password: &str) -> String {
        format!("http://{PROXY_USER}:{password}@127.0.0.1:{}", self.port)
    }

    /// The requests the proxy received, one log line each (including those
    /// it refused).
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("Request (file descriptor"))
            .map(ToOwned::to_owned)
            .collect()
    }

    /// Whether a request for `endpoint` (`http://host:port`) went through.
    fn saw(&self, endpoint: &str) -> bool {
        let prefix = format!(" {endpoint}/");
        self.requests().iter().any(|line| line.contains(&prefix))
    }

    /// How many connections the proxy made onward: only requests with the
    /// right credentials get one.
    fn forwarded(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("Established connection to host"))
            .count()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on at the moment.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// What one run of the binary left behind.
struct Outcome {
    /// The activity's end status.
    status: String,
    /// The activity's stdout as uploaded to S3.
    uploaded: Option<String>,
    /// The binary's stdout and stderr.
    output: String,
}

/// Runs a shell activity with the binary, its output to `s3` under
/// `--logUri` through `s3_endpoint` (which may name `s3` by another host
/// name), with `flags` and `env` added.
async fn run_activity(
    s3: &s3::S3Server,
    s3_endpoint: &str,
    flags: &[&str],
    env: &[(&str, &str)],
) -> Outcome {
    let service = service().await;
    let pipeline = submit(
        &service.client,
        "proxied",
        vec![
            on_demand_default("proxied"),
            shell("Say", "echo through-the-proxy", vec![]),
        ],
    )
    .await;
    let log_uri = format!("s3://{}/logs", s3::BUCKET);
    let mut arguments: Vec<String> = [
        "--endpoint",
        &service.url(),
        "--workerGroup",
        "proxied",
        // The local Data Pipeline service checks no signature; s3s does.
        "--accessId",
        "AKIDTASKRUNNERTEST",
        "--secretKey",
        "taskrunner-test-secret",
        "--region",
        "us-east-1",
        "--logUri",
        &log_uri,
        "--s3-endpoint",
        s3_endpoint,
    ]
    .iter()
    .chain(flags)
    .map(|argument| (*argument).to_owned())
    .collect();
    arguments.extend(fast_flags());
    let mut runner = Taskrunner::start(&arguments, env);
    let status = wait_for_status(
        &service.client,
        &pipeline,
        "Say",
        &["FINISHED", "FAILED"],
        RUN_LIMIT,
    )
    .await;
    let attempt = head_attempt(&service.client, &pipeline, "Say").await;
    let instance = instance_of(&service.client, &pipeline, "Say")
        .await
        .expect("an instance");
    let uploaded = s3
        .get_text(&format!(
            "logs/{pipeline}/Say/{instance}/{attempt}/StdOutput"
        ))
        .await;
    runner.stop().await;
    let output = format!("service {}\n{}", service.url(), runner.output());
    Outcome {
        status,
        uploaded,
        output,
    }
}

/// `http://127.0.0.1:PORT` of the Data Pipeline service, from the outcome's
/// first line.
fn service_endpoint(outcome: &Outcome) -> &str {
    outcome
        .output
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("service "))
        .expect("the service line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_flags_send_data_pipeline_and_s3_calls_through_the_proxy() {
    let proxy = Tinyproxy::start();
    let s3 = s3::S3Server::start().await;
    let port = proxy.port();
    let outcome = run_activity(
        &s3,
        &s3.endpoint,
        &[
            "--proxyHost",
            "127.0.0.1",
            "--proxyPort",
            &port,
            "--proxyUsername",
            PROXY_USER,
            "--proxyPassword",
            PROXY_PASSWORD,
        ],
        &[],
    )
    .await;
    assert_eq!(outcome.status, "FINISHED", "{}", outcome.output);
    assert_eq!(
        outcome.uploaded.as_deref(),
        Some("through-the-proxy\n"),
        "{}",
        outcome.output
    );
    let requests = proxy.requests();
    assert!(
        proxy.saw(service_endpoint(&outcome)),
        "Data Pipeline calls went through the proxy: {requests:#?}"
    );
    assert!(
        proxy.saw(&s3.endpoint),
        "S3 calls went through the proxy: {requests:#?}"
    );
    assert!(proxy.forwarded() > 0, "the proxy accepted the credentials");
    assert!(
        !outcome.output.contains(PROXY_PASSWORD),
        "the proxy password is not printed: {}",
        outcome.output
    );
    assert!(
        outcome.output.contains(&format!(
            "proxy http://127.0.0.1:{port} (Basic authentication)"
        )),
        "the startup line names the proxy: {}",
        outcome.output
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_no_proxy_keeps_s3_calls_direct() {
    let proxy = Tinyproxy::start();
    let s3 = s3::S3Server::start().await;
    let port = proxy.port();
    let outcome = run_activity(
        &s3,
        &s3.endpoint,
        &[
            "--proxyHost=127.0.0.1",
            &format!("--proxyPort={port}"),
            &format!("--proxyUsername={PROXY_USER}"),
            &format!("--proxyPassword={PROXY_PASSWORD}"),
            "--s3NoProxy",
        ],
        &[],
    )
    .await;
    assert_eq!(outcome.status, "FINISHED", "{}", outcome.output);
    assert_eq!(
        outcome.uploaded.as_deref(),
        Some("through-the-proxy\n"),
        "{}",
        outcome.output
    );
    let requests = proxy.requests();
    assert!(
        proxy.saw(service_endpoint(&outcome)),
        "Data Pipeline calls still went through the proxy: {requests:#?}"
    );
    assert!(
        !proxy.saw(&s3.endpoint),
        "no S3 call went through the proxy: {requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_proxy_password_stops_the_start_with_a_clear_error() {
    let proxy = Tinyproxy::start();
    let service = service().await;
    let port = proxy.port();
    let mut runner = Taskrunner::against(
        &service,
        "refused",
        &[
            "--proxyHost",
            "127.0.0.1",
            "--proxyPort",
            &port,
            "--proxyUsername",
            PROXY_USER,
            "--proxyPassword",
            "not-the-password",
        ],
    );
    let status = runner.wait(RUN_LIMIT).await;
    assert_eq!(status.code(), Some(1), "{}", runner.output());
    let stderr = runner.stderr();
    assert!(
        stderr.contains(&format!(
            "the proxy http://127.0.0.1:{port} refused the credentials"
        )) && stderr.contains("--proxyPassword"),
        "the error names the proxy and what to fix: {stderr}"
    );
    assert!(
        !stderr.contains("not-the-password"),
        "the password is not printed: {stderr}"
    );
    assert_eq!(proxy.forwarded(), 0, "nothing got past the proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_in_the_proxy_variable_stops_the_start_too() {
    let proxy = Tinyproxy::start();
    let service = service().await;
    let mut runner = Taskrunner::start(
        &[
            "--endpoint",
            &service.url(),
            "--workerGroup",
            "refused",
            "--accessId",
            "x",
            "--secretKey",
            "y",
        ],
        &[("HTTP_PROXY", &proxy.url_with("not-the-password"))],
    );
    let status = runner.wait(RUN_LIMIT).await;
    assert_eq!(status.code(), Some(1), "{}", runner.output());
    assert!(
        runner.stderr().contains("refused the credentials"),
        "{}",
        runner.output()
    );
    assert!(!runner.output().contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_flags_the_proxy_variables_apply_and_no_proxy_bypasses() {
    let proxy = Tinyproxy::start();
    let s3 = s3::S3Server::start().await;
    // The same S3 server by a name NO_PROXY lists.
    let s3_by_name = s3.endpoint.replace("127.0.0.1", "localhost");
    let proxy_url = proxy.url_with(PROXY_PASSWORD);
    let outcome = run_activity(
        &s3,
        &s3_by_name,
        &[],
        &[("HTTP_PROXY", &proxy_url), ("NO_PROXY", "localhost")],
    )
    .await;
    assert_eq!(outcome.status, "FINISHED", "{}", outcome.output);
    assert_eq!(
        outcome.uploaded.as_deref(),
        Some("through-the-proxy\n"),
        "{}",
        outcome.output
    );
    let requests = proxy.requests();
    assert!(
        proxy.saw(service_endpoint(&outcome)),
        "HTTP_PROXY took the Data Pipeline calls: {requests:#?}"
    );
    assert!(
        !proxy.saw(&s3_by_name),
        "NO_PROXY kept S3 direct: {requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lower_case_proxy_variable_takes_s3_calls_too() {
    let proxy = Tinyproxy::start();
    let s3 = s3::S3Server::start().await;
    let proxy_url = proxy.url_with(PROXY_PASSWORD);
    let outcome = run_activity(&s3, &s3.endpoint, &[], &[("http_proxy", &proxy_url)]).await;
    assert_eq!(outcome.status, "FINISHED", "{}", outcome.output);
    assert_eq!(
        outcome.uploaded.as_deref(),
        Some("through-the-proxy\n"),
        "{}",
        outcome.output
    );
    let requests = proxy.requests();
    assert!(
        proxy.saw(service_endpoint(&outcome)) && proxy.saw(&s3.endpoint),
        "http_proxy took both services' calls: {requests:#?}"
    );
    assert!(
        !outcome.output.contains(PROXY_PASSWORD),
        "the password in the variable is not printed: {}",
        outcome.output
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_reaches_its_embedded_services_directly_whatever_the_proxy_variables() {
    // A proxy nobody listens on: any call sent to it fails.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let definition = format!(
        "{}/examples/pipelines/chain.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut runner = run_to_end(
        &["local", "--timeout", "60s", &definition],
        &[
            ("HTTP_PROXY", &nowhere),
            ("http_proxy", &nowhere),
            ("ALL_PROXY", &nowhere),
        ],
        Duration::from_secs(90),
    )
    .await;
    let status = runner.wait(Duration::from_secs(90)).await;
    assert!(status.success(), "{status:?}: {}", runner.output());
}
