//! Helpers shared by the link tests: building stub libraries, compiling and
//! running the C test program.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vitc_link::{LinkOptions, Target, link, stub};

/// A library built from the stub program in its own temporary directory.
pub struct Built {
    pub dir: tempfile::TempDir,
    pub lib: PathBuf,
}

/// Links the stub model with API prefix `prefix` into `dir/file`.
pub fn build_in(dir: &Path, file: &str, prefix: &str, dynamic: bool, target: Target) -> PathBuf {
    let program = stub::program(&format!("stub model {prefix}"), dynamic, 8);
    let object = stub::object(prefix, target).unwrap();
    let out = dir.join(file);
    let linked =
        link(&program, std::slice::from_ref(&object), &LinkOptions { prefix: prefix.into(), target }, &out).unwrap();
    assert_eq!(linked.output, out);
    assert!(linked.header.exists());
    assert_eq!(linked.bytes, std::fs::metadata(&out).unwrap().len());
    out
}

pub fn build(file: &str, prefix: &str, dynamic: bool, target: Target) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let lib = build_in(dir.path(), file, prefix, dynamic, target);
    Built { dir, lib }
}

pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `runtime/c/tests/api_test.c`.
pub fn api_test_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime/c/tests/api_test.c")
}

/// Compiles the C API test program against `lib` (a .so, .a or .o with its
/// header beside it) with `cc`; `link_args` follow the sources.
pub fn build_api_test(cc: &str, lib: &Path, prefix: &str, link_args: &[&str]) -> PathBuf {
    let exe = lib.with_file_name(format!("api_test_{}", lib.extension().unwrap().to_string_lossy()));
    let header = lib.with_extension("h");
    run_ok(
        Command::new(cc)
            .args(["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-include"])
            .arg(&header)
            .arg(format!("-DMODEL={prefix}"))
            .arg(api_test_source())
            .arg("-o")
            .arg(&exe)
            .args(link_args),
    );
    exe
}

/// Parses the lines (one float each) the API test program prints.
pub fn parse_floats(stdout: &[u8]) -> Vec<f32> {
    String::from_utf8_lossy(stdout).lines().map(|l| l.trim().parse().unwrap()).collect()
}

/// Writes `data` as raw little-endian float32.
pub fn write_raw(path: &Path, data: &[f32]) {
    std::fs::write(path, data.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
}
