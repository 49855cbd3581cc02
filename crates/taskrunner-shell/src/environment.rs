//! The command's environment: deliberate, documented, and free of the
//! runner's AWS credentials unless asked for.
//!
//! Built in this order (later entries win):
//!
//! 1. The runner's own environment (`PATH`, `HOME`, `LANG`, …) as it was
//!    when the activity was made, **minus** every `AWS_*` variable except
//!    `AWS_REGION` and `AWS_DEFAULT_REGION` (unless
//!    [`ShellConfig::pass_aws_credentials`]) and minus
//!    [`ShellConfig::remove_env`]. `AWS_*` covers the keys, session tokens,
//!    profiles, credential and config file paths, web-identity and container
//!    credential settings, and endpoint overrides meant for the runner.
//! 2. [`ShellConfig::extra_env`].
//! 3. The documented variables: `DATAPIPELINE_PIPELINE_ID`,
//!    `DATAPIPELINE_ATTEMPT_ID`, `DATAPIPELINE_WORKING_DIR`, and, when the
//!    attempt object carries the field, `DATAPIPELINE_OBJECT_ID`
//!    (`@componentParent`), `DATAPIPELINE_INSTANCE_ID` (`@instanceParent`),
//!    `DATAPIPELINE_SCHEDULED_START_TIME` (`@scheduledStartTime`) and
//!    `DATAPIPELINE_SCHEDULED_END_TIME` (`@scheduledEndTime`).
//! 4. The staging directories, `INPUT1_STAGING_DIR`, `OUTPUT1_STAGING_DIR`, …
//! 5. `TASKRUNNER_ATTEMPT_TOKEN`, added when the process is started (in
//!    `process.rs`): how the runner finds the command's processes that
//!    left its group.
//!
//! The task id is never passed: it is the lease's handle, a secret of the
//! runner. Values containing a NUL byte cannot be passed and are dropped.
//!
//! Why step 1 is taken once, not per command: copying and filtering the
//! runner's environment for every command, only for `std::process::Command`
//! to copy it twice more, was a tenth of what the activity adds to a spawn
//! (docs/PERFORMANCE.md, shell-throughput). A runner does not change its
//! own environment while it runs.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use taskrunner_activity::TaskContext;

use crate::ShellConfig;

/// `AWS_*` variables that carry no secret and are always passed.
const PASSED_AWS_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// `DATAPIPELINE_*` variables copied from attempt-object fields when present.
const FIELD_VARIABLES: [(&str, &str); 4] = [
    ("DATAPIPELINE_OBJECT_ID", "@componentParent"),
    ("DATAPIPELINE_INSTANCE_ID", "@instanceParent"),
    ("DATAPIPELINE_SCHEDULED_START_TIME", "@scheduledStartTime"),
    ("DATAPIPELINE_SCHEDULED_END_TIME", "@scheduledEndTime"),
];

/// Step 1: what every command inherits from the runner.
#[derive(Debug, Default)]
pub(crate) struct InheritedEnvironment {
    variables: Vec<(OsString, OsString)>,
}

impl InheritedEnvironment {
    /// The variables of `runner` (the runner's environment) that `config`
    /// lets commands see.
    pub(crate) fn filter(
        runner: impl IntoIterator<Item = (OsString, OsString)>,
        config: &ShellConfig,
    ) -> Self {
        Self {
            variables: runner
                .into_iter()
                .filter(|(name, _)| !withheld(name, config))
                .collect(),
        }
    }

    /// The variables, to start a command's environment with.
    pub(crate) fn variables(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.variables
            .iter()
            .map(|(name, value)| (name.as_os_str(), value.as_os_str()))
    }
}

/// Steps 2 to 4: the variables set on top of the inherited ones, in the
/// order they apply (a later one replaces an earlier one of the same name).
pub(crate) fn task_variables(
    config: &ShellConfig,
    ctx: &TaskContext,
    workdir: &Path,
    staging: &[(String, PathBuf)],
) -> Vec<(OsString, OsString)> {
    let mut variables = Vec::with_capacity(config.extra_env.len() + 8 + staging.len());
    let mut set = |name: &str, value: &OsStr| {
        if value.as_bytes().contains(&0) {
            tracing::warn!(variable = name, "not passing a value with a NUL byte");
        } else {
            variables.push((name.into(), value.to_owned()));
        }
    };
    for (name, value) in &config.extra_env {
        set(name, value.as_ref());
    }
    set("DATAPIPELINE_PIPELINE_ID", ctx.pipeline_id().as_ref());
    set("DATAPIPELINE_ATTEMPT_ID", ctx.attempt_id().as_ref());
    set("DATAPIPELINE_WORKING_DIR", workdir.as_os_str());
    for (name, field) in FIELD_VARIABLES {
        if let Some(value) = ctx.field(field) {
            set(name, value.as_ref());
        }
    }
    for (name, dir) in staging {
        set(name, dir.as_os_str());
    }
    variables
}

/// Whether the runner keeps `name` to itself.
fn withheld(name: &OsStr, config: &ShellConfig) -> bool {
    let bytes = name.as_bytes();
    let aws_secret = bytes.starts_with(b"AWS_")
        && !PASSED_AWS_VARIABLES
            .iter()
            .any(|passed| passed.as_bytes() == bytes);
    (aws_secret && !config.pass_aws_credentials)
        || config
            .remove_env
            .iter()
            .any(|removed| removed.as_bytes() == bytes)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use taskrunner_api::{Field, Task, TaskObject};

    use super::*;

    fn runner_env() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/runner"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_PROFILE", "prod"),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://169.254.170.2/x",
            ),
            ("AWS_REGION", "eu-west-1"),
            ("RUNNER_SECRET", "s"),
            ("DATAPIPELINE_PIPELINE_ID", "spoofed"),
        ]
        .into_iter()
        .map(|(name, value)| (name.into(), value.into()))
        .collect()
    }

    fn context() -> TaskContext {
        let attempt = TaskObject::new("@A_Attempt=1", "A")
            .with_field(Field::reference("@componentParent", "A"))
            .with_field(Field::string("@scheduledStartTime", "2024-01-01T00:00:00"));
        TaskContext::builder(
            Task::new("secret-task-id", "df-1", "@A_Attempt=1").with_object(attempt),
        )
        .build()
    }

    /// The environment a command gets, merged as `std::process::Command`
    /// does: later entries replace earlier ones.
    fn child_environment(
        runner: Vec<(OsString, OsString)>,
        config: &ShellConfig,
        ctx: &TaskContext,
        workdir: &Path,
        staging: &[(String, PathBuf)],
    ) -> BTreeMap<OsString, OsString> {
        let inherited = InheritedEnvironment::filter(runner, config);
        inherited
            .variables()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .chain(task_variables(config, ctx, workdir, staging))
            .collect()
    }

    fn get<'a>(env: &'a BTreeMap<OsString, OsString>, name: &str) -> Option<&'a str> {
        env.get(OsStr::new(name)).and_then(|value| value.to_str())
    }

    #[test]
    fn withholds_credentials_and_adds_the_documented_variables() {
        let config = ShellConfig {
            remove_env: vec!["RUNNER_SECRET".into()],
            extra_env: [("TZ".to_owned(), "UTC".to_owned())].into(),
            ..ShellConfig::default()
        };
        let staging = [(
            "INPUT1_STAGING_DIR".to_owned(),
            PathBuf::from("/w/staging/input1"),
        )];
        let env = child_environment(runner_env(), &config, &context(), Path::new("/w"), &staging);
        assert_eq!(get(&env, "PATH"), Some("/usr/bin:/bin"));
        assert_eq!(get(&env, "HOME"), Some("/home/runner"));
        assert_eq!(get(&env, "AWS_REGION"), Some("eu-west-1"));
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "RUNNER_SECRET",
        ] {
            assert_eq!(get(&env, name), None, "{name}");
        }
        assert_eq!(get(&env, "TZ"), Some("UTC"));
        assert_eq!(get(&env, "DATAPIPELINE_PIPELINE_ID"), Some("df-1"));
        assert_eq!(get(&env, "DATAPIPELINE_ATTEMPT_ID"), Some("@A_Attempt=1"));
        assert_eq!(get(&env, "DATAPIPELINE_OBJECT_ID"), Some("A"));
        assert_eq!(
            get(&env, "DATAPIPELINE_SCHEDULED_START_TIME"),
            Some("2024-01-01T00:00:00")
        );
        assert_eq!(get(&env, "DATAPIPELINE_INSTANCE_ID"), None);
        assert_eq!(get(&env, "DATAPIPELINE_WORKING_DIR"), Some("/w"));
        assert_eq!(get(&env, "INPUT1_STAGING_DIR"), Some("/w/staging/input1"));
        assert!(env.values().all(|value| value != "secret-task-id"));
    }

    #[test]
    fn passes_credentials_when_configured() {
        let config = ShellConfig {
            pass_aws_credentials: true,
            ..ShellConfig::default()
        };
        let env = child_environment(runner_env(), &config, &context(), Path::new("/w"), &[]);
        assert_eq!(get(&env, "AWS_SECRET_ACCESS_KEY"), Some("secret"));
        assert_eq!(get(&env, "AWS_SESSION_TOKEN"), Some("token"));
    }
}
