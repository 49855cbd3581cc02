//! The AWS JSON 1.1 protocol: reading requests, writing responses, and the
//! model's string shapes that every input member is checked against.

#[cfg(feature = "testkit")]
#[doc(hidden)]
pub mod harness;
pub(crate) mod request;
pub mod shape;
mod strict;

pub use request::TARGET_PREFIX;
