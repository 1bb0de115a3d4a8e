//! Whole models: every reference export (`examples/tiny_vit`,
//! `../shared/models`) is loaded at the canonical stage, lowered, compiled
//! for the host with `cranelift-jit` and run with the kernels split into 1
//! and 3 chunks. The output must match ONNX Runtime by the shared rule
//! `max|ours − ref| ≤ 1e-4 · max|ref|` and agree with
//! `vitc_lower::reference::execute`. On a mismatch the kernels are replayed
//! one by one from the reference's arena to name the first one that differs.
//! Missing data fails the test, naming the file.

mod common;

use std::path::Path;
use std::time::Instant;

use common::Jit;
use vitc_driver::Stage;
use vitc_ir::npy::read_npy;
use vitc_lower::{LowerOptions, Program, lower, reference};
use vitc_testkit::{models_dir, repo_root, require};

/// Runs one image through the JIT'd program, each kernel in `chunks` chunks.
fn run_jit(jit: &Jit, program: &Program, weights: &[f32], x: &[f32], chunks: usize) -> (Vec<f32>, Vec<f32>) {
    let mut arena = vec![f32::NAN; program.arena_len];
    let slot = &program.inputs[0];
    arena[slot.offset..slot.offset + slot.len()].copy_from_slice(x);
    for (k, kernel) in program.kernels.iter().enumerate() {
        for (s, e) in reference::chunk_ranges(kernel.extent(), chunks) {
            jit.run(program, k, &mut arena, weights, s, e);
        }
    }
    let out = &program.outputs[0];
    (arena[out.offset..out.offset + out.len()].to_vec(), arena)
}

/// Replays every kernel on the reference's arena state and reports the
/// kernels whose output differs most.
fn localise(jit: &Jit, program: &Program, weights: &[f32], x: &[f32]) -> String {
    let w = reference::Weights::new(&program.weights).expect("weights");
    let mut arena = vec![f32::NAN; program.arena_len];
    let slot = &program.inputs[0];
    arena[slot.offset..slot.offset + slot.len()].copy_from_slice(x);
    let mut report = Vec::new();
    for (k, kernel) in program.kernels.iter().enumerate() {
        let mut ours = arena.clone();
        jit.run(program, k, &mut ours, weights, 0, kernel.extent());
        reference::run_kernel(kernel, &mut arena, &w, 0, kernel.extent()).expect("reference kernel");
        let (mut worst, mut scale) = (0.0f32, 0.0f32);
        for (a, b) in ours.iter().zip(&arena) {
            if a.is_nan() != b.is_nan() {
                worst = f32::INFINITY;
            } else if !a.is_nan() {
                worst = worst.max((a - b).abs());
                scale = scale.max(b.abs());
            }
        }
        if worst > 1e-5 * scale.max(1.0) {
            report.push(format!("kernel {k} {kernel:?}: max diff {worst:e} (scale {scale})"));
        }
    }
    report.into_iter().take(5).collect::<Vec<_>>().join("\n")
}

fn check(name: &str, onnx: &Path, input: &Path, output: &Path) {
    for (p, what) in [(onnx, "model"), (input, "input"), (output, "reference output")] {
        require(p, &format!("{name}: the {what}"));
    }
    let graph = vitc_driver::load_onnx(onnx, Stage::Canonical).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let program = lower(&graph, &LowerOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let weights: Vec<f32> =
        program.weights.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    vitc_backend_cranelift::verify(&program, &common::host()).unwrap_or_else(|e| panic!("{name}: {e}"));
    program.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
    let t = Instant::now();
    let jit = Jit::new(&program, &common::host());
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    let input = read_npy(input).expect("input");
    let images = input.dims()[0].max(1);
    let x: Vec<f32> = input.to_f64_vec().iter().map(|&v| v as f32).collect();
    let x = &x[..x.len() / images];
    let mut expected = read_npy(output).expect("output").to_f64_vec();
    expected.truncate(expected.len() / images);
    let max_ref = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let ref_out = &reference::execute(&program, &[x], 1).unwrap_or_else(|e| panic!("{name}: reference: {e}"))[0];
    for chunks in [1, 3] {
        let t = Instant::now();
        let (y, _) = run_jit(&jit, &program, &weights, x, chunks);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let diff = y.iter().zip(&expected).fold(0.0f64, |m, (a, b)| m.max((f64::from(*a) - b).abs()));
        let diff_ref = y.iter().zip(ref_out).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        let finite = y.iter().all(|v| v.is_finite());
        eprintln!(
            "{name}: {} kernels, compiled in {compile_ms:.0} ms; chunks={chunks}: {ms:.1} ms/image (one thread); \
             vs ORT rel err {:.2e}; vs reference max diff {diff_ref:.2e}",
            program.kernels.len(),
            diff / max_ref
        );
        if !(finite && diff <= 1e-4 * max_ref && f64::from(diff_ref) <= 1e-4 * max_ref) {
            panic!(
                "{name}: relative error {:.3e}, vs reference {diff_ref:e} (finite: {finite})\n{}",
                diff / max_ref,
                localise(&jit, &program, &weights, x)
            );
        }
    }
}

fn shared(model: &str) {
    let dir = models_dir();
    check(
        model,
        &dir.join(format!("{model}.onnx")),
        &dir.join(format!("{model}.input.npy")),
        &dir.join(format!("{model}.output.npy")),
    );
}

#[test]
fn tiny_vit() {
    let dir = repo_root().join("examples/tiny_vit");
    check("tiny_vit", &dir.join("tiny_vit.onnx"), &dir.join("input.npy"), &dir.join("output.npy"));
}

#[test]
fn levit_128s() {
    shared("levit_128s");
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
