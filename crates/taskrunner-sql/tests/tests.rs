//! End-to-end tests of taskrunner-sql against real PostgreSQL and MariaDB
//! servers started in temp directories (one test binary: see STYLE.md).

mod cancel;
mod copy;
mod copy_options;
mod exists;
mod rds;
mod sql_activity;
mod support;
