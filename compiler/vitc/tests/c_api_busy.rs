//! One context used from two threads at once: the C API refuses the
//! overlapping calls with `VITC_ERR_BUSY` and a message, and every call it
//! does run gives exactly the single-threaded result (`tests/c/busy.c`).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use std::process::Command;
use vitc_testkit::{model_file, repo_root, require_tool};

#[test]
fn a_context_shared_by_two_threads_is_refused_not_corrupted() {
    let model = model_file("levit_128s.onnx");
    require_tool("cc");
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("m.so");
    compile_native(&model, &lib, &["--name", "m"]);
    let exe = dir.path().join("busy");
    run_ok(
        Command::new("cc")
            .arg("-O1")
            .arg("-I")
            .arg(dir.path())
            .arg(repo_root().join("compiler/vitc/tests/c/busy.c"))
            .arg("-o")
            .arg(&exe)
            .arg(&lib)
            .arg(format!("-Wl,-rpath,{}", dir.path().display()))
            .arg("-lpthread"),
    );
    let out = run_ok(&mut Command::new(&exe));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ok "), "{text}");
}
