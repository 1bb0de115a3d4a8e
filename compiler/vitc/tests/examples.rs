//! The examples in `examples/c`, `examples/python` and `examples/rust` build
//! and classify correctly, each against a stub library built under the name
//! the example expects (`levit`), so they are tested without a backend.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use vitc_link::stub;
use vitc_testkit::{assert_within, repo_root, require_tool};

/// Checks the "image I top-5: c (v) ..." lines against the stub's reference.
fn assert_top5_lines(stdout: &str, input: &[f32], line_start: impl Fn(usize) -> String) {
    let expected = stub_reference(input);
    for (i, row) in expected.chunks(stub::OUTPUT_LEN).enumerate() {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&line_start(i)))
            .unwrap_or_else(|| panic!("no top-5 line for image {i}: {stdout}"));
        let classes: Vec<usize> = line
            .split(':')
            .nth(1)
            .unwrap()
            .split(',')
            .flat_map(|s| s.split(')'))
            .filter_map(|s| s.split('(').next()?.trim().parse().ok())
            .collect();
        assert_eq!(classes, top5(row), "{line}");
    }
}

fn input_npy(dir: &Path, images: usize) -> (std::path::PathBuf, Vec<f32>) {
    let input = stub::input(images);
    let path = dir.join("input.npy");
    write_npy(&path, &[images, 64, 64], input.clone());
    (path, input)
}

#[test]
fn c_example_builds_and_classifies() {
    require_tool("make");
    let dir = tempfile::tempdir().unwrap();
    let lib = stub_library(dir.path(), "levit.so", "levit", true);
    let (input, data) = input_npy(dir.path(), 3);
    // `-o levit.so`: use the library as it is instead of compiling the ONNX model.
    let out = run_ok(
        Command::new("make")
            .arg("-C")
            .arg(repo_root().join("examples/c"))
            .arg(format!("OUT={}", dir.path().display()))
            .arg("-o")
            .arg(&lib)
            .arg(format!("INPUT={}", input.display()))
            .args(["THREADS=2", "run"]),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("model stub, 3 image(s), 2 thread(s)"), "{stdout}");
    assert_top5_lines(&stdout, &data, |i| format!("image {i} top-5:"));
}

/// The set-up script's venv Python (it has numpy), else `python3`.
fn python() -> std::path::PathBuf {
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() { venv } else { "python3".into() }
}

#[test]
fn python_example_classifies() {
    let numpy = Command::new(python()).args(["-c", "import numpy"]).output();
    assert!(
        numpy.is_ok_and(|o| o.status.success()),
        "{} with numpy is needed: `bash .ci/setup` creates .venv with numpy",
        python().display()
    );
    let dir = tempfile::tempdir().unwrap();
    let lib = stub_library(dir.path(), "model.so", "whatever_prefix", true);
    let (input, data) = input_npy(dir.path(), 10);
    let y = dir.path().join("y.npy");
    let out = run_ok(
        Command::new(python())
            .arg(repo_root().join("examples/python/classify.py"))
            .arg(&lib)
            .arg(&input)
            .args(["--threads", "2", "--output"])
            .arg(&y),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_top5_lines(&stdout, &data, |i| format!("stub[{i}] top-5:"));
    let (dims, ours) = read_npy(&y);
    assert_eq!(dims, [10, 64]);
    assert_within(&ours, &stub_reference(&data), 1e-5, "the Python example's output");

    // A static library rejects a batch of 10 with a message.
    let fixed = stub_library(dir.path(), "fixed.so", "fixed", false);
    let out =
        Command::new(python()).arg(repo_root().join("examples/python/classify.py")).arg(&fixed).arg(&input).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the model takes [1, 64, 64]"));
}

#[test]
fn rust_example_links_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let lib = stub_library(dir.path(), "levit.a", "levit", true);
    let (input, data) = input_npy(dir.path(), 2);
    let out = run_ok(
        Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--release", "--manifest-path"])
            .arg(repo_root().join("examples/rust/Cargo.toml"))
            .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-rust"))
            .env("VITC_MODEL_LIB", &lib)
            .arg("--")
            .arg(&input)
            .arg("2"),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("model stub (max batch 8), 2 thread(s)"), "{stdout}");
    assert_top5_lines(&stdout, &data, |i| format!("image {i} top-5:"));
}
