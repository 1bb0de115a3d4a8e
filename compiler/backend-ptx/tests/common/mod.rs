//! Shared helpers of the PTX backend's tests: locating data and `ptxas`
//! (skipping with a printed reason, or failing when `CI` is set), and a
//! catalogue of single-kernel programs covering every kernel variant and
//! every element-wise op.

#![allow(dead_code)]

pub mod kernels;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/models` beside the checkout (override with `VITC_MODELS_DIR`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("VITC_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/models"))
}

/// Whether this run is CI (`CI` set to anything but empty, `0` or `false`).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `ptxas`, or `None` after printing why the test skips (panics on CI).
pub fn ptxas() -> Option<PathBuf> {
    match vitc_backend_ptx::ptxas::find(&repo_root()) {
        Ok(p) => Some(p),
        Err(why) if on_ci() => panic!("{why} (CI is set, so this is a failure, not a skip)"),
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

/// Whether `path` exists; otherwise prints a skip reason (panics on CI).
pub fn require(path: &Path, what: &str) -> bool {
    if path.exists() {
        return true;
    }
    if on_ci() {
        panic!("{what} is missing at {} (CI is set, so this is a failure, not a skip)", path.display());
    }
    eprintln!("SKIPPED: {what} is missing at {}", path.display());
    false
}

/// Assembles `ptx` for each of `archs` (e.g. `sm_80`); returns the `-v`
/// report of the last.
pub fn assemble(ptxas: &Path, name: &str, ptx: &str, archs: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("vitc-ptx-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.ptx"));
    std::fs::write(&file, ptx).unwrap();
    let mut report = String::new();
    for (i, arch) in archs.iter().enumerate() {
        match vitc_backend_ptx::ptxas::assemble(ptxas, &file, arch, i + 1 == archs.len()) {
            Ok(text) => report = text,
            Err(text) => panic!("ptxas -arch={arch} rejected {}:\n{text}", file.display()),
        }
    }
    let _ = std::fs::remove_file(&file);
    report
}
