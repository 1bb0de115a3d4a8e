//! Accuracy of the element-function layer (`vitc_lower::elem`), tested
//! once for every backend: the CPU mirror runs each function exactly as the
//! backends emit it (with a fused multiply-add, and without one as on SSE2
//! targets), and is compared with `f64` over sweeps, at special values, and
//! for NaN.

use vitc_lower::elem::{self, Scalar, math};
use vitc_lower::{Activation, BinaryOp, UnaryOp};

/// Largest error of `f` against `reference` over `n + 1` points of
/// `[lo, hi]`: `|f − ref| / max(|ref|, floor)` (absolute below `floor`).
fn worst(f: impl Fn(f32) -> f32, reference: impl Fn(f64) -> f64, lo: f32, hi: f32, floor: f64) -> (f64, f32) {
    let n = 400_000;
    let mut worst = (0.0f64, lo);
    for i in 0..=n {
        let x = lo + (hi - lo) * (i as f32 / n as f32);
        let (y, r) = (f(x) as f64, reference(x as f64));
        let err = (y - r).abs() / r.abs().max(floor);
        if err > worst.0 || err.is_nan() {
            worst = (err, x);
        }
    }
    worst
}

/// Checks `f` on both mirrors (fused and unfused multiply-add).
fn check(
    name: &str,
    f: impl Fn(&mut Scalar, f32) -> f32,
    reference: impl Fn(f64) -> f64,
    lo: f32,
    hi: f32,
    floor: f64,
    tol: f64,
) {
    for mirror in Scalar::BOTH {
        let (err, at) = worst(|x| f(&mut mirror.clone(), x), &reference, lo, hi, floor);
        assert!(err <= tol, "{name} ({mirror:?}): error {err:e} at x = {at} exceeds {tol:e}");
    }
}

/// The mirror of FMA targets, for single checks.
fn fused() -> Scalar {
    Scalar::FMA
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn exp_within_2e7_relative() {
    check("exp", math::exp, f64::exp, -86.5, 88.7, 0.0, 2e-7);
    assert_eq!(math::exp(&mut fused(), f32::INFINITY), f32::INFINITY);
    assert_eq!(math::exp(&mut fused(), f32::NEG_INFINITY), 0.0);
    assert_eq!(math::exp(&mut fused(), 100.0), f32::INFINITY);
    assert_eq!(math::exp(&mut fused(), -100.0), 0.0);
    assert_eq!(math::exp(&mut fused(), 0.0), 1.0);
    assert!(math::exp(&mut fused(), f32::NAN).is_nan());
}

#[test]
fn log_within_2e7_relative() {
    check("log", math::log, f64::ln, 1e-6, 1e4, 1e-30, 2e-7);
    check("log near 1", math::log, f64::ln, 0.9, 1.1, 1e-30, 2e-7);
    check("log large", math::log, f64::ln, 1e30, 3e38, 1e-30, 2e-7);
    let d = f32::from_bits(1000);
    let l = math::log(&mut fused(), d) as f64;
    assert!((l - (d as f64).ln()).abs() <= 2e-7 * (d as f64).ln().abs(), "log of a subnormal: {l}");
    assert_eq!(math::log(&mut fused(), 0.0), f32::NEG_INFINITY);
    assert_eq!(math::log(&mut fused(), f32::INFINITY), f32::INFINITY);
    assert!(math::log(&mut fused(), -1.0).is_nan());
    assert!(math::log(&mut fused(), f32::NAN).is_nan());
}

#[test]
fn erf_within_5e7_absolute() {
    // The rational form's worst case is near |x| = 4, where erf is ±1 to
    // within 2e-8: a few ulp of 1 (more without a fused multiply-add).
    check("erf", math::erf, libm::erf, -6.0, 6.0, 1.0, 5e-7);
    check("erf near 0", math::erf, libm::erf, -1e-3, 1e-3, 1e-30, 1e-6);
    assert_eq!(math::erf(&mut fused(), f32::INFINITY), 1.0);
    assert_eq!(math::erf(&mut fused(), f32::NEG_INFINITY), -1.0);
    assert!(math::erf(&mut fused(), f32::NAN).is_nan());
}

#[test]
fn tanh_within_5e7_relative() {
    check("tanh", math::tanh, f64::tanh, -12.0, 12.0, 1e-30, 5e-7);
    check("tanh near 0", math::tanh, f64::tanh, -1e-3, 1e-3, 1e-30, 5e-7);
    assert_eq!(math::tanh(&mut fused(), f32::INFINITY), 1.0);
    assert_eq!(math::tanh(&mut fused(), f32::NEG_INFINITY), -1.0);
    assert!(math::tanh(&mut fused(), f32::NAN).is_nan());
}

#[test]
fn sigmoid_within_5e7_relative() {
    check("sigmoid", math::sigmoid, sigmoid64, -86.0, 80.0, 1e-30, 5e-7);
    assert_eq!(math::sigmoid(&mut fused(), -200.0), 0.0);
    assert_eq!(math::sigmoid(&mut fused(), 200.0), 1.0);
}

#[test]
fn gelu_within_3e7_of_max_1_x() {
    // ½x·(1 + erf(x/√2)) inherits erf's absolute error scaled by |x|/2: the
    // bound is relative to max(1, |x|), which is what a model's output
    // comparison sees (the negative tail is tiny, not relatively exact).
    let gelu = |x: f64| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
    for mut mirror in Scalar::BOTH {
        let mut worst = (0.0f64, 0.0f32);
        for i in 0..=400_000 {
            let x = -10.0 + 20.0 * (i as f32 / 400_000.0);
            let y = elem::activation(&mut mirror, Activation::Gelu, x) as f64;
            let err = (y - gelu(x as f64)).abs() / (x.abs() as f64).max(1.0);
            if err > worst.0 {
                worst = (err, x);
            }
        }
        assert!(worst.0 <= 3e-7, "gelu ({mirror:?}): error {:e} at x = {}", worst.0, worst.1);
    }
    let tanh_form =
        |x: f64| 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh());
    let act = |s: &mut Scalar, x| elem::activation(s, Activation::GeluTanh, x);
    check("gelu (tanh)", act, tanh_form, -10.0, 10.0, 1.0, 5e-7);
}

#[test]
fn pow_within_1e6_relative() {
    let pow = |b: f32| move |s: &mut Scalar, x: f32| elem::binary(s, BinaryOp::Pow, x, b);
    check("pow(x, 0.5)", pow(0.5), |x| x.powf(0.5), 0.0, 100.0, 1e-30, 1e-6);
    check("pow(x, 3)", pow(3.0), |x| x.powf(3.0), -10.0, 10.0, 1e-30, 1e-6);
    // The trait's default (exp·log) form, which PTX uses.
    let p = |b: f32| move |s: &mut Scalar, x: f32| math::pow(s, x, b);
    check("exp-log pow(x, 0.5)", p(0.5), |x| x.powf(0.5), 0.0, 100.0, 1e-30, 1e-6);
    check("exp-log pow(x, 3)", p(3.0), |x| x.powf(3.0), -10.0, 10.0, 1e-30, 2e-6);
    assert_eq!(math::pow(&mut fused(), -3.0, 2.0), 9.0);
    assert!(math::pow(&mut fused(), -3.0, 0.5).is_nan());
    assert_eq!(math::pow(&mut fused(), 0.0, 0.0), 1.0);
    assert_eq!(math::pow(&mut fused(), -2.0, 3.0), -8.0);
}

#[test]
fn nan_propagates_as_in_onnx_runtime() {
    for act in [
        Activation::Relu,
        Activation::Sigmoid,
        Activation::HardSwish,
        Activation::HardSigmoid { alpha: 0.2, beta: 0.5 },
        Activation::Gelu,
        Activation::GeluTanh,
    ] {
        assert!(elem::activation(&mut fused(), act, f32::NAN).is_nan(), "{act:?}(NaN)");
    }
    for op in [BinaryOp::Max, BinaryOp::Min] {
        assert!(elem::binary(&mut fused(), op, f32::NAN, 1.0).is_nan(), "{op:?}(NaN, 1)");
        assert!(elem::binary(&mut fused(), op, 1.0, f32::NAN).is_nan(), "{op:?}(1, NaN)");
        assert_eq!(elem::binary(&mut fused(), op, 1.0, 2.0), if op == BinaryOp::Max { 2.0 } else { 1.0 });
    }
    assert_eq!(elem::activation(&mut fused(), Activation::Relu, -3.0), 0.0);
    assert_eq!(elem::activation(&mut fused(), Activation::Relu, 3.0), 3.0);
    for op in [UnaryOp::Exp, UnaryOp::Log, UnaryOp::Erf, UnaryOp::Tanh, UnaryOp::Sqrt, UnaryOp::Round, UnaryOp::Trunc] {
        assert!(elem::unary(&mut fused(), op, f32::NAN).is_nan(), "{op:?}(NaN)");
    }
}

#[test]
fn mod_matches_integer_and_c_semantics() {
    let floored = |a: i32, b: i32| {
        let r = a % b;
        if r != 0 && (r < 0) != (b < 0) { r + b } else { r }
    };
    for mut m in Scalar::BOTH {
        // Integers as the kernels carry them (exact f32), every sign pair.
        for a in -60i32..=60 {
            for b in [-13i32, -7, -2, -1, 1, 2, 3, 7, 13] {
                let got = elem::binary(&mut m, BinaryOp::Mod, a as f32, b as f32);
                assert_eq!(got, floored(a, b) as f32, "Mod({a}, {b})");
                let got = elem::binary(&mut m, BinaryOp::Fmod, a as f32, b as f32);
                assert_eq!(got, (a % b) as f32, "Fmod({a}, {b})");
            }
        }
        // Large integers near 2^24, where a/b rounds.
        for (a, b) in [(16_777_215i32, 3i32), (16_777_213, 7), (-16_777_215, 4), (16_777_000, -9)] {
            let want = floored(a, b) as f32;
            assert_eq!(elem::binary(&mut m, BinaryOp::Mod, a as f32, b as f32), want, "Mod({a}, {b})");
            assert_eq!(elem::binary(&mut m, BinaryOp::Fmod, a as f32, b as f32), (a % b) as f32, "Fmod({a}, {b})");
        }
        // Floats: C fmod.
        for (a, b) in [(5.5f32, 2.0f32), (-5.5, 2.0), (5.5, -2.0), (0.3, 0.1), (1e6, 0.7), (-7.25, 0.5)] {
            let got = elem::binary(&mut m, BinaryOp::Fmod, a, b);
            let want = a % b;
            // Exact up to the quotient's rounding with a fused multiply-add;
            // without one, `q·b` rounds too: within two ulp of `a`.
            let ulp_a = f32::from_bits(a.abs().to_bits() + 1) - a.abs();
            let tol = if m.fused { 1e-6 * b.abs() } else { (1e-6 * b.abs()).max(2.0 * ulp_a) };
            assert!((got - want).abs() <= tol, "Fmod({a}, {b}) = {got}, C fmod {want} ({m:?})");
        }
        assert!(elem::binary(&mut m, BinaryOp::Mod, 3.0, 0.0).is_nan());
        assert!(elem::binary(&mut m, BinaryOp::Fmod, 3.0, 0.0).is_nan());
    }
}
