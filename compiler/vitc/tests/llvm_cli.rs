//! `vitc compile --backend llvm`: with the cargo feature `llvm`, the tiny
//! ViT example compiles to a library that matches the interpreter, and
//! `--emit llvm-ir` / `--emit asm` list the kernels; without it, asking for
//! LLVM fails with the message that says how to enable it. `--target-cpu`
//! without the LLVM backend is refused either way.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use vitc_testkit::repo_root;

fn tiny() -> (std::path::PathBuf, std::path::PathBuf) {
    (repo_root().join("examples/tiny_vit/tiny_vit.onnx"), repo_root().join("examples/tiny_vit/input.npy"))
}

#[test]
fn target_cpu_needs_the_llvm_backend() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = tiny();
    assert_fails(
        vitc().arg("compile").arg(&model).arg("-o").arg(dir.path().join("t.so")).args([
            "--backend",
            "cranelift",
            "--target-cpu",
            "znver3",
        ]),
        &["--target-cpu", "--backend llvm"],
    );
}

#[cfg(not(feature = "llvm"))]
#[test]
fn without_the_feature_llvm_says_how_to_enable_it() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = tiny();
    assert_fails(
        vitc().arg("compile").arg(&model).arg("-o").arg(dir.path().join("t.so")).args(["--backend", "llvm"]),
        &["built without LLVM", "cargo build --release", "feature `llvm`", "llvm-19-dev"],
    );
}

#[cfg(feature = "llvm")]
#[test]
fn tiny_vit_with_llvm_matches_the_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let (model, input) = tiny();
    let lib = dir.path().join("tiny.so");
    let out = run_ok(vitc().arg("compile").arg(&model).arg("-o").arg(&lib).args(["--backend", "llvm"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("with LLVM"));
    let (ours, interp) = (dir.path().join("ours.npy"), dir.path().join("interp.npy"));
    run_ok(vitc().arg("run").arg(&lib).arg("-i").arg(&input).arg("-o").arg(&ours).args(["--threads", "2"]));
    run_ok(vitc().arg("run").arg(&model).arg("-i").arg(&input).arg("-o").arg(&interp));
    let (a, b) = (read_npy(&ours), read_npy(&interp));
    assert_eq!(a.0, b.0);
    vitc_testkit::assert_within(&a.1, &b.1, 1e-4, "LLVM-compiled tiny_vit vs the interpreter");
    // A portable build for AVX2 + FMA machines.
    let v3 = dir.path().join("tiny_v3.so");
    run_ok(vitc().arg("compile").arg(&model).arg("-o").arg(&v3).args([
        "--backend",
        "llvm",
        "--target-cpu",
        "x86-64-v3",
    ]));
    let ir = run_ok(vitc().arg("compile").arg(&model).args(["--emit", "llvm-ir"]));
    assert!(String::from_utf8_lossy(&ir.stdout).contains("define void @tiny_vit_k0("));
    let asm = run_ok(vitc().arg("compile").arg(&model).args(["--emit", "asm", "--backend", "llvm"]));
    assert!(String::from_utf8_lossy(&asm.stdout).contains("tiny_vit_k0:"));
}

/// Without `--backend`, a default build compiles with LLVM and a
/// `--no-default-features` build with Cranelift.
#[test]
fn the_default_backend_is_llvm_where_built() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = tiny();
    let out = run_ok(vitc().arg("compile").arg(&model).arg("-o").arg(dir.path().join("default.so")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.contains("with LLVM"), cfg!(feature = "llvm"), "{stdout}");
    let out = run_ok(
        vitc().arg("compile").arg(&model).arg("-o").arg(dir.path().join("cl.so")).args(["--backend", "cranelift"]),
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("with LLVM"));
}
