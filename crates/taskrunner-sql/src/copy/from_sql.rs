//! Unloading a query's rows into an output file.
//!
//! PostgreSQL: `COPY (query) TO STDOUT (FORMAT csv)`, so the server turns
//! every type into text; its CSV is read back record by record and written
//! in the output's format. MySQL: the query runs over the text protocol, so
//! every value arrives as text too. Either way the rows flow through a
//! bounded channel to a thread that writes the file: memory stays flat.

use bytes::Bytes;
use futures::TryStreamExt;
use sqlx::Row;
use tokio::sync::mpsc;

use super::error::CopyError;
use super::files::Output;
use super::node::SqlNode;
use crate::database::Connection;
use crate::format::DataFormat;
use crate::records::{RecordReader, RecordWriter};
use crate::script::database_reason;

/// Batches (or chunks) in flight between the database and the writer.
const CHANNEL_DEPTH: usize = 8;
/// Bytes of PostgreSQL's COPY output per chunk handed to the writer.
const CHUNK_BYTES: usize = 64 * 1024;
/// Rows per batch from MySQL.
const ROWS_PER_BATCH: usize = 1_000;

/// Runs `node`'s query and writes its rows to `output` in `format`;
/// returns the records written.
pub(crate) async fn unload(
    node: &SqlNode,
    output: Output,
    format: DataFormat,
) -> Result<u64, CopyError> {
    let query = node
        .select_query
        .clone()
        .unwrap_or_else(|| format!("SELECT * FROM {}", node.table));
    let mut connection = Connection::open(&node.database).await?;
    match &mut connection {
        Connection::Postgres(connection) => {
            let (sender, receiver) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
            let writer = tokio::task::spawn_blocking(move || {
                let input = std::io::BufReader::new(ChannelReader::new(receiver));
                let postgres_csv = DataFormat {
                    escape: None,
                    ..DataFormat::default()
                };
                let records = RecordReader::new(input, postgres_csv, "the query's rows");
                write_all(
                    records.map(|record| record.map(|record| record.fields)),
                    output,
                    format,
                )
            });
            let statement = format!("COPY ({query}) TO STDOUT WITH (FORMAT csv)");
            let mut stream = connection
                .copy_out_raw(&statement)
                .await
                .map_err(|error| sql_error(&query, &error))?;
            // The server sends one message per row: gather them into larger
            // chunks, so that the writer thread wakes once per chunk.
            let mut pending = Vec::with_capacity(CHUNK_BYTES);
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|error| sql_error(&query, &error))?
            {
                pending.extend_from_slice(&chunk);
                if pending.len() >= CHUNK_BYTES {
                    let full = std::mem::replace(&mut pending, Vec::with_capacity(CHUNK_BYTES));
                    if sender.send(Bytes::from(full)).await.is_err() {
                        break;
                    }
                }
            }
            if !pending.is_empty() {
                let _ = sender.send(Bytes::from(pending)).await;
            }
            drop(sender);
            join(writer).await
        }
        Connection::MySql(connection) => {
            let (sender, mut receiver) = mpsc::channel::<Vec<Vec<Option<String>>>>(CHANNEL_DEPTH);
            let writer = tokio::task::spawn_blocking(move || {
                let rows = std::iter::from_fn(move || receiver.blocking_recv())
                    .flatten()
                    .map(Ok);
                write_all(rows, output, format)
            });
            let mut rows = sqlx::raw_sql(&query).fetch(&mut *connection);
            let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
            while let Some(row) = rows
                .try_next()
                .await
                .map_err(|error| sql_error(&query, &error))?
            {
                let mut fields = Vec::with_capacity(row.len());
                for index in 0..row.len() {
                    // The text protocol sends every value as text, so the
                    // type check that would refuse e.g. INT as String is
                    // skipped on purpose.
                    let value: Option<String> = row
                        .try_get_unchecked(index)
                        .map_err(|error| sql_error(&query, &error))?;
                    fields.push(value);
                }
                batch.push(fields);
                if batch.len() == ROWS_PER_BATCH
                    && sender.send(std::mem::take(&mut batch)).await.is_err()
                {
                    break;
                }
            }
            if !batch.is_empty() {
                let _ = sender.send(batch).await;
            }
            drop(sender);
            join(writer).await
        }
    }
}

fn sql_error(query: &str, error: &sqlx::Error) -> CopyError {
    CopyError::Sql(format!(
        "the query `{}` failed: {}",
        query.chars().take(200).collect::<String>(),
        database_reason(error)
    ))
}

async fn join(writer: tokio::task::JoinHandle<Result<u64, CopyError>>) -> Result<u64, CopyError> {
    writer
        .await
        .map_err(|error| CopyError::NotSupported(format!("the writer thread failed: {error}")))?
}

/// Writes every row to `output` in `format` and finishes the file.
pub(crate) fn write_all(
    rows: impl Iterator<Item = Result<Vec<Option<String>>, crate::records::RecordError>>,
    output: Output,
    format: DataFormat,
) -> Result<u64, CopyError> {
    let mut writer = RecordWriter::new(output, format);
    for row in rows {
        writer
            .write(&row?)
            .map_err(|error| CopyError::scratch(std::path::Path::new("the output file"), error))?;
    }
    let written = writer.written();
    writer
        .finish()
        .and_then(Output::finish)
        .map_err(|error| CopyError::scratch(std::path::Path::new("the output file"), error))?;
    Ok(written)
}

/// A blocking [`std::io::Read`] over chunks arriving on a channel.
#[derive(Debug)]
struct ChannelReader {
    receiver: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    fn new(receiver: mpsc::Receiver<Bytes>) -> Self {
        Self {
            receiver,
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
