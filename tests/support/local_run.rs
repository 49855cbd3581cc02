//! A directory for one `taskrunner local` run, with the embedded S3 store
//! where the binary will look for it.

use std::path::{Path, PathBuf};

/// A temp directory the binary gets as its `TMPDIR`, the definition written
/// into it, and the embedded S3 store's default root for that definition
/// (`$TMPDIR/taskrunner-local/<file stem>/s3`; see docs/LOCAL.md).
pub struct LocalRun {
    /// The directory; removed on drop.
    pub temp: tempfile::TempDir,
    /// The definition file, `<temp>/<file name>`.
    pub definition: PathBuf,
    /// Where the embedded store keeps bucket `b`'s key `k`: `<s3_root>/b/k`.
    pub s3_root: PathBuf,
}

impl LocalRun {
    /// A fresh directory holding `definition` as `file_name` (say
    /// `sql.json`: the store root is then `taskrunner-local/sql/s3`).
    pub fn new(file_name: &str, definition: &str) -> Self {
        let temp = tempfile::tempdir().expect("a temp dir");
        let path = temp.path().join(file_name);
        std::fs::write(&path, definition).expect("the definition");
        let stem = Path::new(file_name)
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let s3_root = temp.path().join("taskrunner-local").join(stem).join("s3");
        Self {
            temp,
            definition: path,
            s3_root,
        }
    }

    /// Stores `contents` as `bucket/key` (`"data/in.csv"`) before the run.
    pub fn put(&self, bucket_and_key: &str, contents: &str) {
        write_file(&self.s3_root.join(bucket_and_key), contents);
    }

    /// The object `bucket/key` after the run, if there is one.
    pub fn object(&self, bucket_and_key: &str) -> Option<String> {
        std::fs::read_to_string(self.s3_root.join(bucket_and_key)).ok()
    }

    /// The `TMPDIR` setting for the binary.
    pub fn tmpdir_env(&self) -> (&'static str, String) {
        ("TMPDIR", self.temp.path().display().to_string())
    }

    /// `local <definition> --timeout <timeout>`, the usual arguments.
    pub fn arguments(&self, timeout: &str) -> Vec<String> {
        vec![
            "local".to_owned(),
            self.definition.display().to_string(),
            "--timeout".to_owned(),
            timeout.to_owned(),
        ]
    }
}

/// Writes `contents` to `path`, creating its directories.
pub fn write_file(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("the directories");
    std::fs::write(path, contents).expect("the file");
}
