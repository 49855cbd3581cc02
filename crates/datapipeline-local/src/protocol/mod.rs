//! The AWS JSON 1.1 protocol: reading requests, writing responses, and the
//! model's string shapes that every input member is checked against.

pub(crate) mod request;
pub mod shape;
mod strict;

pub use request::TARGET_PREFIX;
