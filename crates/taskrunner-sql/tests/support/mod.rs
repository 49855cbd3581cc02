//! Shared test helpers: real database servers in temp directories, a
//! directory-backed object store, and small builders for pipeline objects.

pub(crate) mod bucket;
pub(crate) mod objects;
pub(crate) mod store;

pub(crate) use taskrunner_sql::testkit::{
    mariadb, postgres, process, TestDatabase, PASSWORD, USER,
};

/// A started server of either engine, with helpers to set up and check data.
#[derive(Debug)]
pub(crate) enum Server {
    /// PostgreSQL.
    Postgres(postgres::PostgresServer),
    /// MariaDB.
    MariaDb(mariadb::MariaDbServer),
}

impl Server {
    /// Starts PostgreSQL.
    pub(crate) async fn postgres() -> Self {
        Self::Postgres(postgres::PostgresServer::start().await)
    }

    /// Starts MariaDB.
    pub(crate) async fn mariadb() -> Self {
        Self::MariaDb(mariadb::MariaDbServer::start().await)
    }

    /// The server's port.
    pub(crate) fn port(&self) -> u16 {
        match self {
            Self::Postgres(server) => server.port(),
            Self::MariaDb(server) => server.port(),
        }
    }

    /// Runs `sql` (several statements allowed).
    pub(crate) async fn exec(&self, sql: &str) {
        use sqlx::Executor;
        match self {
            Self::Postgres(server) => server
                .connect()
                .await
                .execute(sqlx::raw_sql(sql))
                .await
                .map(drop),
            Self::MariaDb(server) => server
                .connect()
                .await
                .execute(sqlx::raw_sql(sql))
                .await
                .map(drop),
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    }

    /// The rows of `sql`, whose columns must all be text (or NULL).
    pub(crate) async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        use sqlx::Row;
        fn collect<R: Row>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
        where
            usize: sqlx::ColumnIndex<R>,
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|index| row.try_get_unchecked(index).expect("a text column"))
                        .collect()
                })
                .collect()
        }
        match self {
            Self::Postgres(server) => collect(
                sqlx::query(sql)
                    .fetch_all(&mut server.connect().await)
                    .await
                    .expect("query"),
            ),
            Self::MariaDb(server) => collect(
                sqlx::raw_sql(sql)
                    .fetch_all(&mut server.connect().await)
                    .await
                    .expect("query"),
            ),
        }
    }

    /// The number of rows in `table`.
    pub(crate) async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self {
            Self::Postgres(server) => sqlx::query_scalar(&sql)
                .fetch_one(&mut server.connect().await)
                .await
                .expect("count"),
            Self::MariaDb(server) => sqlx::query_scalar(&sql)
                .fetch_one(&mut server.connect().await)
                .await
                .expect("count"),
        }
    }
}

impl TestDatabase for Server {
    fn connection_string(&self) -> String {
        match self {
            Self::Postgres(server) => server.connection_string(),
            Self::MariaDb(server) => server.connection_string(),
        }
    }
}

/// Both engines' servers, started concurrently.
pub(crate) async fn both() -> [Server; 2] {
    let (postgres, mariadb) = tokio::join!(Server::postgres(), Server::mariadb());
    [postgres, mariadb]
}
