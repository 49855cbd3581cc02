use anyhow::Context as _;
use serde::Deserialize;
use taskrunner_api::{Field, Task, TaskObject};

use super::*;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Copy {
    my_table: String,
    my_batch_size: u32,
}

fn context(fields: &[(&str, &str)]) -> TaskContext {
    let mut attempt = TaskObject::new("@C_Attempt=1", "C");
    for (key, value) in fields {
        attempt = attempt.with_field(Field::string(*key, *value));
    }
    TaskContext::builder(Task::new("t", "df-1", "@C_Attempt=1").with_object(attempt)).build()
}

async fn copy(params: Copy, ctx: TaskContext) -> Result<(), Failure> {
    ctx.progress().set("myCopied", params.my_table);
    if params.my_batch_size == 0 {
        return Err(Failure::new("EmptyBatch", "myBatchSize must be positive"));
    }
    Ok(())
}

#[tokio::test]
async fn typed_params_are_read_from_the_fields() {
    let ctx = context(&[("myTable", "events"), ("myBatchSize", "500")]);
    assert_eq!(copy.run(ctx.clone()).await, Outcome::Finished);
    assert_eq!(ctx.progress().snapshot().len(), 1);

    let ctx = context(&[("myTable", "events"), ("myBatchSize", "0")]);
    assert_eq!(
        copy.run(ctx).await,
        Outcome::failed("EmptyBatch", "myBatchSize must be positive")
    );
}

#[tokio::test]
async fn params_that_do_not_fit_fail_naming_the_field() {
    for (fields, named) in [
        (&[("myTable", "events")][..], "myBatchSize"),
        (
            &[("myTable", "events"), ("myBatchSize", "many")][..],
            "myBatchSize",
        ),
    ] {
        let ctx = context(fields);
        let Outcome::Failed(failure) = copy.run(ctx.clone()).await else {
            panic!("expected a failure for {fields:?}");
        };
        assert_eq!(failure.error_id, "InvalidTaskFields");
        assert!(failure.message.contains(named), "{}", failure.message);
        // The handler never ran.
        assert!(ctx.progress().snapshot().is_empty());
    }
}

#[tokio::test]
async fn context_only_handlers_and_closures() {
    async fn ready(ctx: TaskContext) -> bool {
        ctx.field("myInput").is_some()
    }
    assert_eq!(
        ready.run(context(&[("myInput", "x")])).await,
        Outcome::Finished
    );
    assert_eq!(ready.run(context(&[])).await, Outcome::PreconditionFalse);

    let prefix = String::from("table ");
    let closure = move |params: Copy, _ctx: TaskContext| {
        let prefix = prefix.clone();
        async move { Outcome::failed("Seen", format!("{prefix}{}", params.my_table)) }
    };
    let ctx = context(&[("myTable", "events"), ("myBatchSize", "1")]);
    assert_eq!(
        closure.run(ctx).await,
        Outcome::failed("Seen", "table events")
    );
}

#[tokio::test]
async fn anyhow_errors_report_their_chain() {
    async fn load(ctx: TaskContext) -> anyhow::Result<()> {
        let path = ctx.scratch_dir().join("missing.csv");
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(())
    }
    let Outcome::Failed(failure) = load.run(context(&[])).await else {
        panic!("expected a failure");
    };
    assert_eq!(failure.error_id, "ActivityError");
    assert!(
        failure.message.starts_with("reading "),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("missing.csv: "),
        "{}",
        failure.message
    );
    let trace = failure.stack_trace.expect("the source chain");
    assert_eq!(trace.lines().count(), 1, "{trace}");

    async fn fields_via_anyhow(ctx: TaskContext) -> anyhow::Result<()> {
        let _copy: Copy = ctx.fields().context("reading the copy parameters")?;
        Ok(())
    }
    let Outcome::Failed(failure) = fields_via_anyhow.run(context(&[])).await else {
        panic!("expected a failure");
    };
    assert_eq!(failure.error_id, "InvalidTaskFields");
    assert!(
        failure
            .message
            .starts_with("reading the copy parameters: missing field `myTable`"),
        "{}",
        failure.message
    );
}
