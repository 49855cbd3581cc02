//! An impostor of the Data Pipeline endpoint: a raw TCP server on
//! 127.0.0.1:0 that answers PollForTask from a script of misbehaviours
//! (truncated and garbage bodies, model violations, wrong content types,
//! slow-loris bodies, connection resets) and the other runner calls
//! correctly, recording every request.

#![allow(dead_code, unreachable_pub)]

mod answer;
mod server;

pub use answer::{task_json, Answer};
pub use server::Impostor;
