//! Activity types this runner knows but does not run: their tasks end
//! FAILED at once with errorId `ActivityNotBuiltIn` and a message naming
//! the type and what to do, instead of the framework's generic
//! `NoActivityForTask` (which lists routes and reads like a bug).

use taskrunner::{Failure, RunnerBuilder, TaskContext};

/// The errorId of a task whose type this runner does not run.
pub(crate) const ERROR_ID: &str = "ActivityNotBuiltIn";

/// The activity types of the object reference (dp-object-*.md) this runner
/// does not run, each with what it needs.
pub(crate) const NOT_BUILT_IN: [(&str, &str); 6] = [
    ("EmrActivity", "needs an EMR cluster"),
    ("HadoopActivity", "needs an EMR cluster"),
    ("HiveActivity", "needs an EMR cluster"),
    ("HiveCopyActivity", "needs an EMR cluster"),
    ("PigActivity", "needs an EMR cluster"),
    ("RedshiftCopyActivity", "needs Amazon Redshift"),
];

/// The message a task of `type_name` fails with.
pub(crate) fn message(type_name: &str, needs: &str) -> String {
    format!(
        "{type_name} is not built into this task runner ({needs}): run this pipeline on AWS, \
         or replace the object with a ShellCommandActivity, or register an activity for \
         {type_name} with the taskrunner library"
    )
}

/// The reason `type_name` does not run here, if it is one of
/// [`NOT_BUILT_IN`].
pub(crate) fn needs(type_name: &str) -> Option<&'static str> {
    NOT_BUILT_IN
        .iter()
        .find(|(name, _)| *name == type_name)
        .map(|(_, needs)| *needs)
}

/// Registers, for every type of [`NOT_BUILT_IN`], a handler that fails
/// each task at once with [`ERROR_ID`].
pub(crate) fn register(builder: RunnerBuilder) -> RunnerBuilder {
    NOT_BUILT_IN
        .iter()
        .fold(builder, |builder, &(type_name, needs)| {
            let not_built_in = move |_ctx: TaskContext| async move {
                Err::<(), _>(Failure::new(ERROR_ID, message(type_name, needs)))
            };
            builder.activity_for_type(type_name, not_built_in)
        })
}
