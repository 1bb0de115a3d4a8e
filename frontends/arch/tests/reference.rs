//! The definitions against the reference implementations: each model built
//! from `NAME.safetensors` (reference parameter names), canonicalised and run
//! in the interpreter on `NAME.input.npy` matches `NAME.output.npy` (the
//! ONNX Runtime output of the reference export) by the shared rule
//! `max|ours − ref| ≤ 1e-4 · max|ref|`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::time::Instant;
use vitc_arch::{BuildOptions, WeightSource};
use vitc_driver::Stage;
use vitc_ir::Dim;
use vitc_ir::npy::read_npy;

fn check(name: &str, options: &BuildOptions, input: &str, output: &str) {
    let weights = vitc_testkit::model_file(&format!("{name}.safetensors"));
    let (input, output) = (vitc_testkit::model_file(input), vitc_testkit::model_file(output));
    let start = Instant::now();
    let model = vitc_arch::build_with(name, WeightSource::File(&weights), options).unwrap_or_else(|e| panic!("{e}"));
    let mut graph = model.graph;
    vitc_driver::run_pipeline(&mut graph, Stage::Canonical).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let built = start.elapsed();
    let x = read_npy(&input).unwrap();
    let reference = read_npy(&output).unwrap();
    let start = Instant::now();
    let y = vitc_interp::run(&graph, &[x]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let c = vitc_testkit::compare(&y[0], &reference).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (diff, max_ref, finite) = (c.max_abs_diff, c.max_abs_ref, c.finite);
    eprintln!(
        "{name}: max_abs_diff={diff:.3e} max_abs_ref={max_ref:.4} rel_err={:.3e} params={} build={:.0} ms run={:.0} ms",
        diff / max_ref,
        model.parameters,
        built.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3
    );
    assert!(finite, "{name}: output has NaN/Inf");
    assert!(diff <= 1e-4 * max_ref, "{name}: relative error {:.3e} exceeds 1e-4", diff / max_ref);
}

#[test]
fn levit_128s_matches_reference() {
    check("levit_128s", &BuildOptions::default(), "levit_128s.input.npy", "levit_128s.output.npy");
}

#[test]
fn levit_128s_symbolic_batch_16_matches_reference() {
    let options = BuildOptions { batch: Dim::sym("batch") };
    check("levit_128s", &options, "levit_128s_dynbatch.input_b16.npy", "levit_128s_dynbatch.output_b16.npy");
}

#[test]
fn deit_tiny_matches_reference() {
    let name = "deit_tiny_patch16_224";
    check(name, &BuildOptions::default(), &format!("{name}.input.npy"), &format!("{name}.output.npy"));
}

#[test]
fn cswin_micro_matches_reference() {
    check("cswin_micro", &BuildOptions::default(), "cswin_micro.input.npy", "cswin_micro.output.npy");
}

#[test]
fn lvt_matches_reference() {
    check("lvt", &BuildOptions::default(), "lvt.input.npy", "lvt.output.npy");
}
