//! `S3Storage` against a real S3 server (s3s-fs on 127.0.0.1).

use crate::support;

use std::error::Error as _;
use std::path::Path;

use support::{S3Server, BUCKET};
use taskrunner_s3::{S3Storage, UriError};
use taskrunner_shell::{Storage, StorageError};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn uri(key: &str) -> String {
    format!("s3://{BUCKET}/{key}")
}

#[tokio::test]
async fn fetch_file_streams_an_object_to_a_file() {
    let server = S3Server::start().await;
    let big: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    server.put("scripts/run.sh", "echo hi\n").await;
    server.put("data/big.bin", big.clone()).await;
    let storage = server.storage();
    let dest = tempfile::tempdir().expect("tempdir");

    let script = dest.path().join("deep/er/run.sh");
    storage
        .fetch_file(&uri("scripts/run.sh"), &script)
        .await
        .expect("fetches");
    assert_eq!(read(&script), "echo hi\n");

    let copy = dest.path().join("big.bin");
    storage
        .fetch_file(&uri("data/big.bin"), &copy)
        .await
        .expect("fetches");
    assert_eq!(std::fs::read(&copy).expect("read"), big);
}

#[tokio::test]
async fn fetch_dir_downloads_nested_keys_below_the_prefix_only() {
    let server = S3Server::start().await;
    server.put("in/a.txt", "alpha").await;
    server.put("in/sub/b.txt", "beta").await;
    server.put("in/sub/deeper/c.txt", "gamma").await;
    server.put("in-other/not-me.txt", "no").await;
    server.put("elsewhere.txt", "no").await;
    let storage = server.storage();

    // With and without the trailing slash.
    for prefix in ["in", "in/"] {
        let dest = tempfile::tempdir().expect("tempdir");
        storage
            .fetch_dir(&uri(prefix), dest.path())
            .await
            .expect("fetches");
        assert_eq!(read(&dest.path().join("a.txt")), "alpha");
        assert_eq!(read(&dest.path().join("sub/b.txt")), "beta");
        assert_eq!(read(&dest.path().join("sub/deeper/c.txt")), "gamma");
        let mut top: Vec<_> = std::fs::read_dir(dest.path())
            .expect("read_dir")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        top.sort();
        assert_eq!(top, ["a.txt", "sub"], "prefix {prefix}");
    }
}

#[tokio::test]
async fn fetch_dir_follows_the_listing_across_pages() {
    let server = S3Server::start().await;
    // More than one ListObjectsV2 page (1,000 keys); written straight to the
    // server's directory, which it serves as objects.
    let count = 1_050;
    for index in 0..count {
        let path = server.disk_path(&format!("many/{}/{index:04}.txt", index % 7));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, index.to_string()).expect("write");
    }
    let dest = tempfile::tempdir().expect("tempdir");
    server
        .storage()
        .fetch_dir(&uri("many"), dest.path())
        .await
        .expect("fetches");
    let mut fetched = 0;
    for group in std::fs::read_dir(dest.path()).expect("read_dir") {
        fetched += std::fs::read_dir(group.expect("entry").path())
            .expect("read_dir")
            .count();
    }
    assert_eq!(fetched, count);
    assert_eq!(read(&dest.path().join("3/1046.txt")), "1046");
}

#[tokio::test]
async fn upload_file_puts_small_and_multipart_objects() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "small\n").expect("write");
    let storage = server.storage();
    storage
        .upload_file(&small, &uri("out/small.txt"))
        .await
        .expect("uploads");
    assert_eq!(
        server.get_text("out/small.txt").await.as_deref(),
        Some("small\n")
    );

    // Replaces what is there.
    std::fs::write(&small, "again\n").expect("write");
    storage
        .upload_file(&small, &uri("out/small.txt"))
        .await
        .expect("uploads");
    assert_eq!(
        server.get_text("out/small.txt").await.as_deref(),
        Some("again\n")
    );

    // In parts: 2.5 parts of 5 MiB (S3's, and s3s-fs's, smallest part).
    let large: Vec<u8> = (0..(25 * 512 * 1024)).map(|i| (i % 241) as u8).collect();
    let large_path = dir.path().join("large.bin");
    std::fs::write(&large_path, &large).expect("write");
    let in_parts =
        S3Storage::new(server.client.clone()).with_multipart(5 * 1024 * 1024, 5 * 1024 * 1024);
    in_parts
        .upload_file(&large_path, &uri("out/large.bin"))
        .await
        .expect("uploads in parts");
    assert_eq!(server.get("out/large.bin").await, Some(large));
}

#[tokio::test]
async fn upload_dir_keeps_relative_paths_and_skips_links() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("a/b")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("empty")).expect("mkdir");
    std::fs::write(dir.path().join("top.txt"), "top").expect("write");
    std::fs::write(dir.path().join("a/b/deep.txt"), "deep").expect("write");
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).expect("symlink");

    server
        .storage()
        .upload_dir(dir.path(), &uri("results/"))
        .await
        .expect("uploads");
    assert_eq!(
        server.keys("").await,
        ["results/a/b/deep.txt", "results/top.txt"]
    );
    assert_eq!(
        server.get_text("results/a/b/deep.txt").await.as_deref(),
        Some("deep")
    );

    // The whole bucket as the prefix.
    server
        .storage()
        .upload_dir(&dir.path().join("a"), &format!("s3://{BUCKET}"))
        .await
        .expect("uploads");
    assert_eq!(server.get_text("b/deep.txt").await.as_deref(), Some("deep"));
}

#[tokio::test]
async fn missing_objects_prefixes_and_buckets_are_not_found() {
    let server = S3Server::start().await;
    server.put("present/x.txt", "x").await;
    let storage = server.storage();
    let dest = tempfile::tempdir().expect("tempdir");
    let not_found = |result: Result<(), StorageError>, what: &str| match result {
        Err(StorageError::NotFound { uri }) => assert!(uri.starts_with("s3://"), "{what}: {uri}"),
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    not_found(
        storage
            .fetch_file(&uri("absent.txt"), &dest.path().join("f"))
            .await,
        "missing key",
    );
    not_found(
        storage
            .fetch_file("s3://no-such-bucket/x", &dest.path().join("f"))
            .await,
        "missing bucket",
    );
    not_found(
        storage.fetch_dir(&uri("absent"), dest.path()).await,
        "empty prefix",
    );
    // `present` exists, `pres` is not a directory of it.
    not_found(
        storage.fetch_dir(&uri("pres"), dest.path()).await,
        "partial name",
    );
    let missing_source = dest.path().join("nothing-here");
    not_found_local(storage.upload_file(&missing_source, &uri("k")).await);
    not_found_local(storage.upload_dir(&missing_source, &uri("k/")).await);
}

fn not_found_local(result: Result<(), StorageError>) {
    assert!(
        matches!(result, Err(StorageError::NotFound { ref uri }) if uri.contains("nothing-here")),
        "{result:?}"
    );
}

#[tokio::test]
async fn other_service_errors_name_the_uri_and_the_operation() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("f.txt");
    std::fs::write(&file, "x").expect("write");
    // Wrong credentials: the service refuses the request.
    let intruder = S3Storage::new(support::client_with_secret(
        &server.endpoint,
        "wrong-secret",
    ));
    let error = intruder
        .upload_file(&file, &uri("k"))
        .await
        .expect_err("bad signature");
    assert!(matches!(error, StorageError::Backend { .. }), "{error:?}");
    assert_eq!(error.to_string(), format!("storage error on {}", uri("k")));
    let cause = error.source().map(ToString::to_string).unwrap_or_default();
    assert!(
        cause.starts_with("PutObject failed: SignatureDoesNotMatch (HTTP 403)"),
        "{cause}"
    );

    // Nothing listens here any more: a transport error, still named.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let unreachable = S3Storage::new(support::client(&closed));
    let error = unreachable
        .fetch_file(&uri("k"), &dir.path().join("g"))
        .await
        .expect_err("unreachable");
    assert!(matches!(error, StorageError::Backend { .. }), "{error:?}");
    let cause = error.source().map(ToString::to_string).unwrap_or_default();
    assert!(cause.starts_with("GetObject failed: "), "{cause}");
}

#[tokio::test]
async fn bad_uris_are_refused_with_the_reason() {
    let server = S3Server::start().await;
    let storage = server.storage();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("f.txt");
    std::fs::write(&file, "x").expect("write");
    let reason = |result: Result<(), StorageError>| -> UriError {
        let error = result.expect_err("a bad uri");
        assert!(matches!(error, StorageError::Backend { .. }), "{error:?}");
        error
            .source()
            .and_then(|source| source.downcast_ref::<UriError>())
            .cloned()
            .unwrap_or_else(|| panic!("a UriError under {error:?}"))
    };
    assert!(matches!(
        reason(storage.fetch_file("s3:///key", &dir.path().join("g")).await),
        UriError::NoBucket { .. }
    ));
    assert!(matches!(
        reason(storage.fetch_dir("http://bucket/key", dir.path()).await),
        UriError::NotS3 { .. }
    ));
    assert!(matches!(
        reason(storage.upload_file(&file, &uri("dir/")).await),
        UriError::NotAnObject { .. }
    ));
    assert!(matches!(
        reason(storage.upload_dir(dir.path(), "s3://bad bucket/x").await),
        UriError::BadBucket { .. }
    ));
    let error = reason(
        storage
            .fetch_file(&format!("s3://{BUCKET}"), &dir.path().join("g"))
            .await,
    );
    assert_eq!(
        error.to_string(),
        format!("\"s3://{BUCKET}\" names a prefix, not an object (expected s3://bucket/key with a key not ending in '/')")
    );
}

#[tokio::test]
async fn existence_is_asked_without_downloading() {
    let server = S3Server::start().await;
    server.put("in/2026-01-01.csv", "a,b\n").await;
    server.put("dir/part-0", "x").await;
    let storage = server.storage();
    assert!(storage
        .object_exists(&uri("in/2026-01-01.csv"))
        .await
        .expect("asks"));
    assert!(!storage
        .object_exists(&uri("in/2026-01-02.csv"))
        .await
        .expect("asks"));
    assert!(!storage
        .object_exists("s3://no-such-bucket/in/x.csv")
        .await
        .expect("a missing bucket is an answer"));
    for prefix in ["dir", "dir/"] {
        assert!(storage
            .prefix_has_objects(&uri(prefix))
            .await
            .expect("asks"));
    }
    // `dir` is no prefix of `di/…`, and `di` has nothing under `di/`.
    assert!(!storage.prefix_has_objects(&uri("di")).await.expect("asks"));
    assert!(!storage
        .prefix_has_objects("s3://no-such-bucket/dir")
        .await
        .expect("a missing bucket is an answer"));
    assert!(storage.object_exists("https://x/y").await.is_err());
}
