//! What the binary's end-to-end tests share: `datapipeline-local` started
//! in-process on 127.0.0.1:0, the real SDK client pointed at it, helpers to
//! submit pipelines and read their statuses, and the `taskrunner` binary
//! run as a child process with bounded waits.

#![allow(dead_code, unreachable_pub, missing_docs, unused_imports)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;
use datapipeline_local::testkit::{self, sdk_config};
pub use datapipeline_local::testkit::{object, reference, string};
use datapipeline_local::{start, Config, ServiceHandle, Timing};

mod local_run;
pub use local_run::{write_file, LocalRun};

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_taskrunner");

// ---------------------------------------------------------------------------
// The service.
// ---------------------------------------------------------------------------

/// A running service and a client for it.
pub struct Service {
    pub handle: ServiceHandle,
    pub client: Client,
}

impl Service {
    /// The endpoint URL to pass as `--endpoint`.
    pub fn url(&self) -> String {
        self.handle.endpoint_url()
    }
}

/// Timing for a service the binary talks to. The binary keeps AWS's lease
/// defaults (a 15-minute report timeout, a 2-minute acknowledgement), so the
/// service keeps those wall-clock deadlines; what is compressed is the long
/// poll and pipeline time (600×: a 10-minute `retryDelay` passes in a
/// second).
pub fn binary_timing() -> Timing {
    Timing {
        long_poll_wait: Duration::from_millis(300),
        ack_timeout: Duration::from_secs(120),
        default_report_progress_timeout: Duration::from_secs(15 * 60),
        retry_delay_floor: Duration::ZERO,
        time_scale: 600.0,
        ..Timing::default()
    }
}

/// A service with [`binary_timing`].
pub async fn service() -> Service {
    service_with(Config {
        timing: binary_timing(),
        ..Config::default()
    })
    .await
}

/// A service with `config`.
pub async fn service_with(config: Config) -> Service {
    let handle = start(config).await.expect("the service starts");
    let client = client_for(&handle.endpoint_url(), "AKIDTEST", "test-secret");
    Service { handle, client }
}

/// An SDK client for `endpoint` signing with the given key pair.
pub fn client_for(endpoint: &str, access_id: &str, secret: &str) -> Client {
    let credentials =
        aws_credential_types::Credentials::new(access_id, secret, None, None, "tests");
    Client::from_conf(
        sdk_config(endpoint)
            .credentials_provider(credentials)
            .build(),
    )
}

// ---------------------------------------------------------------------------
// Pipeline objects.
// ---------------------------------------------------------------------------

/// An on-demand `Default` object for `worker_group`, with no retries unless
/// an object sets its own.
pub fn on_demand_default(worker_group: &str) -> PipelineObject {
    object(
        "Default",
        vec![
            string("scheduleType", "ondemand"),
            string("failureAndRerunMode", "CASCADE"),
            string("workerGroup", worker_group),
            string("maximumRetries", "0"),
        ],
    )
}

/// A ShellCommandActivity running `command`, with `extra` fields.
pub fn shell(id: &str, command: &str, extra: Vec<Field>) -> PipelineObject {
    let mut fields = vec![
        string("type", "ShellCommandActivity"),
        string("command", command),
    ];
    fields.extend(extra);
    object(id, fields)
}

/// Creates a pipeline, puts `objects` and activates it; answers its id.
pub async fn submit(client: &Client, name: &str, objects: Vec<PipelineObject>) -> String {
    testkit::submit(client, name, objects)
        .await
        .expect("the pipeline is submitted")
}

// ---------------------------------------------------------------------------
// Reading what the service recorded.
// ---------------------------------------------------------------------------

/// The fields of object `id`.
pub async fn fields_of(client: &Client, pipeline: &str, id: &str) -> Vec<Field> {
    client
        .describe_objects()
        .pipeline_id(pipeline)
        .object_ids(id)
        .send()
        .await
        .expect("describe")
        .pipeline_objects
        .into_iter()
        .next()
        .map(|object| object.fields)
        .unwrap_or_default()
}

/// The first string value of `key` on object `id`.
pub async fn field_of(client: &Client, pipeline: &str, id: &str, key: &str) -> Option<String> {
    fields_of(client, pipeline, id)
        .await
        .into_iter()
        .find(|field| field.key == key)
        .and_then(|field| field.string_value)
}

/// The first reference `key` of object `id`.
pub async fn ref_of(client: &Client, pipeline: &str, id: &str, key: &str) -> Option<String> {
    fields_of(client, pipeline, id)
        .await
        .into_iter()
        .find(|field| field.key == key)
        .and_then(|field| field.ref_value)
}

/// The instance of `component`, once the service has made it.
pub async fn instance_of(client: &Client, pipeline: &str, component: &str) -> Option<String> {
    let prefix = format!("@{component}_");
    client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere("INSTANCE")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default()
        .into_iter()
        .find(|id| id.starts_with(&prefix))
}

/// The `@status` of `component`'s instance ("" before it exists).
pub async fn status_of(client: &Client, pipeline: &str, component: &str) -> String {
    match instance_of(client, pipeline, component).await {
        Some(instance) => field_of(client, pipeline, &instance, "@status")
            .await
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// Waits until `component`'s instance has one of `statuses`; answers it.
/// Panics naming the last status seen after `limit`.
pub async fn wait_for_status(
    client: &Client,
    pipeline: &str,
    component: &str,
    statuses: &[&str],
    limit: Duration,
) -> String {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let status = status_of(client, pipeline, component).await;
        if statuses.contains(&status.as_str()) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{component} is still {status:?} after {limit:?}, not one of {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The latest attempt of `component`'s instance.
pub async fn head_attempt(client: &Client, pipeline: &str, component: &str) -> String {
    let instance = instance_of(client, pipeline, component)
        .await
        .unwrap_or_else(|| panic!("{component} has an instance"));
    ref_of(client, pipeline, &instance, "@headAttempt")
        .await
        .unwrap_or_else(|| panic!("{component} has an attempt"))
}

/// Field `key` of the latest attempt of `component`.
pub async fn attempt_field(
    client: &Client,
    pipeline: &str,
    component: &str,
    key: &str,
) -> Option<String> {
    let attempt = head_attempt(client, pipeline, component).await;
    field_of(client, pipeline, &attempt, key).await
}

// ---------------------------------------------------------------------------
// The binary as a process.
// ---------------------------------------------------------------------------

/// A `taskrunner` process; its output goes to files, read at any time. It
/// is killed when dropped, so a failing test leaves no runner behind.
pub struct Taskrunner {
    child: Child,
    status: Option<ExitStatus>,
    /// Holds the captured output (and anything else a test puts there).
    pub dir: tempfile::TempDir,
}

impl Taskrunner {
    /// Starts the binary with `arguments` and a clean environment (no
    /// `AWS_*` or `TASKRUNNER_*` from the host) plus `env`.
    pub fn start<S: AsRef<std::ffi::OsStr>>(arguments: &[S], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let stdout = File::create(dir.path().join("stdout")).expect("stdout file");
        let stderr = File::create(dir.path().join("stderr")).expect("stderr file");
        let mut command = Command::new(BINARY);
        command
            .args(arguments)
            // Run mode writes output/logs under its working directory by
            // default, as the Java runner does: keep that in the test's dir.
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // A temp dir of its own: `taskrunner local` keeps its S3 store and
            // attempt logs under TMPDIR by definition name, and runs of
            // same-named definitions in one test binary must not share them
            // (s3s-fs cleans its root's temp files as it starts).
            .env("TMPDIR", dir.path())
            // No ~/.aws of the host: the binary must work from its flags.
            .env("HOME", dir.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("the binary starts");
        Self {
            child,
            status: None,
            dir,
        }
    }

    /// Starts the binary against `service`, polling `worker_group`, with the
    /// flags every run-mode test shares and then `extra`.
    pub fn against(service: &Service, worker_group: &str, extra: &[&str]) -> Self {
        let mut arguments: Vec<String> = [
            "--endpoint",
            &service.url(),
            "--workerGroup",
            worker_group,
            "--accessId",
            "x",
            "--secretKey",
            "y",
            "--region",
            "us-east-1",
        ]
        .iter()
        .map(|argument| (*argument).to_owned())
        .collect();
        arguments.extend(fast_flags());
        arguments.extend(extra.iter().map(|argument| (*argument).to_owned()));
        Self::start(&arguments, &[])
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (a `kill -s` name: TERM, INT, …) to the process.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -s {signal} {}", self.pid());
    }

    /// Standard output so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    /// Standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    /// Both outputs, for assertion messages.
    pub fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            tail(&self.stderr(), 6000)
        )
    }

    /// The exit status, if the process has ended.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// Waits for the process to end; panics with its output after `limit`.
    pub async fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.try_status() {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "taskrunner still runs after {limit:?}\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until standard output contains `needle`; panics after `limit`
    /// or if the process ends first.
    pub async fn wait_for_stdout(&mut self, needle: &str, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.stdout().contains(needle) {
            if let Some(status) = self.try_status() {
                panic!(
                    "taskrunner ended ({status}) before printing {needle:?}\n{}",
                    self.output()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "taskrunner printed no {needle:?} within {limit:?}\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGTERM, then waits (at most 15 s) for exit code 0.
    pub async fn stop(&mut self) {
        self.signal("TERM");
        let status = self.wait(Duration::from_secs(15)).await;
        assert_eq!(
            status.code(),
            Some(0),
            "a drained runner exits 0\n{}",
            self.output()
        );
    }
}

impl Drop for Taskrunner {
    fn drop(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The run-mode flags that keep the tests fast: reports every 200 ms (so a
/// cancel is seen at once), short grace periods.
pub fn fast_flags() -> Vec<String> {
    [
        "--progress-interval",
        "200ms",
        "--cancel-grace",
        "3s",
        "--drain-timeout",
        "20s",
    ]
    .iter()
    .map(|flag| (*flag).to_owned())
    .collect()
}

/// Runs the binary to its end (at most `limit`), answering the process.
pub async fn run_to_end<S: AsRef<std::ffi::OsStr>>(
    arguments: &[S],
    env: &[(&str, &str)],
    limit: Duration,
) -> Taskrunner {
    let mut runner = Taskrunner::start(arguments, env);
    runner.wait(limit).await;
    runner
}

/// The last `limit` bytes of `text` (on a character boundary).
pub fn tail(text: &str, limit: usize) -> &str {
    let mut start = text.len().saturating_sub(limit);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

// ---------------------------------------------------------------------------
// Processes and files.
// ---------------------------------------------------------------------------

/// A string no other process on the host has in its command line: a sleep
/// duration, so that `sleep MARKER` carries it in its argv and still means
/// "about 300 seconds".
pub fn sleep_marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!("300.{}{nanos:09}", std::process::id())
}

/// The processes whose command line contains `marker`: their pids and
/// command lines (arguments joined by spaces).
pub fn processes_with(marker: &str) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(marker).then_some((pid, cmdline))
        })
        .collect()
}

/// Kills every process with `marker` when dropped, so a failing test leaves
/// no `sleep 300` behind.
pub struct Reaper(pub String);

impl Drop for Reaper {
    fn drop(&mut self) {
        for (pid, _) in processes_with(&self.0) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Waits until `condition` holds; panics naming `what` after `limit`.
pub async fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `path` as a string for a command line.
pub fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Every file under `directory`, recursively.
pub fn files_under(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_owned()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
