//! Accuracy of the vectorised elementary functions over dense grids,
//! measured against f64 references. Prints the worst relative error
//! (relative to `max(|f(x)|, floor)`) of each function.

mod common;

use common::{Jit, host_targets, program};
use vitc_lower::{Activation, Kernel, Loc, MapOp, Strided, UnaryOp};

/// Evaluates `op` on `xs` with generated code.
fn eval(op: UnaryOp, xs: &[f32], target: &vitc_backend_cranelift::Target) -> Vec<f32> {
    let n = xs.len();
    let k = Kernel::Map {
        op: MapOp::Unary(op),
        dims: vec![n],
        out: Loc::arena(n),
        inputs: vec![Strided { at: Loc::arena(0), strides: vec![1] }],
    };
    let prog = program(vec![k], 2 * n, &[]);
    let jit = Jit::new(&prog, target);
    let mut arena = xs.to_vec();
    arena.resize(2 * n, 0.0);
    jit.run(&prog, 0, &mut arena, &[], 0, n);
    arena[n..].to_vec()
}

fn grid(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n).map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32).collect()
}

/// Worst `|got − f(x)| / max(|f(x)|, floor)` and where.
fn worst(op: UnaryOp, xs: &[f32], f: impl Fn(f64) -> f64, floor: f64) -> (f64, f32) {
    let mut w = (0.0, 0.0);
    for target in host_targets() {
        let got = eval(op, xs, &target);
        for (&x, &g) in xs.iter().zip(&got) {
            let e = f(x as f64);
            let diff = (g as f64 - e).abs();
            let err = if diff == 0.0 { 0.0 } else { diff / e.abs().max(floor) };
            if err > w.0 || err.is_nan() {
                w = (if err.is_nan() { f64::INFINITY } else { err }, x);
            }
        }
    }
    w
}

#[test]
fn exp_accuracy() {
    let (e, x) = worst(UnaryOp::Exp, &grid(-86.0, 88.7, 400_001), f64::exp, 0.0);
    println!("exp: max rel error {e:.3e} at {x}");
    assert!(e < 5e-7, "exp error {e} at {x}");
    let got = eval(UnaryOp::Exp, &[89.0, 1000.0, -100.0, f32::NEG_INFINITY, 0.0], &common::host());
    assert_eq!(got, vec![f32::INFINITY, f32::INFINITY, 0.0, 0.0, 1.0]);
}

#[test]
fn log_accuracy() {
    let xs: Vec<f32> = grid(-30.0, 30.0, 200_001).into_iter().map(|t| t.exp()).collect();
    let (e, x) = worst(UnaryOp::Log, &xs, f64::ln, 1.0);
    println!("log: max error {e:.3e} (relative to max(|log x|, 1)) at {x}");
    assert!(e < 5e-7, "log error {e} at {x}");
    let got = eval(UnaryOp::Log, &[0.0, -1.0, f32::INFINITY, 1.0], &common::host());
    assert_eq!(got[0], f32::NEG_INFINITY);
    assert!(got[1].is_nan());
    assert_eq!(got[2], f32::INFINITY);
    assert_eq!(got[3], 0.0);
}

#[test]
fn erf_accuracy() {
    let (e, x) = worst(UnaryOp::Erf, &grid(-6.0, 6.0, 400_001), libm::erf, 0.0);
    println!("erf: max rel error {e:.3e} at {x}");
    assert!(e < 1e-6, "erf error {e} at {x}");
    let (e, x) = worst(UnaryOp::Erf, &grid(-6.0, 6.0, 400_001), libm::erf, 1.0);
    println!("erf: max abs error {e:.3e} at {x}");
    assert!(e < 2e-7, "erf abs error {e} at {x}");
}

#[test]
fn tanh_accuracy() {
    let (e, x) = worst(UnaryOp::Tanh, &grid(-12.0, 12.0, 400_001), f64::tanh, 0.0);
    println!("tanh: max rel error {e:.3e} at {x}");
    assert!(e < 1e-6, "tanh error {e} at {x}");
}

#[test]
fn sigmoid_and_gelu_accuracy() {
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    let (e, x) = worst(UnaryOp::Act(Activation::Sigmoid), &grid(-80.0, 80.0, 400_001), sig, 0.0);
    println!("sigmoid: max rel error {e:.3e} at {x}");
    assert!(e < 1e-6, "sigmoid error {e} at {x}");
    let gelu = |x: f64| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
    let (e, x) = worst(UnaryOp::Act(Activation::Gelu), &grid(-10.0, 10.0, 400_001), gelu, 1.0);
    println!("gelu: max error {e:.3e} (relative to max(|gelu x|, 1)) at {x}");
    assert!(e < 1e-6, "gelu error {e} at {x}");
}
