//! Loading records into a database, in one transaction.
//!
//! PostgreSQL: one `COPY … FROM STDIN (FORMAT csv)` fed as the records
//! arrive (or, with `insertQuery`, the statement per record). MySQL:
//! multi-row `INSERT`s of up to [`MYSQL_BATCH_ROWS`] rows (or `insertQuery`
//! per record), inside `BEGIN` … `COMMIT`. A bad record or a refused row
//! aborts the COPY or rolls the transaction back: nothing is committed
//! (for MySQL, on transactional tables such as InnoDB's).

use sqlx::{Connection as _, Executor};
use tokio::sync::mpsc;

use super::error::CopyError;
use super::node::SqlNode;
use crate::database::Connection;
use crate::records::Record;
use crate::script::database_reason;

/// Rows per multi-row MySQL `INSERT` (fewer when the table is wide: a
/// statement may bind at most 65,535 values).
pub(crate) const MYSQL_BATCH_ROWS: usize = 1_000;

/// Bytes of COPY data sent to PostgreSQL at a time.
const COPY_CHUNK: usize = 256 * 1024;

/// Batches of records, or the error that ended the input.
pub(crate) type Batches = mpsc::Receiver<Result<Vec<Record>, CopyError>>;

/// Loads every batch into `node`'s table, first creating it with its
/// `createTableSql` when it is missing; returns the records loaded.
pub(crate) async fn load(
    node: &SqlNode,
    columns: &[String],
    batches: Batches,
) -> Result<u64, CopyError> {
    let mut connection = Connection::open(&node.database).await?;
    if let Some(create) = &node.create_table {
        create.ensure(&mut connection).await?;
    }
    match &mut connection {
        Connection::Postgres(connection) => match &node.insert_query {
            None => load_postgres_copy(connection, node, columns, batches).await,
            Some(query) => load_postgres_inserts(connection, query, batches).await,
        },
        Connection::MySql(connection) => load_mysql(connection, node, columns, batches).await,
    }
}

fn sql_error(what: &str, error: &sqlx::Error) -> CopyError {
    CopyError::Sql(format!("{what}: {}", database_reason(error)))
}

fn column_list(columns: &[String]) -> String {
    if columns.is_empty() {
        String::new()
    } else {
        format!(" ({})", columns.join(", "))
    }
}

async fn load_postgres_copy(
    connection: &mut sqlx::PgConnection,
    node: &SqlNode,
    columns: &[String],
    mut batches: Batches,
) -> Result<u64, CopyError> {
    let statement = format!(
        "COPY {}{} FROM STDIN WITH (FORMAT csv)",
        node.table,
        column_list(columns)
    );
    let mut copy = connection
        .copy_in_raw(&statement)
        .await
        .map_err(|error| sql_error(&format!("`{statement}` failed"), &error))?;
    let mut buffer = Vec::with_capacity(COPY_CHUNK + 4096);
    let mut loaded = 0;
    while let Some(batch) = batches.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                // The server discards everything this COPY sent.
                let _ = copy.abort("the input has a bad record").await;
                return Err(error);
            }
        };
        for record in &batch {
            encode_postgres_csv(&record.fields, &mut buffer);
            if buffer.len() >= COPY_CHUNK {
                if let Err(error) = copy.send(std::mem::take(&mut buffer)).await {
                    return Err(sql_error(&format!("loading line {}", record.line), &error));
                }
                buffer.reserve(COPY_CHUNK + 4096);
            }
        }
        loaded += batch.len() as u64;
    }
    if !buffer.is_empty() {
        copy.send(buffer)
            .await
            .map_err(|error| sql_error("loading", &error))?;
    }
    copy.finish()
        .await
        .map_err(|error| sql_error(&format!("COPY into {}", node.table), &error))?;
    Ok(loaded)
}

/// One record as a line of PostgreSQL CSV: `NULL` unquoted and empty,
/// every value quoted.
fn encode_postgres_csv(fields: &[Option<String>], out: &mut Vec<u8>) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        if let Some(value) = field {
            out.push(b'"');
            for &byte in value.as_bytes() {
                if byte == b'"' {
                    out.push(b'"');
                }
                out.push(byte);
            }
            out.push(b'"');
        }
    }
    out.push(b'\n');
}

async fn load_postgres_inserts(
    connection: &mut sqlx::PgConnection,
    query: &str,
    mut batches: Batches,
) -> Result<u64, CopyError> {
    let statement = crate::sql_text::split(query)
        .into_iter()
        .next()
        .ok_or_else(|| CopyError::NotSupported("insertQuery is empty".to_owned()))?;
    let mut transaction = connection
        .begin()
        .await
        .map_err(|error| sql_error("BEGIN", &error))?;
    let mut loaded = 0;
    while let Some(batch) = batches.recv().await {
        for record in batch? {
            if record.fields.len() != statement.placeholders.len() {
                return Err(CopyError::Sql(format!(
                    "line {}: {} fields for the {} `?` of insertQuery",
                    record.line,
                    record.fields.len(),
                    statement.placeholders.len()
                )));
            }
            let text = crate::script::with_nullable_literals(&statement, &record.fields);
            transaction
                .execute(sqlx::raw_sql(&text))
                .await
                .map_err(|error| sql_error(&format!("line {}", record.line), &error))?;
            loaded += 1;
        }
    }
    transaction
        .commit()
        .await
        .map_err(|error| sql_error("COMMIT", &error))?;
    Ok(loaded)
}

async fn load_mysql(
    connection: &mut sqlx::MySqlConnection,
    node: &SqlNode,
    columns: &[String],
    mut batches: Batches,
) -> Result<u64, CopyError> {
    let mut transaction = connection
        .begin()
        .await
        .map_err(|error| sql_error("BEGIN", &error))?;
    let mut loaded = 0;
    let mut pending: Vec<Record> = Vec::new();
    let mut width = None;
    while let Some(batch) = batches.recv().await {
        for record in batch? {
            let fields = *width.get_or_insert(record.fields.len().max(1));
            pending.push(record);
            let rows = (65_535 / fields).clamp(1, MYSQL_BATCH_ROWS);
            if node.insert_query.is_some() || pending.len() >= rows {
                loaded += insert_mysql(&mut transaction, node, columns, &pending).await?;
                pending.clear();
            }
        }
    }
    if !pending.is_empty() {
        loaded += insert_mysql(&mut transaction, node, columns, &pending).await?;
    }
    transaction
        .commit()
        .await
        .map_err(|error| sql_error("COMMIT", &error))?;
    Ok(loaded)
}

async fn insert_mysql(
    connection: &mut sqlx::MySqlConnection,
    node: &SqlNode,
    columns: &[String],
    records: &[Record],
) -> Result<u64, CopyError> {
    let first = records.first().map_or(0, |record| record.line);
    let statement = match &node.insert_query {
        Some(query) => query.clone(),
        None => {
            let width = records.first().map_or(0, |record| record.fields.len());
            let row = format!("({})", vec!["?"; width].join(","));
            format!(
                "INSERT INTO {}{} VALUES {}",
                node.table,
                column_list(columns),
                vec![row.as_str(); records.len()].join(",")
            )
        }
    };
    let mut query = sqlx::query(&statement);
    for record in records {
        for field in &record.fields {
            query = query.bind(field.as_deref());
        }
    }
    query.execute(&mut *connection).await.map_err(|error| {
        sql_error(
            &format!(
                "inserting lines {first}..={}",
                records.last().map_or(first, |record| record.line)
            ),
            &error,
        )
    })?;
    Ok(records.len() as u64)
}
