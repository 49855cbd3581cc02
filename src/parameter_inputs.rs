//! The parameters a `taskrunner local` run submits, gathered from the
//! definition and the flags the way the AWS CLI's `put-pipeline-definition`
//! gathers them (dp-custom-templates.md):
//!
//! - `--parameter-objects FILE` replaces the definition's declarations;
//! - values come from the definition's `values`, then `--parameter-values-uri
//!   FILE`, then `--parameter-values myName=value`: a name a later source
//!   gives replaces every value of that name from the earlier ones, as a
//!   value given at activation replaces the stored one.

use std::path::{Path, PathBuf};

use datapipeline_local::definition::{
    parse_parameter_objects_file, parse_parameter_values, parse_parameter_values_file, Definition,
    DefinitionFileError, ParameterValue,
};

/// The most parameters a definition may declare (dp-custom-templates.md).
const MAX_PARAMETERS: usize = 50;
/// The largest parameter-values file AWS takes (dp-custom-templates.md).
const MAX_VALUES_FILE_BYTES: u64 = 15 * 1024;

/// The parameter flags as typed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParameterFlags<'a> {
    /// `--parameter-values`, `myName=value` each.
    pub(crate) values: &'a [String],
    /// `--parameter-values-uri`.
    pub(crate) values_file: Option<&'a str>,
    /// `--parameter-objects`.
    pub(crate) objects_file: Option<&'a str>,
}

/// A parameter flag or file that cannot be used; the run exits 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParameterInputError {
    /// The file cannot be read: fix the path or its permissions.
    #[error("{flag}: cannot read {}: {error}", path.display())]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is larger than AWS allows: split the values or shorten them.
    #[error("{flag}: {} is {size} bytes; AWS takes at most {MAX_VALUES_FILE_BYTES} (15 KB)", path.display())]
    TooLarge {
        flag: &'static str,
        path: PathBuf,
        size: u64,
    },
    /// The file's content is not in the expected format.
    #[error("{flag}: {}: {error}", path.display())]
    Malformed {
        flag: &'static str,
        path: PathBuf,
        error: Box<DefinitionFileError>,
    },
    /// A `--parameter-values` argument is not `myName=value`.
    #[error("--parameter-values: {0}")]
    Argument(Box<DefinitionFileError>),
    /// More parameters are declared than AWS allows.
    #[error("{count} parameters are declared; AWS takes at most {MAX_PARAMETERS}")]
    TooMany { count: usize },
}

/// Applies the flags to `definition`: its parameter declarations and values
/// become what the AWS CLI would send with PutPipelineDefinition.
///
/// # Errors
/// A file that cannot be read or parsed, a values file over 15 KB, a
/// malformed `myName=value`, or more than 50 declared parameters.
pub(crate) fn apply(
    definition: &mut Definition,
    flags: ParameterFlags<'_>,
) -> Result<(), ParameterInputError> {
    if let Some(uri) = flags.objects_file {
        let flag = "--parameter-objects";
        let path = local_path(uri);
        let text = read(flag, &path, None)?;
        definition.parameter_objects = parse_parameter_objects_file(&text).map_err(|error| {
            ParameterInputError::Malformed {
                flag,
                path,
                error: Box::new(error),
            }
        })?;
    }
    if definition.parameter_objects.len() > MAX_PARAMETERS {
        return Err(ParameterInputError::TooMany {
            count: definition.parameter_objects.len(),
        });
    }
    if let Some(uri) = flags.values_file {
        let flag = "--parameter-values-uri";
        let path = local_path(uri);
        let text = read(flag, &path, Some(MAX_VALUES_FILE_BYTES))?;
        let values =
            parse_parameter_values_file(&text).map_err(|error| ParameterInputError::Malformed {
                flag,
                path,
                error: Box::new(error),
            })?;
        overlay(&mut definition.parameter_values, values);
    }
    let values = parse_parameter_values(flags.values)
        .map_err(|error| ParameterInputError::Argument(Box::new(error)))?;
    overlay(&mut definition.parameter_values, values);
    Ok(())
}

/// The path a `file://PATH` or plain `PATH` argument names.
fn local_path(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

/// Reads a parameter file, refusing one over `limit` bytes before reading it.
fn read(
    flag: &'static str,
    path: &Path,
    limit: Option<u64>,
) -> Result<String, ParameterInputError> {
    let unreadable = |error| ParameterInputError::Unreadable {
        flag,
        path: path.to_owned(),
        error,
    };
    if let Some(limit) = limit {
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > limit {
            return Err(ParameterInputError::TooLarge {
                flag,
                path: path.to_owned(),
                size,
            });
        }
    }
    std::fs::read_to_string(path).map_err(unreadable)
}

/// Replaces every value in `base` whose name `newer` gives with `newer`'s
/// values of that name (an array parameter's values are replaced together).
fn overlay(base: &mut Vec<ParameterValue>, newer: Vec<ParameterValue>) {
    base.retain(|value| !newer.iter().any(|given| given.id == value.id));
    base.extend(newer);
}

#[cfg(test)]
mod tests {
    use super::*;
    use datapipeline_local::definition::parse_definition_file;

    fn definition() -> Definition {
        parse_definition_file(
            r#"{"objects": [{"id": "Default"}],
                "parameters": [{"id": "myA", "type": "String"}],
                "values": {"myA": "from the definition", "myList": ["1", "2"], "myKeep": "kept"}}"#,
        )
        .unwrap()
    }

    fn values_of(definition: &Definition, id: &str) -> Vec<String> {
        definition.values_of(id).map(str::to_owned).collect()
    }

    #[test]
    fn later_sources_replace_the_values_of_the_names_they_give() {
        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("values.json");
        std::fs::write(
            &file,
            r#"{"values": {"myA": "from the file", "myList": ["3"]}}"#,
        )
        .unwrap();
        let uri = format!("file://{}", file.display());
        let mut definition = definition();
        apply(
            &mut definition,
            ParameterFlags {
                values: &["myList=4".to_owned(), "myList=5".to_owned()],
                values_file: Some(&uri),
                objects_file: None,
            },
        )
        .unwrap();
        assert_eq!(values_of(&definition, "myA"), ["from the file"]);
        assert_eq!(values_of(&definition, "myList"), ["4", "5"]);
        assert_eq!(values_of(&definition, "myKeep"), ["kept"]);
    }

    #[test]
    fn a_parameter_objects_file_replaces_the_declarations() {
        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("parameters.json");
        std::fs::write(&file, r#"{"parameters": [{"id": "myB", "default": "b"}]}"#).unwrap();
        let mut definition = definition();
        let path = file.display().to_string();
        apply(
            &mut definition,
            ParameterFlags {
                values: &[],
                values_file: None,
                objects_file: Some(&path),
            },
        )
        .unwrap();
        let ids: Vec<&str> = definition
            .parameter_objects
            .iter()
            .map(|parameter| parameter.id.as_str())
            .collect();
        assert_eq!(ids, ["myB"]);
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_flag_and_the_file() {
        let scratch = tempfile::tempdir().unwrap();
        let large = scratch.path().join("large.json");
        std::fs::write(
            &large,
            format!(r#"{{"values": {{"myA": "{}"}}}}"#, "x".repeat(16_000)),
        )
        .unwrap();
        let broken = scratch.path().join("broken.json");
        std::fs::write(&broken, "{\"values\": [").unwrap();
        let many = scratch.path().join("many.json");
        let parameters: Vec<String> = (0..51)
            .map(|index| format!(r#"{{"id": "myP{index}"}}"#))
            .collect();
        std::fs::write(
            &many,
            format!(r#"{{"parameters": [{}]}}"#, parameters.join(",")),
        )
        .unwrap();
        let missing = scratch.path().join("missing.json");
        let text = |path: &Path| path.display().to_string();
        let (large_text, broken_text, many_text, missing_text) =
            (text(&large), text(&broken), text(&many), text(&missing));
        let expectations = [
            (None, Some(large_text.as_str()), "at most 15360"),
            (None, Some(broken_text.as_str()), "not valid JSON"),
            (Some(many_text.as_str()), None, "51 parameters"),
            (None, Some(missing_text.as_str()), "cannot read"),
        ];
        for (objects_file, values_file, expected) in expectations {
            let error = apply(
                &mut definition(),
                ParameterFlags {
                    values: &[],
                    values_file,
                    objects_file,
                },
            )
            .unwrap_err()
            .to_string();
            assert!(error.contains(expected), "{error}");
            if let Some(file) = values_file {
                assert!(error.contains(file), "{error}");
            }
        }
        let error = apply(
            &mut definition(),
            ParameterFlags {
                values: &["novalue".to_owned()],
                values_file: None,
                objects_file: None,
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("novalue"), "{error}");
    }
}
