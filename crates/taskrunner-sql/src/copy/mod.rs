//! `CopyActivity`: S3 → SQL, SQL → S3 and S3 → S3, record by record.
//!
//! Input files are fetched into the task's scratch directory and read one
//! record at a time; output is written to a scratch file and uploaded only
//! once complete. Between the two sides records travel in bounded batches,
//! so memory does not grow with the data (the scratch directory does).
//!
//! An input may be a manifest (`manifestFilePath`, Amazon Redshift's
//! format): the objects it lists are fetched in its order and read as one
//! input. A SQL node's `schemaName` qualifies its `table`; an output SQL
//! node's `createTableSql` runs before the load when the table is missing
//! ([`crate::create_table`]).
//!
//! What a failure leaves behind: a copy into a database runs in one
//! transaction (PostgreSQL: one COPY), so a bad record or a refused row at
//! any point commits nothing (a table `createTableSql` made stays); a copy
//! to S3 uploads nothing unless every record was written.

mod error;
mod files;
mod from_sql;
mod manifest;
mod node;
mod to_sql;

use std::path::{Path, PathBuf};

use taskrunner_shell::StorageError;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

pub use error::CopyError;
pub use node::{DataNode, S3Location, S3Node, SqlNode};

use crate::database::RdsEndpoints;
use crate::object::Objects;
use crate::records::RecordReader;
use crate::store::{Store, StoreError};
use files::{open_input, Output};

/// Records per batch from the file reader to the database.
const BATCH_RECORDS: usize = 1_000;
/// Batches in flight: with [`BATCH_RECORDS`], bounds the records in memory.
const BATCHES_IN_FLIGHT: usize = 4;
/// The object an output `directoryPath` receives.
pub const OUTPUT_FILE_NAME: &str = "part-00000";

/// A `CopyActivity`'s input and output, read once.
#[derive(Debug, Clone)]
pub struct CopyJob {
    /// Where records come from.
    pub input: DataNode,
    /// Where they go.
    pub output: DataNode,
}

impl CopyJob {
    /// Reads the attempt's `input` and `output` and the objects they name.
    ///
    /// # Errors
    ///
    /// A [`CopyError`] naming the field or object.
    pub fn from_objects(objects: &Objects, rds: &RdsEndpoints) -> Result<Self, CopyError> {
        let job = Self {
            input: DataNode::from_objects(objects, "input", rds)?,
            output: DataNode::from_objects(objects, "output", rds)?,
        };
        if let (DataNode::Sql(_), DataNode::Sql(_)) = (&job.input, &job.output) {
            return Err(CopyError::NotSupported(
                "copies from SQL to SQL are not supported; copy through an S3DataNode".to_owned(),
            ));
        }
        Ok(job)
    }

    /// Copies every record; returns how many. `scratch` is a directory of
    /// the task's own (created if missing, left for the caller to remove).
    ///
    /// Cancel by dropping the future: an open transaction or COPY is rolled
    /// back by the server when the connection closes, and nothing is
    /// uploaded. Inside the activity's session scope the running statement
    /// is first stopped on the server (`database::cancel`), which a closed
    /// connection alone does not do.
    ///
    /// # Errors
    ///
    /// A [`CopyError`]; see the module docs for what stays committed.
    pub async fn run(&self, store: &Store, scratch: &Path) -> Result<u64, CopyError> {
        tokio::fs::create_dir_all(scratch)
            .await
            .map_err(|error| CopyError::scratch(scratch, error))?;
        match (&self.input, &self.output) {
            (DataNode::S3(input), DataNode::Sql(output)) => {
                let files = fetch_input(store, input, scratch).await?;
                let (sender, receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
                let reader = input.clone();
                let producer =
                    tokio::task::spawn_blocking(move || produce(&reader, &files, &sender));
                let loaded = to_sql::load(output, &input.format.columns, receiver).await;
                // The producer stops on its own once the receiver is gone.
                let _ = producer.await;
                loaded
            }
            (DataNode::Sql(input), DataNode::S3(output)) => {
                let path = scratch.join("output");
                let file = Output::create(&path, output.gzip)?;
                let written = from_sql::unload(input, file, output.format.clone()).await?;
                upload(store, output, &path).await?;
                Ok(written)
            }
            (DataNode::S3(input), DataNode::S3(output)) => {
                let files = fetch_input(store, input, scratch).await?;
                let path = scratch.join("output");
                let (reader, writer, target) = (input.clone(), output.clone(), path.clone());
                let written = tokio::task::spawn_blocking(move || {
                    s3_to_s3(&reader, &writer, &files, &target)
                })
                .await
                .map_err(|error| {
                    CopyError::NotSupported(format!("the copy thread failed: {error}"))
                })??;
                upload(store, output, &path).await?;
                Ok(written)
            }
            (DataNode::Sql(_), DataNode::Sql(_)) => Err(CopyError::NotSupported(
                "copies from SQL to SQL are not supported".to_owned(),
            )),
        }
    }
}

/// An input object fetched into the scratch directory.
#[derive(Debug)]
struct InputFile {
    /// The local copy.
    path: PathBuf,
    /// Its URI, for messages.
    name: String,
}

/// Fetches the input's files into `scratch/input`; returns them in order.
async fn fetch_input(
    store: &Store,
    input: &S3Node,
    scratch: &Path,
) -> Result<Vec<InputFile>, CopyError> {
    let dir = scratch.join("input");
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|error| CopyError::scratch(&dir, error))?;
    match &input.location {
        S3Location::File(uri) => {
            let path = dir.join("data");
            store.fetch_file(uri, &path).await?;
            Ok(vec![InputFile {
                path,
                name: uri.clone(),
            }])
        }
        S3Location::Directory(uri) => {
            let files = store.fetch_dir(uri, &dir).await?;
            Ok(files
                .into_iter()
                .map(|path| InputFile {
                    name: format!(
                        "{}/{}",
                        uri.trim_end_matches('/'),
                        path.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    path,
                })
                .collect())
        }
        S3Location::Manifest(uri) => fetch_listed(store, uri, scratch, &dir).await,
    }
}

/// Fetches the manifest `uri` and then, in its order, the objects it
/// lists: a missing mandatory one fails the copy, a missing optional one is
/// skipped, and (as Redshift's COPY does) a manifest none of whose objects
/// exists fails it too.
async fn fetch_listed(
    store: &Store,
    uri: &str,
    scratch: &Path,
    dir: &Path,
) -> Result<Vec<InputFile>, CopyError> {
    let local = scratch.join("manifest.json");
    store.fetch_file(uri, &local).await?;
    let file = tokio::fs::File::open(&local)
        .await
        .map_err(|error| CopyError::scratch(&local, error))?;
    let mut text = Vec::new();
    file.take(manifest::MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut text)
        .await
        .map_err(|error| CopyError::scratch(&local, error))?;
    let too_large = text.len() as u64 > manifest::MAX_MANIFEST_BYTES;
    let invalid = |reason: String| CopyError::Manifest {
        manifest: uri.to_owned(),
        reason,
    };
    if too_large {
        return Err(invalid(format!(
            "larger than {} MiB; is it a manifest?",
            manifest::MAX_MANIFEST_BYTES >> 20
        )));
    }
    let entries = manifest::parse(uri, &text)?;
    let mut files = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let path = dir.join(format!("{index:06}"));
        match store.fetch_file(&entry.url, &path).await {
            Ok(()) => files.push(InputFile {
                path,
                name: entry.url.clone(),
            }),
            Err(StoreError::Storage(StorageError::NotFound { .. })) if !entry.mandatory => {
                tracing::info!(url = %entry.url, manifest = %uri, "skipped: listed as optional and not there");
            }
            Err(StoreError::Storage(StorageError::NotFound { .. })) => {
                return Err(invalid(format!(
                    "entry {} `{}` is mandatory and does not exist",
                    index + 1,
                    entry.url
                )))
            }
            Err(error) => return Err(error.into()),
        }
    }
    if files.is_empty() {
        return Err(invalid(match entries.len() {
            0 => "it lists no files".to_owned(),
            listed => format!("none of the {listed} files it lists exists"),
        }));
    }
    Ok(files)
}

async fn upload(store: &Store, output: &S3Node, path: &Path) -> Result<(), CopyError> {
    let uri = match &output.location {
        S3Location::File(uri) => uri.clone(),
        S3Location::Directory(uri) => format!("{}/{OUTPUT_FILE_NAME}", uri.trim_end_matches('/')),
        S3Location::Manifest(uri) => {
            // DataNode::from_objects refuses a manifest on an output.
            return Err(CopyError::NotSupported(format!(
                "{uri}: a manifest cannot be written to"
            )));
        }
    };
    Ok(store.upload_file(path, &uri).await?)
}

/// Reads every file's records and sends them in batches; stops at the first
/// bad record (after sending it as the error) or when the receiver is gone.
fn produce(
    input: &S3Node,
    files: &[InputFile],
    sender: &mpsc::Sender<Result<Vec<crate::records::Record>, CopyError>>,
) {
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    for file in files {
        let reader = match open_input(&file.path, input.gzip) {
            Ok(reader) => reader,
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        for record in RecordReader::new(reader, input.format.clone(), file.name.clone()) {
            match record {
                Ok(record) => batch.push(record),
                Err(error) => {
                    let _ = sender.blocking_send(Err(error.into()));
                    return;
                }
            }
            if batch.len() == BATCH_RECORDS
                && sender
                    .blocking_send(Ok(std::mem::take(&mut batch)))
                    .is_err()
            {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(Ok(batch));
    }
}

/// Copies between files: bytes as they are when the two formats are the
/// same, else record by record.
fn s3_to_s3(
    input: &S3Node,
    output: &S3Node,
    files: &[InputFile],
    target: &Path,
) -> Result<u64, CopyError> {
    let mut out = Output::create(target, output.gzip)?;
    if input.format == output.format {
        let mut bytes = 0;
        for file in files {
            let mut reader = open_input(&file.path, input.gzip)?;
            bytes += std::io::copy(&mut reader, &mut out)
                .map_err(|error| CopyError::scratch(&file.path, error))?;
        }
        out.finish()
            .map_err(|error| CopyError::scratch(target, error))?;
        tracing::debug!(bytes, "copied as bytes: same data format on both sides");
        // Records are not counted on this path; report the files copied.
        return Ok(files.len() as u64);
    }
    let mut records: Box<dyn Iterator<Item = _>> = Box::new(std::iter::empty());
    for file in files {
        let reader = open_input(&file.path, input.gzip)?;
        let next = RecordReader::new(reader, input.format.clone(), file.name.clone())
            .map(|record| record.map(|record| record.fields));
        records = Box::new(records.chain(next));
    }
    from_sql::write_all(records, out, output.format.clone())
}
