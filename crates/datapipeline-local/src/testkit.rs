//! Helpers for driving the service through the real `aws-sdk-datapipeline`
//! client: what tests of pipelines, runners and this service share.
//!
//! Enabled by the `testkit` feature.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use datapipeline_local::testkit::{object, sdk_config, string, submit};
//! use datapipeline_local::{start, Config};
//!
//! let service = start(Config::default()).await?;
//! let client = aws_sdk_datapipeline::Client::from_conf(sdk_config(&service.endpoint_url()).build());
//! let pipeline = submit(&client, "hello", vec![
//!     object("Default", vec![string("scheduleType", "ondemand"), string("workerGroup", "local")]),
//!     object("Hello", vec![string("type", "ShellCommandActivity"), string("command", "echo hello")]),
//! ]).await?;
//! assert!(pipeline.starts_with("df-"));
//! service.shutdown().await;
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use aws_sdk_datapipeline::config::{BehaviorVersion, Builder, Region};
use aws_sdk_datapipeline::error::DisplayErrorContext;
use aws_sdk_datapipeline::types::{Field, PipelineObject};
use aws_sdk_datapipeline::Client;

/// The access key id [`sdk_config`] signs with; the service checks none
/// unless started with credentials.
pub const ACCESS_KEY_ID: &str = "AKIDLOCAL";
/// The secret access key [`sdk_config`] signs with.
pub const SECRET_ACCESS_KEY: &str = "local-secret";

/// An SDK configuration for the service at `endpoint`: region `us-east-1`
/// and static placeholder credentials. Change what a test needs (retries,
/// timeouts, credentials) before `build()`.
pub fn sdk_config(endpoint: &str) -> Builder {
    let credentials = aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "datapipeline-local-testkit",
    );
    aws_sdk_datapipeline::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
}

/// A string field.
pub fn string(key: &str, value: &str) -> Field {
    Field::builder()
        .key(key)
        .string_value(value)
        .build()
        .unwrap_or_else(|_| unreachable!("the key is set"))
}

/// A reference field.
pub fn reference(key: &str, id: &str) -> Field {
    Field::builder()
        .key(key)
        .ref_value(id)
        .build()
        .unwrap_or_else(|_| unreachable!("the key is set"))
}

/// An object with `fields`; its name is its id.
pub fn object(id: &str, fields: Vec<Field>) -> PipelineObject {
    PipelineObject::builder()
        .id(id)
        .name(id)
        .set_fields(Some(fields))
        .build()
        .unwrap_or_else(|_| unreachable!("id, name and fields are set"))
}

/// Why [`submit`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// A call failed; the message is the SDK's, with its causes.
    #[error("{operation} failed: {message}")]
    Call {
        /// The operation that failed.
        operation: &'static str,
        /// What the SDK said.
        message: String,
    },
    /// PutPipelineDefinition refused the definition; fix what it names.
    #[error("the definition has errors: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Creates a pipeline named `name` (its uniqueId too), puts `objects` and
/// activates it; answers the pipeline id.
///
/// # Errors
/// [`SubmitError`] naming the call that failed or the definition's errors.
pub async fn submit(
    client: &Client,
    name: &str,
    objects: Vec<PipelineObject>,
) -> Result<String, SubmitError> {
    let id = client
        .create_pipeline()
        .name(name)
        .unique_id(name)
        .send()
        .await
        .map_err(failed("CreatePipeline"))?
        .pipeline_id;
    let put = client
        .put_pipeline_definition()
        .pipeline_id(&id)
        .set_pipeline_objects(Some(objects))
        .send()
        .await
        .map_err(failed("PutPipelineDefinition"))?;
    if put.errored {
        let errors = put
            .validation_errors()
            .iter()
            .flat_map(|object| {
                object
                    .errors()
                    .iter()
                    .map(move |error| format!("{}: {error}", object.id().unwrap_or("?")))
            })
            .collect();
        return Err(SubmitError::Invalid(errors));
    }
    client
        .activate_pipeline()
        .pipeline_id(&id)
        .send()
        .await
        .map_err(failed("ActivatePipeline"))?;
    Ok(id)
}

/// Turns an SDK error of `operation` into a [`SubmitError`].
fn failed<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> SubmitError {
    move |error| SubmitError::Call {
        operation,
        message: DisplayErrorContext(error).to_string(),
    }
}

/// The pipeline's `@pipelineState` (`SCHEDULED`, `FINISHED`, …).
///
/// # Errors
/// [`SubmitError::Call`] when DescribePipelines fails.
pub async fn pipeline_state(
    client: &Client,
    pipeline: &str,
) -> Result<Option<String>, SubmitError> {
    let described = client
        .describe_pipelines()
        .pipeline_ids(pipeline)
        .send()
        .await
        .map_err(failed("DescribePipelines"))?;
    Ok(described
        .pipeline_description_list
        .into_iter()
        .next()
        .and_then(|description| {
            description
                .fields
                .into_iter()
                .find(|field| field.key == "@pipelineState")
        })
        .and_then(|field| field.string_value))
}
