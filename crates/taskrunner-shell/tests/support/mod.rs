//! Shared helpers for the shell activity tests: tasks, contexts, a fake S3
//! and a process scanner.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use taskrunner_activity::{Activity, Failure, Outcome, TaskContext};
use taskrunner_api::{async_trait, Cancellation, Field, Task, TaskObject};
use taskrunner_shell::{Storage, StorageError};
use tempfile::TempDir;

pub const ATTEMPT_ID: &str = "@Shell_2024-01-01T00:00:00_Attempt=1";

/// An attempt object with these string fields.
pub fn attempt(fields: &[(&str, &str)]) -> TaskObject {
    fields.iter().fold(
        TaskObject::new(ATTEMPT_ID, "Shell")
            .with_field(Field::reference("@componentParent", "Shell")),
        |object, (key, value)| object.with_field(Field::string(*key, *value)),
    )
}

/// A task around `attempt` (and `others`), with a unique task id.
pub fn task(attempt: TaskObject, others: Vec<TaskObject>) -> Task {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let id = format!(
        "task-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    others.into_iter().fold(
        Task::new(id, "df-SHELLTEST", ATTEMPT_ID).with_object(attempt),
        Task::with_object,
    )
}

/// A scratch root, a context for `task` under it, and its cancellation.
pub struct Run {
    pub scratch: TempDir,
    pub ctx: TaskContext,
    pub cancellation: Cancellation,
}

impl Run {
    pub fn new(task: Task) -> Self {
        let scratch = tempfile::tempdir().expect("scratch root");
        let cancellation = Cancellation::new();
        let ctx = TaskContext::builder(task)
            .scratch_root(scratch.path())
            .cancellation(cancellation.clone())
            .build();
        Self {
            scratch,
            ctx,
            cancellation,
        }
    }

    pub async fn with(self, activity: &impl Activity) -> Result<Outcome, Failure> {
        let result = activity
            .run(self.ctx.clone())
            .await
            .map_err(Failure::from_error);
        drop(self);
        result
    }
}

/// Runs `activity` on an attempt with `fields`.
pub async fn run(activity: &impl Activity, fields: &[(&str, &str)]) -> Result<Outcome, Failure> {
    Run::new(task(attempt(fields), Vec::new()))
        .with(activity)
        .await
}

/// The `(errorId, errorMessage, errorStackTrace)` of a `FAILED` outcome.
pub fn failed(outcome: Outcome) -> (String, String, Option<String>) {
    match outcome {
        Outcome::Failed(failure) => (failure.error_id, failure.message, failure.stack_trace),
        other => panic!("expected FAILED, got {other:?}"),
    }
}

/// The `(errorId, errorMessage)` of a run that failed with an error.
pub fn error(result: Result<Outcome, Failure>) -> (String, String) {
    match result {
        Err(failure) => (failure.error_id, failure.message),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A string unique to this call, to find our processes by argv: usable as
/// a `sleep` duration (`300.<digits>`).
pub fn sleep_marker() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!(
        "300.{}{:04}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Pids of live (non-zombie) processes whose argv contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(marker) && !is_zombie(pid) {
            pids.push(pid);
        }
    }
    pids
}

/// Whether `/proc/<pid>` exists in state Z (or is gone: `false`).
pub fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Whether `/proc/<pid>` exists at all (a zombie counts).
pub fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Polls `condition` every 10 ms until it holds or `limit` passes.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An in-memory stand-in for S3: `s3://bucket/key` is `root/bucket/key`.
#[derive(Debug)]
pub struct FakeS3 {
    pub root: TempDir,
}

impl FakeS3 {
    pub fn new() -> Self {
        Self {
            root: tempfile::tempdir().expect("fake s3 root"),
        }
    }

    pub fn path(&self, uri: &str) -> PathBuf {
        let key = uri.strip_prefix("s3://").expect("an s3:// uri");
        self.root.path().join(key.trim_end_matches('/'))
    }

    pub fn put(&self, uri: &str, contents: &str) {
        let path = self.path(uri);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("put");
    }

    pub fn get(&self, uri: &str) -> Option<String> {
        std::fs::read_to_string(self.path(uri)).ok()
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to.parent().expect("parent"))?;
    std::fs::copy(from, to).map(drop)
}

#[async_trait]
impl Storage for FakeS3 {
    async fn fetch_file(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        copy_file(&self.path(uri), dest).map_err(|error| StorageError::io(uri, error))
    }

    async fn fetch_dir(&self, uri: &str, dest: &Path) -> Result<(), StorageError> {
        copy_tree(&self.path(uri), dest).map_err(|error| StorageError::io(uri, error))
    }

    async fn upload_file(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        copy_file(source, &self.path(uri)).map_err(|error| StorageError::backend(uri, error))
    }

    async fn upload_dir(&self, source: &Path, uri: &str) -> Result<(), StorageError> {
        copy_tree(source, &self.path(uri)).map_err(|error| StorageError::backend(uri, error))
    }
}
