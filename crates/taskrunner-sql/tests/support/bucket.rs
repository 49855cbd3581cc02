//! A directory standing in for an S3 bucket named `bucket`, and copies
//! run against it.

use std::sync::Arc;

use taskrunner_sql::{CopyJob, Object, Objects, RdsEndpoints, Store};

use super::store::DirStorage;

/// A directory standing in for S3, and the store over it.
#[derive(Debug)]
pub(crate) struct Bucket {
    dir: tempfile::TempDir,
    store: Store,
}

impl Bucket {
    /// An empty bucket.
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = DirStorage {
            root: dir.path().to_owned(),
        };
        Self {
            store: Store::new(Some(Arc::new(storage))),
            dir,
        }
    }

    /// Writes the object `s3://bucket/<key>`.
    pub(crate) fn put(&self, key: &str, data: &[u8]) {
        let path = self.dir.path().join("bucket").join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, data).expect("write");
    }

    /// The object `s3://bucket/<key>`; panics when it is not there.
    pub(crate) fn get(&self, key: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join("bucket").join(key)).expect("the uploaded object")
    }

    /// Whether the object `s3://bucket/<key>` is there.
    pub(crate) fn exists(&self, key: &str) -> bool {
        self.dir.path().join("bucket").join(key).exists()
    }

    /// Runs a `CopyActivity` from `In` to `Out` over `objects` (the
    /// nodes, formats and databases).
    pub(crate) async fn copy(
        &self,
        objects: Vec<Object>,
    ) -> Result<u64, taskrunner_sql::CopyError> {
        let attempt = Object::new("@Copy_1")
            .with("type", "CopyActivity")
            .with("input", "In")
            .with("output", "Out");
        let objects = Objects::new(attempt, objects);
        let scratch = tempfile::tempdir().expect("tempdir");
        CopyJob::from_objects(&objects, &RdsEndpoints::new())?
            .run(&self.store, scratch.path())
            .await
    }
}
