//! Every file under a package's `tests/` is compiled. The packages list
//! their test targets (`autotests = false`, a few `[[test]]`s that gather
//! modules), so cargo no longer picks up a new file by itself: one that no
//! target names or declares would silently never run. This check finds it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace root and every package under `crates/`.
fn packages() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut packages = vec![root.clone()];
    let crates = std::fs::read_dir(root.join("crates")).expect("crates/ is readable");
    for entry in crates {
        let path = entry.expect("a crates/ entry").path();
        if path.join("Cargo.toml").is_file() {
            packages.push(path);
        }
    }
    packages.sort();
    packages
}

/// The `tests/*.rs` paths a manifest names as test targets.
fn target_paths(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("path = \"tests/"))
        .filter_map(|rest| rest.strip_suffix('"'))
        .map(|file| format!("tests/{file}"))
        .collect()
}

/// The modules a target file declares (`mod name;`).
fn declared_modules(target: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(target)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", target.display()));
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// The files of `package`'s `tests/` that no target compiles.
fn orphans(package: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(package.join("Cargo.toml")).expect("a Cargo.toml");
    let tests = package.join("tests");
    if !manifest.contains("autotests = false") || !tests.is_dir() {
        return Vec::new();
    }
    let targets = target_paths(&manifest);
    let modules: BTreeSet<String> = targets
        .iter()
        .flat_map(|target| declared_modules(&package.join(target)))
        .collect();
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("tests/ is readable") {
        let path = entry.expect("a tests/ entry").path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        let relative = format!("tests/{stem}.rs");
        if !targets.contains(&relative) && !modules.contains(stem) {
            orphans.push(path);
        }
    }
    orphans
}

#[test]
fn every_test_file_belongs_to_a_test_target() {
    let orphans: Vec<PathBuf> = packages().iter().flat_map(|p| orphans(p)).collect();
    assert!(
        orphans.is_empty(),
        "these test files are compiled by no test target; declare each as `mod NAME;` in its \
         package's tests/tests.rs (or name it in a [[test]] of its Cargo.toml): {orphans:#?}"
    );
}

#[test]
fn the_check_sees_a_manifests_targets_and_a_targets_modules() {
    let manifest = "[[test]]\nname = \"integration\"\npath = \"tests/tests.rs\"\n";
    assert_eq!(
        target_paths(manifest),
        BTreeSet::from(["tests/tests.rs".to_owned()])
    );
    let modules = declared_modules(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/tests.rs"
    )));
    assert!(modules.contains("test_targets"), "{modules:?}");
}
