//! Models stored in other element types than float32: LeViT-128S converted
//! to float16 weights and computation by onnxconverter-common (float32 I/O,
//! `tests/element-types/to_float16.py`) compiles, computes in float32 and
//! stays within 1e-2 of the float32 model's ONNX Runtime output; `vitc
//! inspect` says what was converted.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use std::process::Command;
use vitc_testkit::{assert_within, model_file, repo_root};

#[test]
fn levit_with_float16_weights_matches_the_float32_reference() {
    let dir = tempfile::tempdir().unwrap();
    let half = dir.path().join("levit_fp16.onnx");
    let python = repo_root().join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `bash .ci/setup`", python.display());
    run_ok(
        Command::new(&python)
            .arg(repo_root().join("tests/element-types/to_float16.py"))
            .arg(model_file("levit_128s.onnx"))
            .arg(&half),
    );
    let inspect = run_ok(vitc().arg("inspect").arg(&half));
    let text = String::from_utf8(inspect.stdout).unwrap();
    assert!(text.contains("converted:  float16 → f32"), "{text}");

    let lib = dir.path().join("levit_fp16.so");
    run_ok(vitc().arg("compile").arg(&half).args(["--backend", "cranelift", "-o"]).arg(&lib));
    let y = dir.path().join("y.npy");
    run_ok(vitc().arg("run").arg(&lib).arg("--input").arg(model_file("levit_128s.input.npy")).arg("--output").arg(&y));
    let (dims, ours) = read_npy(&y);
    let (ref_dims, expected) = read_npy(&model_file("levit_128s.output.npy"));
    assert_eq!(dims, ref_dims);
    assert_within(&ours, &expected, 1e-2, "levit_128s with float16 weights");
}
