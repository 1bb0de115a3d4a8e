//! Whole models through the lowering and the reference executor: every
//! reference export in `../shared/models` and `examples/tiny_vit` is
//! loaded (canonical stage), lowered, run with 1 and 3 chunks per kernel
//! and compared with the ONNX Runtime output by the shared rule
//! `max|ours − ref| ≤ 1e-4 · max|ref|`. Missing data fails the test.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use vitc_driver::Stage;
use vitc_ir::npy::read_npy;
use vitc_lower::{LowerOptions, Program, lower, reference};
use vitc_testkit::{models_dir, repo_root, require};

fn kernel_counts(p: &Program) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &p.kernels {
        *counts.entry(k.name()).or_insert(0) += 1;
    }
    counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

fn check(name: &str, onnx: &Path, input: &Path, output: &Path, batch: usize) {
    check_stage(name, onnx, input, output, batch, Stage::Canonical, &[1, 3]);
}

/// Lowers the graph at `stage` and runs `batch` images with each chunking.
fn check_stage(name: &str, onnx: &Path, input: &Path, output: &Path, batch: usize, stage: Stage, chunkings: &[usize]) {
    for (path, what) in [(onnx, "model"), (input, "input"), (output, "reference output")] {
        require(path, &format!("{name}: the {what}"));
    }
    let graph = vitc_driver::load_onnx(onnx, stage).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let name = &format!("{name} ({stage:?})");
    let start = Instant::now();
    let program = lower(&graph, &LowerOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let lower_ms = start.elapsed().as_secs_f64() * 1e3;
    let input = read_npy(input).unwrap();
    let images = input.dims()[0].max(1);
    let x: Vec<f32> = input.to_f64_vec().iter().map(|&v| v as f32).collect();
    let x = &x[..x.len() / images * batch];
    let mut reference = read_npy(output).unwrap().to_f64_vec();
    reference.truncate(reference.len() / images * batch);
    let max_ref = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    eprintln!(
        "{name}: {} kernels ({}); arena {} B vs activations {} B ({:.1}%); weights {} B; lowered in {lower_ms:.0} ms",
        program.kernels.len(),
        kernel_counts(&program),
        program.memory.arena_bytes,
        program.memory.activation_bytes,
        100.0 * program.memory.arena_bytes as f64 / program.memory.activation_bytes.max(1) as f64,
        program.weights.len(),
    );
    program.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    for &chunks in chunkings {
        let start = Instant::now();
        let y = reference::execute_batch(&program, &[x], batch, chunks).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = &y[0];
        assert_eq!(y.len(), reference.len(), "{name}: output size");
        let finite = y.iter().all(|v| v.is_finite());
        let max_diff = y.iter().zip(&reference).fold(0.0f64, |m, (a, b)| m.max((f64::from(*a) - b).abs()));
        eprintln!(
            "{name}: chunks={chunks} max_abs_diff={max_diff:.3e} max_abs_ref={max_ref:.4} rel_err={:.3e} ({:.0} ms)",
            max_diff / max_ref,
            start.elapsed().as_secs_f64() * 1e3
        );
        assert!(
            finite && max_diff <= 1e-4 * max_ref,
            "{name}: relative error {:.3e} (finite: {finite})",
            max_diff / max_ref
        );
    }
}

fn shared(model: &str) {
    let dir = models_dir();
    check(
        model,
        &dir.join(format!("{model}.onnx")),
        &dir.join(format!("{model}.input.npy")),
        &dir.join(format!("{model}.output.npy")),
        1,
    );
}

#[test]
fn tiny_vit() {
    let dir = repo_root().join("examples/tiny_vit");
    check("tiny_vit", &dir.join("tiny_vit.onnx"), &dir.join("input.npy"), &dir.join("output.npy"), 1);
}

#[test]
fn levit_128s() {
    shared("levit_128s");
}

#[test]
fn levit_128s_dynamic_batch_16() {
    let dir = models_dir();
    check(
        "levit_128s_dynbatch",
        &dir.join("levit_128s_dynbatch.onnx"),
        &dir.join("levit_128s_dynbatch.input_b16.npy"),
        &dir.join("levit_128s_dynbatch.output_b16.npy"),
        16,
    );
}

#[test]
fn deit_tiny() {
    shared("deit_tiny_patch16_224");
}

#[test]
fn cswin_micro() {
    shared("cswin_micro");
}

#[test]
fn lvt() {
    shared("lvt");
}

/// The graphs after the rewrite stage (fusions, BatchNorm folding) lower
/// and run as well; the batch-16 pair runs its first 4 images.
#[test]
fn rewritten_graphs() {
    let dir = models_dir();
    for model in ["levit_128s", "deit_tiny_patch16_224", "cswin_micro", "lvt"] {
        let path = |ext: &str| dir.join(format!("{model}.{ext}"));
        check_stage(model, &path("onnx"), &path("input.npy"), &path("output.npy"), 1, Stage::Rewritten, &[2]);
    }
    let path = |ext: &str| dir.join(format!("levit_128s_dynbatch.{ext}"));
    let (onnx, input, output) = (path("onnx"), path("input_b16.npy"), path("output_b16.npy"));
    check_stage("levit_128s_dynbatch", &onnx, &input, &output, 4, Stage::Rewritten, &[2]);
    let dir = repo_root().join("examples/tiny_vit");
    let (onnx, input, output) = (dir.join("tiny_vit.onnx"), dir.join("input.npy"), dir.join("output.npy"));
    check_stage("tiny_vit", &onnx, &input, &output, 1, Stage::Rewritten, &[2]);
}
