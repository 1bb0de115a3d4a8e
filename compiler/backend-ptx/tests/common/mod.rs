//! Shared helpers of the PTX backend's tests: locating `ptxas` (a test
//! that needs it fails when it is missing) and assembling with it. The
//! kernel samples come from `vitc_testkit::kernels`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `ptxas`; panics with how to install it when it is missing (a test that
/// needs it fails, it is never skipped).
#[track_caller]
pub fn ptxas() -> PathBuf {
    vitc_backend_ptx::ptxas::find(&vitc_testkit::repo_root())
        .unwrap_or_else(|why| panic!("{why}; a test whose tools are missing fails, it is never skipped"))
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
