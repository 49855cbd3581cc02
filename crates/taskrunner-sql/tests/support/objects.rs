//! Pipeline objects for the tests' tasks.

use taskrunner_sql::Object;

use super::{TestDatabase, PASSWORD, USER};

/// A `JdbcDatabase` object `Db` for `server`.
pub(crate) fn jdbc_database(server: &dyn TestDatabase) -> Object {
    jdbc_database_with_password(server, PASSWORD)
}

/// A `JdbcDatabase` object `Db` for `server`, logging in with `password`.
pub(crate) fn jdbc_database_with_password(server: &dyn TestDatabase, password: &str) -> Object {
    Object::new("Db")
        .with("type", "JdbcDatabase")
        .with("connectionString", server.connection_string())
        .with("jdbcDriverClass", "unused.by.this.runner")
        .with("username", USER)
        .with("*password", password)
}

/// An `S3DataNode` whose `filePath` is `path` in the test bucket.
pub(crate) fn s3_node(id: &str, path: &str) -> Object {
    Object::new(id)
        .with("type", "S3DataNode")
        .with("filePath", format!("s3://bucket/{path}"))
}

/// A `SqlDataNode` on `table` of the `Db` database.
pub(crate) fn sql_node(id: &str, table: &str) -> Object {
    Object::new(id)
        .with("type", "SqlDataNode")
        .with("table", table)
        .with("database", "Db")
}
