//! One run of a shell task, start to end: fields → working directory →
//! script and staging → process group → output → staging out → cleanup.
//! [`ShellCommandActivity`](crate::ShellCommandActivity) and
//! [`ShellCommandPrecondition`](crate::ShellCommandPrecondition) differ only
//! in what they make of the [`Completion`].

use std::process::ExitStatus;
use std::time::Duration;

use taskrunner_activity::{Cancelled, Failure, Outcome, TaskContext};
use taskrunner_api::error_chain;
use tokio::process::Command;

use crate::attempt_logs;
use crate::command::CommandSpec;
use crate::environment::task_variables;
use crate::error::ShellError;
use crate::output::{capture, Captured, Output};
use crate::process::{describe_exit, ProcessGroup};
use crate::resources::Resources;
use crate::staging::Staging;
use crate::storage::FieldUri;
use crate::tail::{last_chars, Tail};
use crate::workdir::WorkingDir;
use crate::{error_id, script, ShellConfig};

/// How long to keep reading the pipes once the process group is dead. They
/// end at once unless a process that escaped both the group and the sweep
/// (one that cleared its environment) holds them.
const PIPE_DRAIN: Duration = Duration::from_secs(2);

/// The most characters of the stderr tail sent as the errorStackTrace.
pub(crate) const MAX_STACK_TRACE_CHARS: usize = 1024;

/// A command that ran to its end.
#[derive(Debug)]
pub(crate) struct Completion {
    /// The shell's exit status.
    pub(crate) status: ExitStatus,
    /// The end of its stderr, as text.
    pub(crate) stderr_tail: String,
    /// The streams whose file reached `output_limit` (`stdout`, `stderr`).
    pub(crate) truncated: Vec<&'static str>,
    /// [`ShellConfig::max_output_bytes`] of the run.
    pub(crate) output_limit: u64,
    /// How many processes it left running outside its process group, all
    /// killed.
    pub(crate) escapees_killed: usize,
}

impl Completion {
    /// Whether the command exited 0.
    pub(crate) fn succeeded(&self) -> bool {
        self.status.success()
    }

    /// `FAILED` with errorId `ShellCommandFailed`: the status and the
    /// stderr tail as the message, the tail (cut) as the stack trace.
    pub(crate) fn failed(&self) -> Outcome {
        let mut status = format!("command {}", describe_exit(self.status));
        for stream in &self.truncated {
            status.push_str(&format!(
                "; {stream} truncated after {} bytes (the output limit)",
                self.output_limit
            ));
        }
        if self.escapees_killed > 0 {
            status.push_str(&format!(
                "; killed {} processes it left running outside its process group",
                self.escapees_killed
            ));
        }
        let (message, stack_trace) = if self.stderr_tail.is_empty() {
            (status, None)
        } else {
            (
                format!("{status}; stderr: {}", self.stderr_tail),
                Some(last_chars(&self.stderr_tail, MAX_STACK_TRACE_CHARS).to_owned()),
            )
        };
        let failure = Failure::new(error_id::SHELL_COMMAND_FAILED, message);
        Outcome::Failed(match stack_trace {
            Some(stack_trace) => failure.with_stack_trace(stack_trace),
            None => failure,
        })
    }
}

/// Runs the task's command to its end.
///
/// # Errors
///
/// The [`Cancelled`] failure once the task is cancelled (after the
/// process group is gone); a [`Failure`] with an errorId from
/// [`error_id`] when a step around the command fails.
pub(crate) async fn execute(
    ctx: &TaskContext,
    config: &ShellConfig,
    resources: &Resources,
) -> Result<Completion, Failure> {
    let spec = CommandSpec::from_context(ctx, config)?;
    let workdir = WorkingDir::create(ctx, &resources.spares).await?;
    let result = run(ctx, config, resources, &spec, &workdir).await;
    if !config.keep_working_dir {
        if let Err(error) = workdir.remove(&resources.spares).await {
            tracing::warn!(dir = %workdir.path().display(), %error, "could not remove the working directory");
        }
    }
    result
}

/// The run inside the working directory.
async fn run(
    ctx: &TaskContext,
    config: &ShellConfig,
    resources: &Resources,
    spec: &CommandSpec,
    workdir: &WorkingDir,
) -> Result<Completion, Failure> {
    let storage = config.storage.as_deref();
    let staging = Staging::plan(ctx, workdir, storage)?;
    let attempt_log = |stream| {
        config
            .attempt_log_uri
            .as_deref()
            .map(|prefix| attempt_logs::attempt_log(prefix, ctx, stream))
            .transpose()
    };
    let (stdout_log, stderr_log) = (attempt_log("stdout")?, attempt_log("stderr")?);
    // The pipeline's own stdout / stderr win; the attempt logs are the
    // runner's, best effort.
    let output = |field, asked: Option<&FieldUri>, log: Option<&FieldUri>| match asked {
        Some(uri) => Output::new(field, Some(uri), workdir),
        None => Output::attempt_log(field, log, workdir),
    };
    let stdout = output("stdout", spec.stdout.as_ref(), stdout_log.as_ref());
    let stderr = output("stderr", spec.stderr.as_ref(), stderr_log.as_ref());

    // Fetching and copying can take long: stop it at cancellation.
    let prepare = async {
        let arguments = script::shell_arguments(spec, workdir, storage).await?;
        if let Some(staging) = &staging {
            staging.stage_in(storage).await?;
        }
        Ok::<_, ShellError>((arguments, stdout.open().await?, stderr.open().await?))
    };
    let (arguments, stdout_file, stderr_file) = tokio::select! {
        biased;
        reason = ctx.cancelled() => return Err(Cancelled::new(reason).into()),
        prepared = prepare => prepared?,
    };

    let staging_variables = staging.as_ref().map(Staging::variables).unwrap_or_default();
    let mut command = Command::new(&config.shell);
    command
        .args(arguments)
        .current_dir(workdir.path())
        .env_clear()
        .envs(resources.inherited.variables())
        .envs(task_variables(
            config,
            ctx,
            workdir.path(),
            &staging_variables,
        ));
    let spawn_error = |source| ShellError::Spawn {
        shell: config.shell.clone(),
        source,
    };
    let (mut group, pipes) =
        ProcessGroup::spawn(&mut command, &resources.dev_null, stdout.discarded())
            .map_err(spawn_error)?;
    tracing::info!(pid = group.pid(), "command started");

    // Read both pipes while waiting, or a chatty command blocks on a full
    // pipe; and while `terminate` waits out the grace. Read here, in the
    // task's own future, rather than in spawned tasks: each spawned task
    // cost a wakeup across threads per command (see `docs/ACTIVITIES.md`).
    let stdout_capture = async {
        match pipes.stdout {
            Some(pipe) => capture(pipe, stdout_file, None, config.max_output_bytes).await,
            None => Captured::default(),
        }
    };
    let stderr_capture = capture(
        pipes.stderr,
        stderr_file,
        Some(Tail::new(config.max_stderr_tail)),
        config.max_output_bytes,
    );
    let mut captures = std::pin::pin!(async { tokio::join!(stdout_capture, stderr_capture) });
    let mut captured = None;

    let exited = {
        let mut wait = std::pin::pin!(group.wait());
        loop {
            tokio::select! {
                status = &mut wait => break Ok(status),
                reason = ctx.cancelled() => break Err(reason),
                both = &mut captures, if captured.is_none() => captured = Some(both),
            }
        }
    };
    let status = match exited {
        Ok(status) => status,
        Err(reason) => {
            tracing::info!(pid = group.pid(), %reason, "stopping the command");
            let mut terminate = std::pin::pin!(group.terminate(config.kill_grace));
            let stopped = loop {
                tokio::select! {
                    stopped = &mut terminate => break stopped,
                    both = &mut captures, if captured.is_none() => captured = Some(both),
                }
            };
            match stopped {
                Ok(status) => tracing::info!(status = %describe_exit(status), "command stopped"),
                Err(error) => tracing::warn!(%error, "could not reap the stopped command"),
            }
            return Err(Cancelled::new(reason).into());
        }
    };
    let status = status.map_err(spawn_error)?;

    let (mut out, mut err) = match captured {
        Some(both) => both,
        None => match tokio::time::timeout(PIPE_DRAIN, captures).await {
            Ok(both) => both,
            Err(_) => {
                tracing::warn!("a process that left the command's group still holds its output open: not reading further");
                (Captured::default(), Captured::default())
            }
        },
    };
    for (stream, captured) in [("stdout", &out), ("stderr", &err)] {
        if let Some(error) = &captured.read_error {
            tracing::warn!(stream, %error, "could not read the command's output");
        }
    }
    let truncated: Vec<&'static str> = [("stdout", &out), ("stderr", &err)]
        .into_iter()
        .filter(|(_, captured)| captured.truncated)
        .map(|(stream, _)| stream)
        .collect();
    for stream in &truncated {
        tracing::warn!(
            stream,
            limit = config.max_output_bytes,
            "the command's output reached the limit: the rest was discarded"
        );
    }
    let completion = Completion {
        status,
        stderr_tail: err.tail.as_ref().map(Tail::text).unwrap_or_default(),
        truncated,
        output_limit: config.max_output_bytes,
        escapees_killed: group.escapees_killed(),
    };
    tracing::info!(
        status = %describe_exit(status),
        stdout_bytes = (!stdout.discarded()).then_some(out.bytes),
        stderr_bytes = err.bytes,
        "command ended"
    );

    let finish = async {
        stdout.finish(out.write_error.take(), storage).await?;
        stderr.finish(err.write_error.take(), storage).await?;
        // The runner's own copies: only of the logs it kept itself (the
        // pipeline's `stdout` / `stderr` are where the pipeline put them).
        let kept = |asked: Option<&FieldUri>, log| if asked.is_none() { log } else { None };
        attempt_logs::copy_out(
            ctx,
            config,
            [
                ("stdout", kept(spec.stdout.as_ref(), stdout_log.as_ref())),
                ("stderr", kept(spec.stderr.as_ref(), stderr_log.as_ref())),
            ],
            storage,
        )
        .await;
        match &staging {
            Some(staging) if completion.succeeded() => staging.stage_out(storage).await,
            _ => Ok(()),
        }
    };
    let finished = tokio::select! {
        biased;
        reason = ctx.cancelled() => return Err(Cancelled::new(reason).into()),
        finished = finish => finished,
    };
    match finished {
        Ok(()) => Ok(completion),
        // The command's own failure is the better report.
        Err(error) if !completion.succeeded() => {
            tracing::warn!(error = %error_chain(&error), "after the failed command");
            Ok(completion)
        }
        Err(error) => Err(error.into()),
    }
}
