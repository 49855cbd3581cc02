//! Staging (`stage` = `true`): the `input` and `output` data nodes as local
//! directories the command reads and writes.
//!
//! Input number *n* (the *n*-th `input` reference, in order) gets
//! `staging/input<n>` in the working directory, exposed as
//! `INPUT<n>_STAGING_DIR`; outputs likewise get `OUTPUT<n>_STAGING_DIR`.
//! When the task carries the referenced data node:
//!
//! - before the command, an input's `directoryPath` contents (or its
//!   `filePath` file, under its own name) are copied into its directory;
//! - after the command exits 0, an output's directory contents are copied to
//!   its `directoryPath`, or its one file to `filePath` (the file with the
//!   same name as the target, else the only file).
//!
//! Local paths and `file://` URIs are copied directly, `s3://` goes through
//! the [`Storage`]. A node the task does not carry (the service may leave
//! referenced objects out), or one with neither path, gets an empty
//! directory and a warning.

use std::path::PathBuf;

use taskrunner_activity::TaskContext;

use crate::error::ShellError;
use crate::storage::{FieldUri, Storage, StorageError};
use crate::workdir::WorkingDir;

/// Every staged data node of a task.
#[derive(Debug)]
pub(crate) struct Staging {
    inputs: Vec<StagedNode>,
    outputs: Vec<StagedNode>,
}

#[derive(Debug)]
struct StagedNode {
    /// The variable naming its directory, e.g. `INPUT1_STAGING_DIR`.
    variable: String,
    /// For messages: `input #1 (MyInput)`.
    label: String,
    /// Its directory in the working directory.
    dir: PathBuf,
    /// Where its data lives, when the task says.
    path: Option<NodePath>,
}

#[derive(Debug)]
enum NodePath {
    Directory(FieldUri),
    File(FieldUri),
}

impl Staging {
    /// Reads `stage`, `input` and `output`; `None` unless `stage` is `true`.
    ///
    /// # Errors
    ///
    /// [`ShellError::InvalidCommand`] for a `stage` other than `true` or
    /// `false` or a malformed node path; [`ShellError::S3NotConfigured`] for
    /// an `s3://` node path without a storage.
    pub(crate) fn plan(
        ctx: &TaskContext,
        workdir: &WorkingDir,
        storage: Option<&dyn Storage>,
    ) -> Result<Option<Self>, ShellError> {
        match ctx.field("stage") {
            None => return Ok(None),
            Some(stage) if stage.eq_ignore_ascii_case("false") => return Ok(None),
            Some(stage) if stage.eq_ignore_ascii_case("true") => {}
            Some(stage) => {
                return Err(ShellError::InvalidCommand(format!(
                    "stage must be true or false, not {stage:?}"
                )))
            }
        }
        let nodes = |kind: &str| -> Result<Vec<StagedNode>, ShellError> {
            ctx.values(kind)
                .enumerate()
                .map(|(index, id)| StagedNode::plan(ctx, workdir, storage, kind, index + 1, id))
                .collect()
        };
        Ok(Some(Self {
            inputs: nodes("input")?,
            outputs: nodes("output")?,
        }))
    }

    /// `(INPUT1_STAGING_DIR, dir)`, … for the command's environment.
    pub(crate) fn variables(&self) -> Vec<(String, PathBuf)> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .map(|node| (node.variable.clone(), node.dir.clone()))
            .collect()
    }

    /// Creates every staging directory and copies the inputs in.
    pub(crate) async fn stage_in(&self, storage: Option<&dyn Storage>) -> Result<(), ShellError> {
        for node in self.inputs.iter().chain(&self.outputs) {
            tokio::fs::create_dir_all(&node.dir)
                .await
                .map_err(|error| {
                    node.error(
                        "in",
                        StorageError::io(node.dir.display().to_string(), error),
                    )
                })?;
        }
        for node in &self.inputs {
            let result = match &node.path {
                None => Ok(()),
                Some(NodePath::Directory(uri)) => uri.endpoint(storage)?.fetch_dir(&node.dir).await,
                Some(NodePath::File(uri)) => {
                    let name = uri.file_name().unwrap_or_else(|| "data".to_owned());
                    uri.endpoint(storage)?
                        .fetch_file(&node.dir.join(name))
                        .await
                }
            };
            result.map_err(|source| node.error("in", source))?;
        }
        Ok(())
    }

    /// Copies the outputs out (after a successful command).
    pub(crate) async fn stage_out(&self, storage: Option<&dyn Storage>) -> Result<(), ShellError> {
        for node in &self.outputs {
            let result = match &node.path {
                None => Ok(()),
                Some(NodePath::Directory(uri)) => {
                    uri.endpoint(storage)?.upload_dir(&node.dir).await
                }
                Some(NodePath::File(uri)) => {
                    let file = node
                        .output_file(uri)
                        .await
                        .map_err(|source| node.error("out", source))?;
                    uri.endpoint(storage)?.upload_file(&file).await
                }
            };
            result.map_err(|source| node.error("out", source))?;
        }
        Ok(())
    }
}

impl StagedNode {
    fn plan(
        ctx: &TaskContext,
        workdir: &WorkingDir,
        storage: Option<&dyn Storage>,
        kind: &str,
        number: usize,
        id: &str,
    ) -> Result<Self, ShellError> {
        let label = format!("{kind} #{number} ({id})");
        let object = ctx.object(id);
        let directory = object.and_then(|object| object.field("directoryPath"));
        let file = object.and_then(|object| object.field("filePath"));
        let path = match (directory, file) {
            (Some(dir), _) => Some(NodePath::Directory(FieldUri::parse(
                format!("{label} directoryPath"),
                dir,
            )?)),
            (None, Some(file)) => Some(NodePath::File(FieldUri::parse(
                format!("{label} filePath"),
                file,
            )?)),
            (None, None) => {
                if object.is_none() {
                    tracing::warn!(node = %label, "the task does not carry this data node: staging an empty directory");
                } else {
                    tracing::warn!(node = %label, "the data node has no directoryPath or filePath: staging an empty directory");
                }
                None
            }
        };
        if let Some(NodePath::Directory(uri) | NodePath::File(uri)) = &path {
            uri.endpoint(storage)?;
        }
        Ok(Self {
            variable: format!("{}{number}_STAGING_DIR", kind.to_ascii_uppercase()),
            label,
            dir: workdir.staging(kind, number),
            path,
        })
    }

    /// The file an output with a `filePath` delivers: the one named like the
    /// target, else the only regular file in its directory.
    async fn output_file(&self, uri: &FieldUri) -> Result<PathBuf, StorageError> {
        if let Some(name) = uri.file_name() {
            let named = self.dir.join(name);
            if tokio::fs::symlink_metadata(&named)
                .await
                .is_ok_and(|meta| meta.is_file())
            {
                return Ok(named);
            }
        }
        let dir_name = self.dir.display().to_string();
        let mut entries = tokio::fs::read_dir(&self.dir)
            .await
            .map_err(|error| StorageError::io(&dir_name, error))?;
        let mut files = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|error| StorageError::io(&dir_name, error))?
        {
            if entry.file_type().await.is_ok_and(|kind| kind.is_file()) {
                files.push(entry.path());
            }
        }
        match <[PathBuf; 1]>::try_from(files) {
            Ok([file]) => Ok(file),
            Err(files) => Err(StorageError::io(
                dir_name,
                std::io::Error::other(format!(
                    "holds {} files; a filePath output needs exactly one, or one named like the target",
                    files.len()
                )),
            )),
        }
    }

    fn error(&self, direction: &str, source: StorageError) -> ShellError {
        ShellError::Staging {
            what: format!("{} {direction}", self.label),
            source,
        }
    }
}
