//! The shell activities end to end, one module per area, in one test
//! binary. Three suites that touch the whole process are binaries of their
//! own (see Cargo.toml): hostile.rs and memory.rs measure it,
//! environment.rs sets its variables.

mod activity;
mod staging;
mod stopping;
mod support;
