//! Pipeline definitions: their model, the AWS CLI file format, inheritance,
//! parameters and validation.
//!
//! This module is pure logic on values, with no I/O: the operations
//! (PutPipelineDefinition, ValidatePipelineDefinition, ActivatePipeline, …)
//! call it and the scheduler reads its results.
//!
//! - [`Definition`] holds objects, parameter declarations and values.
//! - [`parse_definition_file`] and [`to_definition_file`] read and write the
//!   `{"objects", "parameters", "values"}` file the AWS CLI takes;
//!   [`parse_parameter_values`] reads `myName=value` arguments.
//! - [`effective_objects`] applies inheritance (`Default` and `parent`).
//! - [`parameter_table`] decides each parameter's values.
//! - [`validate()`] checks a definition as the service does before accepting
//!   it, collecting every error and warning per object.
//! - [`object_types`] is the Guide's object reference as data (generated
//!   from the Guide by `tests/guide/extract_catalogue.py`); [`kind_of`],
//!   [`requirements`] and [`enumerated_values`] are the validator's reading
//!   of it.
//! - [`is_encrypted_key`] tells encrypted fields and parameters (`*password`)
//!   apart.
//! - [`Period`] is the `"15 minutes"` form of periods and durations.
//!
//! ```
//! use datapipeline_local::definition::{parse_definition_file, validate};
//!
//! let definition = parse_definition_file(r#"{"objects": [
//!     {"id": "Default", "scheduleType": "ondemand", "workerGroup": "local"},
//!     {"id": "Hello", "type": "ShellCommandActivity", "command": "echo hello"}
//! ]}"#)?;
//! let report = validate(&definition);
//! assert!(!report.errored(), "{report:?}");
//! # Ok::<(), datapipeline_local::definition::DefinitionFileError>(())
//! ```

mod catalogue;
mod catalogue_data;
mod duration;
mod enumerations;
mod error;
mod file;
mod inherit;
mod kinds;
mod model;
mod parameters;
mod validate;

pub use catalogue::{
    is_encrypted_key, object_type, object_types, FieldDoc, Section, SlotType, TypeDoc,
};
pub use duration::{Period, PeriodUnit};
pub use enumerations::{enumerated_values, matches_enumerated};
pub use error::{DefinitionError, DefinitionFileError};
pub use file::{parse_definition_file, parse_parameter_values, to_definition_file};
pub use file::{parse_parameter_objects_file, parse_parameter_values_file};
pub use inherit::{effective_objects, DEFAULT_ID};
pub use kinds::{kind_of, relaxed_requirements, requirements, ObjectKind, Requirement};
pub use model::{Definition, ParameterAttribute, ParameterObject, ParameterValue};
pub use parameters::parameter_table;
pub use validate::{validate, ObjectMessages, ValidationReport};
