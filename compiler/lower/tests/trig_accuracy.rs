//! Accuracy of the trigonometric and hyperbolic element functions
//! (`vitc_lower::elem::trig`) and the rounding, sign and classification map
//! functions, on the CPU mirror (fused and unfused multiply-add), against
//! `f64` over sweeps and at special values.

use vitc_lower::UnaryOp;
use vitc_lower::elem::{self, Scalar, trig};

/// Largest `|f − ref| / max(|ref|, floor)` over `n + 1` points of `[lo, hi]`
/// on both mirrors; fails above `tol`.
fn check(
    name: &str,
    f: fn(&mut Scalar, f32) -> f32,
    reference: fn(f64) -> f64,
    lo: f32,
    hi: f32,
    floor: f64,
    tol: f64,
) {
    let n = 200_000;
    for mirror in Scalar::BOTH {
        let mut worst = (0.0f64, lo);
        for i in 0..=n {
            let x = lo + (hi - lo) * (i as f32 / n as f32);
            let (y, r) = (f(&mut mirror.clone(), x) as f64, reference(x as f64));
            let err = (y - r).abs() / r.abs().max(floor);
            if err > worst.0 || err.is_nan() {
                worst = (err, x);
            }
        }
        assert!(worst.0 <= tol, "{name} ({mirror:?}): error {:e} at x = {} exceeds {tol:e}", worst.0, worst.1);
    }
}

fn one(f: fn(&mut Scalar, f32) -> f32, x: f32) -> f32 {
    let mut mirror = Scalar::FMA;
    f(&mut mirror, x)
}

#[test]
fn sin_cos_tan_are_accurate_over_the_reduced_range() {
    // Absolute near the zeros (relative to max(|ref|, 1)), relative near 0.
    check("sin", trig::sin, f64::sin, -1000.0, 1000.0, 1.0, 3e-7);
    check("cos", trig::cos, f64::cos, -1000.0, 1000.0, 1.0, 3e-7);
    check("sin near 0", trig::sin, f64::sin, -0.5, 0.5, 1e-30, 3e-7);
    check("cos near 0", trig::cos, f64::cos, -0.5, 0.5, 1e-30, 3e-7);
    check("tan", trig::tan, f64::tan, -1.5, 1.5, 1e-30, 1e-6);
    assert_eq!(one(trig::sin, 0.0), 0.0);
    assert_eq!(one(trig::cos, 0.0), 1.0);
    for f in [trig::sin, trig::cos, trig::tan] {
        assert!(one(f, f32::NAN).is_nan() && one(f, f32::INFINITY).is_nan());
    }
}

#[test]
#[should_panic(expected = "exceeds")]
fn the_sweep_detects_a_wrong_function() {
    check("sin as cos", trig::sin, f64::cos, -1.0, 1.0, 1.0, 1e-3);
}

#[test]
fn inverse_trigonometric_functions_are_accurate() {
    check("atan", trig::atan, f64::atan, -50.0, 50.0, 1e-30, 3e-7);
    check("asin", trig::asin, f64::asin, -1.0, 1.0, 1e-30, 5e-7);
    check("acos", trig::acos, f64::acos, -1.0, 1.0, 1e-30, 5e-7);
    assert_eq!(one(trig::atan, f32::INFINITY), std::f32::consts::FRAC_PI_2);
    assert_eq!(one(trig::atan, f32::NEG_INFINITY), -std::f32::consts::FRAC_PI_2);
    assert_eq!(one(trig::asin, 1.0), std::f32::consts::FRAC_PI_2);
    assert_eq!(one(trig::acos, 1.0), 0.0);
    assert!((one(trig::acos, -1.0) - std::f32::consts::PI).abs() <= 4e-7);
    for f in [trig::asin, trig::acos] {
        assert!(one(f, 1.5).is_nan() && one(f, f32::NAN).is_nan());
    }
}

#[test]
fn hyperbolic_functions_are_accurate() {
    check("sinh", trig::sinh, f64::sinh, -88.0, 88.0, 1e-30, 1e-6);
    check("sinh near 0", trig::sinh, f64::sinh, -1e-2, 1e-2, 1e-30, 3e-7);
    check("cosh", trig::cosh, f64::cosh, -88.0, 88.0, 1e-30, 1e-6);
    check("asinh", trig::asinh, f64::asinh, -1e5, 1e5, 1e-30, 5e-7);
    check("asinh near 0", trig::asinh, f64::asinh, -1e-2, 1e-2, 1e-30, 5e-7);
    check("acosh", trig::acosh, f64::acosh, 1.0, 1e5, 1e-30, 5e-7);
    check("acosh near 1", trig::acosh, f64::acosh, 1.0, 1.01, 1e-30, 5e-7);
    check("atanh", trig::atanh, f64::atanh, -0.999, 0.999, 1e-30, 5e-7);
    assert!(one(trig::sinh, 89.0).is_finite(), "sinh(89) = 2.2e38 is a float");
    assert_eq!(one(trig::cosh, 100.0), f32::INFINITY);
    assert_eq!(one(trig::atanh, 1.0), f32::INFINITY);
    assert_eq!(one(trig::atanh, -1.0), f32::NEG_INFINITY);
    assert!(one(trig::acosh, 0.5).is_nan() && one(trig::atanh, 2.0).is_nan());
    assert!((one(trig::asinh, 1e30) as f64 - 1e30f64.asinh()).abs() < 1e-5 * 70.0);
}

#[test]
fn rounding_sign_and_classification() {
    let u = |op: UnaryOp, x: f32| {
        let mut mirror = Scalar::FMA;
        elem::unary(&mut mirror, op, x)
    };
    for x in [-2.5f32, -1.5, -0.5, 0.5, 1.5, 2.5, -3.7, 3.7, 1e9, -8_388_609.0] {
        assert_eq!(u(UnaryOp::Floor, x), x.floor(), "floor {x}");
        assert_eq!(u(UnaryOp::Ceil, x), x.ceil(), "ceil {x}");
        assert_eq!(u(UnaryOp::Round, x), x.round_ties_even(), "round {x}");
    }
    assert_eq!(u(UnaryOp::Sign, -3.0), -1.0);
    assert_eq!(u(UnaryOp::Sign, 0.25), 1.0);
    assert!(u(UnaryOp::Sign, -0.0) == 0.0 && u(UnaryOp::Sign, -0.0).is_sign_negative());
    assert!(u(UnaryOp::Sign, f32::NAN).is_nan());
    assert_eq!(u(UnaryOp::IsNaN, f32::NAN), 1.0);
    assert_eq!(u(UnaryOp::IsNaN, f32::INFINITY), 0.0);
    let inf = |negative, positive, x| u(UnaryOp::IsInf { negative, positive }, x);
    assert_eq!(
        [inf(true, true, f32::INFINITY), inf(true, true, f32::NEG_INFINITY), inf(true, true, 1e38)],
        [1.0, 1.0, 0.0]
    );
    assert_eq!([inf(false, true, f32::INFINITY), inf(false, true, f32::NEG_INFINITY)], [1.0, 0.0]);
    assert_eq!([inf(true, false, f32::INFINITY), inf(true, false, f32::NEG_INFINITY)], [0.0, 1.0]);
    assert_eq!(inf(true, true, f32::NAN), 0.0);
}
