//! Models from other exporters than the TorchScript one the shared models
//! come from: `tests/dynamo/vit_micro.onnx`, a small timm ViT exported by
//! PyTorch's dynamo-based exporter at opset 18 (`make_vit_micro.py`, which
//! needs torch and is not run here), compiles and matches PyTorch's output
//! by the shared rule, natively and on the interpreter.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::*;
use vitc_testkit::{assert_within, repo_root, require};

#[test]
fn dynamo_exported_vit_at_opset_18_matches_pytorch() {
    let dir = require(repo_root().join("tests/dynamo"), "the dynamo-exported test model");
    let (model, input) = (dir.join("vit_micro.onnx"), dir.join("vit_micro.input.npy"));
    let (ref_dims, expected) = read_npy(&dir.join("vit_micro.output.npy"));
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("vit_micro.so");
    run_ok(vitc().arg("compile").arg(&model).args(["--backend", "cranelift", "-o"]).arg(&lib));
    for (what, runnable) in [("native", &lib), ("interpreter", &model)] {
        let y = tmp.path().join(format!("{what}.npy"));
        run_ok(vitc().arg("run").arg(runnable).arg("--input").arg(&input).arg("--output").arg(&y));
        let (dims, ours) = read_npy(&y);
        assert_eq!(dims, ref_dims, "{what}");
        assert_within(&ours, &expected, 1e-4, what);
    }
}
