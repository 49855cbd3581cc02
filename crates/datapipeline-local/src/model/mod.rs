//! The data the service keeps: objects, fields and statuses.

pub mod object;
pub mod status;

pub use object::{Field, FieldValue, PipelineObject, WireField, WireObject};
pub use status::Status;
