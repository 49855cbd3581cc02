//! The lease manager against a scripted service, one module per area, in
//! one test binary.

mod acknowledge;
mod manager;
mod scale;
mod support;
