//! Seeded (untrained) weights give runnable demos: the graphs canonicalise
//! and run in the interpreter with finite, non-constant logits of a sane
//! size. All of them run (about 15 s in release).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use ndarray::{ArrayD, IxDyn};
use vitc_arch::{BuildOptions, WeightSource};
use vitc_driver::Stage;
use vitc_ir::Tensor;

fn image() -> Tensor {
    let n = 3 * 224 * 224;
    // A smooth deterministic pattern in [-1, 1].
    let values: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.001).sin()).collect();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[1, 3, 224, 224]), values).unwrap())
}

fn run_seeded(name: &str) {
    let start = std::time::Instant::now();
    let model =
        vitc_arch::build_with(name, WeightSource::Seeded(vitc_arch::DEFAULT_SEED), &BuildOptions::default()).unwrap();
    let mut graph = model.graph;
    vitc_driver::run_pipeline(&mut graph, Stage::Canonical).unwrap();
    let y = vitc_interp::run(&graph, &[image()]).unwrap();
    let logits = y[0].to_f64_vec();
    assert_eq!(logits.len(), 1000);
    let mean = logits.iter().sum::<f64>() / 1000.0;
    let std = (logits.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 1000.0).sqrt();
    let max = logits.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    eprintln!("{name}: logits std {std:.3} max|.| {max:.3} ({:.1} s)", start.elapsed().as_secs_f64());
    assert!(logits.iter().all(|v| v.is_finite()), "{name}: NaN/Inf logits");
    assert!(std > 1e-3 && max < 1e4, "{name}: degenerate logits (std {std}, max {max})");
}

#[test]
fn every_model_runs_with_seeded_weights() {
    for info in vitc_arch::architectures() {
        run_seeded(info.name);
    }
}
