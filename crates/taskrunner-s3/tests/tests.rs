//! taskrunner-s3 against a real local S3 store (s3s-fs), one module per
//! area, in one test binary.

mod log_upload;
mod shell_activity;
mod storage;
mod support;
