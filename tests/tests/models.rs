//! Whole models: every reference export in `../shared/models` through the
//! importer, canonicalisation (and again with the egg rewrites) and the
//! reference interpreter matches the ONNX Runtime output by the shared rule
//! `max|ours − ref| ≤ 1e-4 · max|ref|`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::time::Instant;
use vitc_driver::Stage;
use vitc_ir::npy::read_npy;
use vitc_testkit::{compare, model_file};

fn check_model(model: &str, input: &str, output: &str) {
    let path = model_file(&format!("{model}.onnx"));
    let (input, output) = (model_file(input), model_file(output));
    for stage in [Stage::Canonical, Stage::Rewritten] {
        check_stage(model, &path, &input, &output, stage);
    }
}

fn check_stage(model: &str, path: &std::path::Path, input: &std::path::Path, output: &std::path::Path, stage: Stage) {
    let graph = vitc_driver::load_onnx(path, stage).unwrap_or_else(|e| panic!("{model}: {e:#}"));
    let x = read_npy(input).unwrap();
    let reference = read_npy(output).unwrap();
    let start = Instant::now();
    let y = vitc_interp::run(&graph, &[x]).unwrap_or_else(|e| panic!("{model}: {e}"));
    let elapsed = start.elapsed();
    let c = compare(&y[0], &reference).unwrap();
    eprintln!(
        "{model} ({stage:?}): {} ops, max_abs_diff={:.3e} max_abs_ref={:.4} rel_err={:.3e} interpreter={:.0} ms",
        graph.op_histogram().values().sum::<usize>(),
        c.max_abs_diff,
        c.max_abs_ref,
        c.relative_error(),
        elapsed.as_secs_f64() * 1e3
    );
    assert!(c.passes(1e-4), "{model}: relative error {:.3e} exceeds 1e-4 (finite: {})", c.relative_error(), c.finite);
}

#[test]
fn levit_128s_matches_onnx_runtime() {
    check_model("levit_128s", "levit_128s.input.npy", "levit_128s.output.npy");
}

#[test]
fn levit_128s_dynamic_batch_16_matches_onnx_runtime() {
    check_model("levit_128s_dynbatch", "levit_128s_dynbatch.input_b16.npy", "levit_128s_dynbatch.output_b16.npy");
}

#[test]
fn deit_tiny_matches_onnx_runtime() {
    check_model("deit_tiny_patch16_224", "deit_tiny_patch16_224.input.npy", "deit_tiny_patch16_224.output.npy");
}

#[test]
fn cswin_micro_matches_onnx_runtime() {
    check_model("cswin_micro", "cswin_micro.input.npy", "cswin_micro.output.npy");
}

#[test]
fn lvt_matches_onnx_runtime() {
    check_model("lvt", "lvt.input.npy", "lvt.output.npy");
}
