//! Hostile commands: daemons, SIGTERM-ignorers, floods of output, deaths by
//! signal, fork storms, read-only and oversized inputs. The runner must stay
//! within bounded memory and disk, leave nothing running, clean up, and
//! report a truthful outcome.
//!
//! Measurements of the whole test process (peak memory, open descriptors)
//! take [`EXCLUSIVE`] for writing; every other test takes it for reading,
//! so nothing runs beside a measurement.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{
    attempt, error, eventually, failed, processes_with, run, sleep_marker, task, FakeS3, Run,
};
use taskrunner_activity::{Activity, Cancelled, Failure, Outcome, TaskContext};
use taskrunner_api::{is_allowed_char, CancelReason, Cancellation};
use taskrunner_shell::{error_id, ShellCommandActivity, ShellConfig};
use tokio::sync::RwLock;

/// Long enough never to be reached by a passing test.
const PATIENCE: Duration = Duration::from_secs(20);

/// Taken for writing by tests that measure the whole process.
static EXCLUSIVE: RwLock<()> = RwLock::const_new(());

/// The output cap of these tests: small, so that floods write little.
const CAP: u64 = 1024 * 1024;

fn config() -> ShellConfig {
    ShellConfig {
        kill_grace: Duration::from_millis(300),
        max_output_bytes: CAP,
        ..ShellConfig::default()
    }
}

fn activity() -> ShellCommandActivity {
    ShellCommandActivity::new(config())
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// Waits until nothing carries `marker` any more.
async fn none_left(marker: &str) -> Vec<u32> {
    eventually(PATIENCE, || processes_with(marker).is_empty()).await;
    processes_with(marker)
}

#[tokio::test]
async fn daemons_do_not_outlive_a_command_that_exits() {
    let _shared = EXCLUSIVE.read().await;
    let marker = sleep_marker();
    let forms = [
        format!("setsid sleep {marker} &"),
        format!("nohup sleep {marker} >/dev/null 2>&1 &"),
        format!("( sleep {marker} & ) &"),
        // Keeps the output pipes open from a new session: the run must
        // neither wait for it nor leave it.
        format!("setsid -f sh -c 'sleep {marker}; echo never'"),
        format!("(setsid sh -c 'sleep {marker} & sleep {marker}' >/dev/null 2>&1 &)"),
    ];
    for form in &forms {
        let command = format!("{form}\necho started");
        let outcome = run(&activity(), &[("command", &command)]).await;
        assert_eq!(outcome.expect("runs"), Outcome::Finished, "{form}");
        assert_eq!(none_left(&marker).await, Vec::<u32>::new(), "{form}");
    }
}

#[tokio::test]
async fn a_failed_command_says_it_left_daemons_behind() {
    let _shared = EXCLUSIVE.read().await;
    let marker = sleep_marker();
    // Wait until the daemon has left the group, so the sweep must find it.
    let command = format!(
        "setsid sh -c ': > ready; exec sleep {marker}' & \
         while [ ! -e ready ]; do sleep 0.01; done; echo giving up >&2; exit 3"
    );
    let (id, message, _) = failed(
        run(&activity(), &[("command", &command)])
            .await
            .expect("runs"),
    );
    assert_eq!(id, error_id::SHELL_COMMAND_FAILED);
    assert_eq!(
        message,
        "command exited with status 3; killed 1 processes it left running outside its process group; \
         stderr: giving up"
    );
    assert_eq!(none_left(&marker).await, Vec::<u32>::new());
}

/// Starts `command` in a fresh run and waits until `count` processes carry
/// `marker`.
async fn start(
    command: &str,
    marker: &str,
    count: usize,
) -> (Run, tokio::task::JoinHandle<Result<Outcome, Failure>>) {
    let run = Run::new(task(attempt(&[("command", command)]), Vec::new()));
    let ctx = run.ctx.clone();
    let handle =
        tokio::spawn(async move { activity().run(ctx).await.map_err(Failure::from_error) });
    assert!(
        eventually(PATIENCE, || processes_with(marker).len() >= count).await,
        "the command's processes did not appear: {:?}",
        processes_with(marker)
    );
    (run, handle)
}

#[tokio::test]
async fn cancel_and_timeout_end_sigterm_ignoring_daemons_after_the_grace() {
    let _shared = EXCLUSIVE.read().await;
    for reason in [CancelReason::CanceledByService, CancelReason::Timeout] {
        let marker = sleep_marker();
        // Inside the group and outside it, both deaf to SIGTERM.
        let command = format!(
            "trap '' TERM; setsid sh -c 'sleep {marker}; :' & sleep {marker}; echo survived"
        );
        // The shell, the setsid shell and two sleeps.
        let (run, handle) = start(&command, &marker, 4).await;
        let started = Instant::now();
        run.cancellation.trip(reason);
        let result = handle.await.expect("no panic");
        assert!(
            result == Err(Failure::from(Cancelled::new(reason))),
            "{result:?}"
        );
        // The grace, then SIGKILL: bounded by the grace, not by the command.
        assert!(started.elapsed() < PATIENCE, "{:?}", started.elapsed());
        assert_eq!(none_left(&marker).await, Vec::<u32>::new(), "{reason}");
        assert!(!run.ctx.scratch_dir().exists());
    }
}

#[tokio::test]
async fn a_command_that_stops_itself_is_still_cancelled() {
    let _shared = EXCLUSIVE.read().await;
    let marker = sleep_marker();
    let command = format!("sleep {marker} & kill -STOP $$; echo resumed");
    // The shell and the sleep.
    let (run, handle) = start(&command, &marker, 2).await;
    run.cancellation.trip(CancelReason::CanceledByService);
    let result = handle.await.expect("no panic");
    assert!(
        matches!(&result, Err(failure) if failure.error_id == "Cancelled"),
        "{result:?}"
    );
    assert_eq!(none_left(&marker).await, Vec::<u32>::new());
}

#[tokio::test]
async fn dropping_the_task_future_kills_daemons_too() {
    let _shared = EXCLUSIVE.read().await;
    let marker = sleep_marker();
    let command = format!("setsid sleep {marker} & sleep {marker}");
    let (_run, handle) = start(&command, &marker, 3).await;
    handle.abort();
    assert!(handle.await.expect_err("aborted").is_cancelled());
    assert_eq!(none_left(&marker).await, Vec::<u32>::new());
}

/// Peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn floods_of_output_keep_memory_and_disk_bounded() {
    let _alone = EXCLUSIVE.write().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, stderr) = (dir.path().join("out"), dir.path().join("err"));
    let s3 = std::sync::Arc::new(FakeS3::new());
    let with_s3 = ShellCommandActivity::new(ShellConfig {
        storage: Some(s3.clone()),
        ..config()
    });
    let before = peak_rss_kib();
    // 64 MiB of `yes` and 32 MiB of NULs, each through a 1 MiB cap.
    let flood = "yes | head -c 64M; head -c 32M /dev/zero >&2";
    let outcome = run(
        &activity(),
        &[
            ("command", flood),
            ("stdout", path_str(&stdout)),
            ("stderr", path_str(&stderr)),
        ],
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    let outcome = run(
        &with_s3,
        &[("command", flood), ("stdout", "s3://bucket/flood/out")],
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);

    let marker = "[taskrunner: output truncated after 1048576 bytes";
    for path in [stdout.clone(), stderr, s3.path("s3://bucket/flood/out")] {
        let written = std::fs::read(&path).expect("written");
        assert!(written.len() < CAP as usize + 200, "{}", written.len());
        let text = String::from_utf8_lossy(&written);
        assert!(
            text.trim_end().ends_with("the rest was discarded]"),
            "{path:?}"
        );
        assert!(text.contains(marker), "{path:?}");
    }
    assert!(std::fs::read_to_string(&stdout)
        .expect("read")
        .starts_with("y\ny\n"));

    // A failure says what was cut.
    let (_, message, _) = failed(
        run(
            &activity(),
            &[
                ("command", "head -c 3M /dev/zero; exit 1"),
                ("stdout", path_str(&stdout)),
            ],
        )
        .await
        .expect("runs"),
    );
    assert_eq!(
        message,
        "command exited with status 1; stdout truncated after 1048576 bytes (the output limit)"
    );

    // A flood that never ends is drained until it is stopped.
    let endless = dir.path().join("endless");
    let run_endless = Run::new(task(
        attempt(&[("command", "yes"), ("stdout", path_str(&endless))]),
        Vec::new(),
    ));
    let ctx = run_endless.ctx.clone();
    let handle =
        tokio::spawn(async move { activity().run(ctx).await.map_err(Failure::from_error) });
    assert!(
        eventually(PATIENCE, || std::fs::metadata(&endless)
            .is_ok_and(|metadata| metadata.len() > CAP))
        .await
    );
    run_endless.cancellation.trip(CancelReason::Timeout);
    let result = handle.await.expect("no panic");
    assert!(
        result == Err(Failure::from(Cancelled::new(CancelReason::Timeout))),
        "{result:?}"
    );
    let size = std::fs::metadata(&endless).expect("written").len();
    assert!(size < CAP + 200, "{size}");

    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    eprintln!("peak memory grew by {grown_mib} MiB");
    assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
}

/// The long form, outside CI: `TASKRUNNER_HOSTILE_GIGABYTES=1 cargo test
/// -p taskrunner-shell --test hostile -- three_gigabytes --nocapture`
/// streams 3 GiB through each of stdout and stderr (64 MiB kept of each).
#[tokio::test]
async fn three_gigabytes_through_each_stream_when_asked() {
    if std::env::var_os("TASKRUNNER_HOSTILE_GIGABYTES").is_none() {
        return;
    }
    let _alone = EXCLUSIVE.write().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, stderr) = (dir.path().join("out"), dir.path().join("err"));
    let cap = 64 * 1024 * 1024;
    let activity = ShellCommandActivity::new(ShellConfig {
        max_output_bytes: cap,
        ..config()
    });
    let before = peak_rss_kib();
    let started = Instant::now();
    let outcome = run(
        &activity,
        &[
            (
                "command",
                "head -c 3G /dev/zero & yes | head -c 3G >&2; wait",
            ),
            ("stdout", path_str(&stdout)),
            ("stderr", path_str(&stderr)),
        ],
    )
    .await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    let sizes = [&stdout, &stderr].map(|path| std::fs::metadata(path).expect("written").len());
    eprintln!(
        "6 GiB in {:?}: peak memory grew by {grown_mib} MiB; files {sizes:?} bytes",
        started.elapsed()
    );
    assert!(sizes.iter().all(|&size| size < cap + 200), "{sizes:?}");
    assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
}

#[tokio::test]
async fn deaths_by_signal_are_named() {
    let _shared = EXCLUSIVE.read().await;
    for (command, expected) in [
        ("kill -KILL $$", "command killed by signal 9 (SIGKILL)"),
        ("kill -SEGV $$", "command killed by signal 11 (SIGSEGV)"),
        ("kill -PIPE $$", "command killed by signal 13 (SIGPIPE)"),
        (
            "sleep 100 & kill -KILL $!; wait $!",
            "command exited with status 137 (a shell's status for a command killed by signal 9 (SIGKILL))",
        ),
    ] {
        let (id, message, _) = failed(run(&activity(), &[("command", command)]).await.expect("runs"));
        assert_eq!(id, error_id::SHELL_COMMAND_FAILED, "{command}");
        // A core dump, where enabled, is mentioned after the name.
        assert!(message.starts_with(expected), "{command}: {message}");
    }
    // A pipeline's status is its last command's: `yes` dying of SIGPIPE
    // when `head` has had enough is the normal way for it to end.
    let outcome = run(&activity(), &[("command", "yes | head -c 1")]).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
}

#[tokio::test]
async fn a_command_that_closes_its_output_early_is_still_waited_for() {
    let _shared = EXCLUSIVE.read().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let stdout = dir.path().join("out");
    let command = "echo first; exec 1>&- 2>&-; sleep 0.5; exit 4";
    let (_, message, _) = failed(
        run(
            &activity(),
            &[("command", command), ("stdout", path_str(&stdout))],
        )
        .await
        .expect("runs"),
    );
    // The exit status is the command's, read after its pipes closed.
    assert_eq!(message, "command exited with status 4");
    assert_eq!(std::fs::read_to_string(&stdout).expect("read"), "first\n");
}

#[tokio::test]
async fn binary_stderr_is_reported_within_the_model_pattern() {
    let _shared = EXCLUSIVE.read().await;
    let command = r"printf 'bad \377\376 utf8, a NUL \000, a bell \007.\n' >&2; exit 1";
    let (_, message, trace) = failed(
        run(&activity(), &[("command", command)])
            .await
            .expect("runs"),
    );
    assert_eq!(
        message,
        "command exited with status 1; stderr: bad �� utf8, a NUL �, a bell �."
    );
    let trace = trace.expect("a stack trace");
    assert!(trace.chars().all(is_allowed_char), "{trace:?}");
}

#[tokio::test]
async fn fork_storms_end_and_leave_nothing() {
    let _shared = EXCLUSIVE.read().await;
    // A thousand short children, then three hundred daemons in new sessions.
    let short = "i=0; while [ $i -lt 1000 ]; do /bin/true & i=$((i+1)); done; wait";
    let outcome = run(&activity(), &[("command", short)]).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);

    let marker = sleep_marker();
    let daemons = format!("i=0; while [ $i -lt 300 ]; do setsid sleep {marker} & i=$((i+1)); done");
    let outcome = run(&activity(), &[("command", &daemons)]).await;
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert_eq!(none_left(&marker).await, Vec::<u32>::new());

    // One that would fork forever, cancelled mid-storm.
    let marker = sleep_marker();
    let endless = format!("while :; do setsid sleep {marker} & sleep 0.001; done");
    let (run, handle) = start(&endless, &marker, 20).await;
    run.cancellation.trip(CancelReason::CanceledByService);
    let result = handle.await.expect("no panic");
    assert!(
        matches!(&result, Err(failure) if failure.error_id == "Cancelled"),
        "{result:?}"
    );
    assert_eq!(none_left(&marker).await, Vec::<u32>::new());
}

#[tokio::test]
async fn a_read_only_working_directory_is_still_removed() {
    let _shared = EXCLUSIVE.read().await;
    let command = "mkdir -p sub/deeper && touch sub/deeper/file && chmod -R a-w .";
    let run = Run::new(task(attempt(&[("command", command)]), Vec::new()));
    let outcome = activity()
        .run(run.ctx.clone())
        .await
        .map_err(Failure::from_error);
    assert_eq!(outcome.expect("runs"), Outcome::Finished);
    assert!(
        !run.ctx.scratch_dir().exists(),
        "the working directory was left"
    );
}

#[tokio::test]
async fn oversized_and_directory_scripts_fail_before_running() {
    let _shared = EXCLUSIVE.read().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let huge = dir.path().join("huge.sh");
    // Sparse: 17 MiB long, no disk used.
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(17 * 1024 * 1024))
        .expect("a sparse file");
    let (id, message) = error(run(&activity(), &[("scriptUri", path_str(&huge))]).await);
    assert_eq!(id, error_id::SCRIPT_FETCH_FAILED);
    assert!(
        message.contains("more than the 16777216 bytes a script may have"),
        "{message}"
    );

    let (id, message) = error(run(&activity(), &[("scriptUri", path_str(dir.path()))]).await);
    assert_eq!(id, error_id::SCRIPT_FETCH_FAILED);
    assert!(message.contains("not a regular file"), "{message}");

    // A remote one can only be measured once fetched, and is not kept.
    let s3 = std::sync::Arc::new(FakeS3::new());
    s3.put("s3://bucket/huge.sh", &"#".repeat(17 * 1024 * 1024));
    let with_s3 = ShellCommandActivity::new(ShellConfig {
        storage: Some(s3.clone()),
        ..config()
    });
    let run = Run::new(task(
        attempt(&[("scriptUri", "s3://bucket/huge.sh")]),
        Vec::new(),
    ));
    let result = with_s3
        .run(run.ctx.clone())
        .await
        .map_err(Failure::from_error);
    let (id, _) = error(result);
    assert_eq!(id, error_id::SCRIPT_FETCH_FAILED);
    assert!(!run.ctx.scratch_dir().exists());
}

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

#[tokio::test]
async fn attempts_leak_no_descriptors_and_no_scratch_files() {
    let _alone = EXCLUSIVE.write().await;
    let scratch = tempfile::tempdir().expect("scratch root");
    let outputs = tempfile::tempdir().expect("outputs");
    let out = outputs.path().join("out");
    let context = |command: &str, cancellation: &Cancellation| {
        let object = attempt(&[("command", command), ("stdout", path_str(&out))]);
        TaskContext::builder(task(object, Vec::new()))
            .scratch_root(scratch.path())
            .cancellation(cancellation.clone())
            .build()
    };
    let batch = || async {
        for command in [
            "echo ok",
            "echo failing >&2; exit 2",
            "head -c 3M /dev/zero",
            "setsid sleep 300 & echo daemon",
            "kill -KILL $$",
            "touch left-behind; mkdir -p d; chmod a-w d",
        ] {
            let _ = activity().run(context(command, &Cancellation::new())).await;
        }
        let cancellation = Cancellation::new();
        let ctx = context("sleep 300", &cancellation);
        let handle =
            tokio::spawn(async move { activity().run(ctx).await.map_err(Failure::from_error) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancellation.trip(CancelReason::Shutdown);
        let _ = handle.await;
    };
    // Once to let the runtime open what it keeps (signal pipes, threads).
    batch().await;
    let before = open_fds();
    for _ in 0..3 {
        batch().await;
    }
    assert_eq!(open_fds(), before, "descriptors leaked");
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("scratch root")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    // The scratch root holds per-pipeline directories at most, all empty.
    for dir in &left {
        let inside: Vec<_> = std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        assert!(inside.is_empty(), "left in the scratch root: {inside:?}");
    }
}
