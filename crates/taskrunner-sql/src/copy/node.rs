//! [`DataNode`]: a copy's input or output, read from its pipeline object.

use crate::create_table::CreateTable;
use crate::database::{DatabaseConfig, RdsEndpoints};
use crate::error::FieldError;
use crate::exists::qualified_table;
use crate::format::DataFormat;
use crate::object::{Object, Objects};

use super::error::CopyError;

/// A copy's input or output.
#[derive(Debug, Clone)]
pub enum DataNode {
    /// An `S3DataNode` (or local files: `file://` URIs and paths work too).
    S3(S3Node),
    /// A `SqlDataNode` or `MySqlDataNode`.
    Sql(SqlNode),
}

/// An `S3DataNode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Node {
    /// `filePath`, `directoryPath` or (input only) `manifestFilePath`.
    pub location: S3Location,
    /// `compression` is `gzip`.
    pub gzip: bool,
    /// Its `dataFormat` (CSV when none is given).
    pub format: DataFormat,
    /// Whether a `dataFormat` was given.
    pub format_given: bool,
}

/// Where an S3 node's data is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Location {
    /// One object.
    File(String),
    /// Every object under a prefix (input), or `part-00000` in it (output).
    Directory(String),
    /// The objects a manifest in Amazon Redshift's format lists (input
    /// only), in its order: see [`crate::copy`].
    Manifest(String),
}

/// A SQL data node.
#[derive(Debug, Clone)]
pub struct SqlNode {
    /// Its database.
    pub database: DatabaseConfig,
    /// `table`, as `schemaName.table` when the node has a `schemaName`.
    pub table: String,
    /// `selectQuery` (input), without a trailing `;`.
    pub select_query: Option<String>,
    /// `insertQuery` (output): one statement with a `?` per field.
    pub insert_query: Option<String>,
    /// `createTableSql` (output; an input's is not read).
    pub create_table: Option<CreateTable>,
}

impl DataNode {
    /// The node the attempt's field `key` (`input` or `output`) refers to.
    ///
    /// # Errors
    ///
    /// A [`CopyError`] for a missing or unusable field, or an unsupported type.
    pub fn from_objects(
        objects: &Objects,
        key: &str,
        rds: &RdsEndpoints,
    ) -> Result<Self, CopyError> {
        let node = objects.referenced(objects.attempt(), key)?;
        match node.object_type() {
            "S3DataNode" => Ok(Self::S3(s3_node(node, objects, key == "output")?)),
            "SqlDataNode" | "MySqlDataNode" => Ok(Self::Sql(SqlNode {
                database: DatabaseConfig::for_node(node, objects, rds)?,
                table: qualified_table(node)?,
                select_query: node
                    .field("selectQuery")
                    .map(|query| query.trim().trim_end_matches(';').to_owned()),
                insert_query: node
                    .field("insertQuery")
                    .map(|query| query.trim().trim_end_matches(';').to_owned()),
                create_table: match key {
                    "output" => CreateTable::from_node(node)?,
                    _ => None,
                },
            })),
            other => Err(CopyError::NotSupported(format!(
                "`{}` is a {other}; this runner's CopyActivity copies between S3DataNode, SqlDataNode and MySqlDataNode",
                node.id
            ))),
        }
    }
}

fn s3_node(node: &Object, objects: &Objects, is_output: bool) -> Result<S3Node, CopyError> {
    let manifest = node.field("manifestFilePath");
    let location = match (
        node.field("filePath"),
        node.field("directoryPath"),
        manifest,
    ) {
        (Some(_), Some(_), _) => {
            return Err(FieldError::invalid(
                &node.id,
                "filePath",
                "set filePath or directoryPath, not both",
            )
            .into())
        }
        (Some(file), None, _) => S3Location::File(file.to_owned()),
        (None, Some(directory), _) => S3Location::Directory(directory.to_owned()),
        (None, None, Some(_)) if is_output => return Err(FieldError::invalid(
            &node.id,
            "manifestFilePath",
            "a manifest lists input files; give an output S3DataNode a filePath or directoryPath",
        )
        .into()),
        (None, None, Some(manifest)) => S3Location::Manifest(manifest.to_owned()),
        (None, None, None) => {
            return Err(FieldError::invalid(
                &node.id,
                "filePath",
                "set one of filePath, directoryPath and (input only) manifestFilePath",
            )
            .into())
        }
    };
    if manifest.is_some() && !matches!(location, S3Location::Manifest(_)) {
        // AWS reads manifestFilePath only in RedshiftCopyActivity
        // (dp-object-s3datanode.md) and accepts it next to a path, so a
        // node shared with one keeps working here: the path wins.
        tracing::warn!(
            node = %node.id,
            "manifestFilePath is ignored: the node also has filePath or directoryPath"
        );
    }
    let gzip = match node.field("compression") {
        None | Some("none") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(FieldError::invalid(
                &node.id,
                "compression",
                format!("`{other}` is not none or gzip"),
            )
            .into())
        }
    };
    let format = objects.optional_reference(node, "dataFormat")?;
    Ok(S3Node {
        location,
        gzip,
        format: format
            .map(DataFormat::from_object)
            .transpose()?
            .unwrap_or_default(),
        format_given: format.is_some(),
    })
}
