//! Scratch directory naming: a per-task directory under a configured root
//! whose name nothing in the task can steer out of that root.

use std::path::{Path, PathBuf};

use taskrunner_api::TaskId;

/// The most characters of the pipeline id kept in a directory name (real
/// ids are 22; anything longer is not from the service).
const MAX_PIPELINE_CHARS: usize = 64;

/// The scratch directory of a task: `<root>/<pipeline>-<task digest>`.
///
/// `<pipeline>` is the pipeline id with every character outside
/// `[A-Za-z0-9._-]` (and a leading `.`) replaced by `_`, cut to 64
/// characters, or `pipeline` when empty; `<task digest>` is
/// [`TaskId::digest`]. The raw task id never appears, and the name contains
/// no separator and is never `.` or `..`, so the path always stays a direct
/// child of `root`.
pub(crate) fn scratch_dir(root: &Path, pipeline_id: &str, task_id: &TaskId) -> PathBuf {
    root.join(format!("{}-{}", sanitize(pipeline_id), task_id.digest()))
}

fn sanitize(pipeline_id: &str) -> String {
    let name: String = pipeline_id
        .chars()
        .take(MAX_PIPELINE_CHARS)
        .enumerate()
        .map(|(index, c)| match c {
            '.' if index == 0 => '_',
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    if name.is_empty() {
        "pipeline".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use std::path::Component;

    use super::*;

    fn assert_direct_child(root: &Path, path: &Path) {
        assert_eq!(path.parent(), Some(root), "{path:?}");
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a UTF-8 file name");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "{name}"
        );
        assert!(!name.starts_with('.'), "{name}");
        assert!(name.len() <= MAX_PIPELINE_CHARS + 1 + 12, "{name}");
        assert!(path
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir)));
    }

    #[test]
    fn ordinary_names() {
        let root = Path::new("/var/scratch");
        let path = scratch_dir(root, "df-0123456789ABCDEFGHIJ", &TaskId::new("abc"));
        assert_eq!(path, root.join("df-0123456789ABCDEFGHIJ-ba7816bf8f01"));
    }

    #[test]
    fn hostile_ids_never_escape_the_root() {
        let root = Path::new("/var/scratch");
        let long = "A/".repeat(1024);
        let hostile = [
            "../../etc",
            "..",
            ".",
            "",
            "/etc/passwd",
            "C:\\Windows",
            "\u{0}nul",
            "ünïcødé/😀",
            long.as_str(),
        ];
        for pipeline_id in hostile {
            for task_id in hostile {
                let path = scratch_dir(root, pipeline_id, &TaskId::new(task_id));
                assert_direct_child(root, &path);
                assert!(!path.to_string_lossy().contains("etc/"), "{path:?}");
            }
        }
    }

    #[test]
    fn the_task_id_never_appears() {
        let secret = "TOKEN".repeat(400);
        let path = scratch_dir(Path::new("/s"), "df-1", &TaskId::new(secret));
        assert!(!path.to_string_lossy().contains("TOKEN"));
    }
}
