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

#[cfg(test)]
mod tests {
    use super::*;

    fn job_node(key: &str, node: Object) -> Result<DataNode, CopyError> {
        let attempt = Object::new("@Copy_1").with(key, node.id.clone());
        let database = Object::new("Db")
            .with("type", "JdbcDatabase")
            .with("connectionString", "jdbc:postgresql://127.0.0.1:5432/app")
            .with("username", "loader")
            .with("*password", "secret");
        let objects = Objects::new(attempt, [node, database]);
        DataNode::from_objects(&objects, key, &RdsEndpoints::new())
    }

    fn sql(key: &str, node: Object) -> SqlNode {
        match job_node(key, node) {
            Ok(DataNode::Sql(node)) => node,
            other => panic!("expected a SQL node, got {other:?}"),
        }
    }

    #[test]
    fn schema_name_qualifies_the_table_and_create_table_sql_is_read_on_outputs_only() {
        let node = Object::new("N")
            .with("type", "MySqlDataNode")
            .with("table", "events")
            .with("schemaName", "sales")
            .with("database", "Db")
            .with("createTableSql", "CREATE TABLE sales.events (x INT)");
        let output = sql("output", node.clone());
        assert_eq!(output.table, "sales.events");
        let create = output.create_table.expect("an output reads createTableSql");
        assert_eq!(create.table, "sales.events");
        assert_eq!(create.statement, "CREATE TABLE sales.events (x INT)");
        assert_eq!(sql("input", node).create_table, None);
    }

    #[test]
    fn s3_locations() {
        let s3 = |key: &str, node: Object| match job_node(key, node.with("type", "S3DataNode")) {
            Ok(DataNode::S3(node)) => Ok(node.location),
            Ok(other) => panic!("expected an S3 node, got {other:?}"),
            Err(error) => Err(error.to_string()),
        };
        let manifest = Object::new("N").with("manifestFilePath", "s3://b/m.json");
        assert_eq!(
            s3("input", manifest.clone()),
            Ok(S3Location::Manifest("s3://b/m.json".to_owned()))
        );
        assert_eq!(
            s3("input", manifest.clone().with("filePath", "s3://b/f.csv")),
            Ok(S3Location::File("s3://b/f.csv".to_owned()))
        );
        assert_eq!(
            s3(
                "output",
                manifest.clone().with("directoryPath", "s3://b/out")
            ),
            Ok(S3Location::Directory("s3://b/out".to_owned()))
        );
        let refused = s3("output", manifest).expect_err("no manifest output");
        assert!(refused.contains("`manifestFilePath`"), "{refused}");
        let both = Object::new("N")
            .with("filePath", "s3://b/f")
            .with("directoryPath", "s3://b/d");
        assert!(s3("input", both).is_err());
        assert!(s3("input", Object::new("N")).is_err());
    }
}
