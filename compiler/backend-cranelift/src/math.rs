//! Vectorised f32x4 elementary functions and the fused activations, as
//! straight-line Cranelift code (no libm calls):
//!
//! * `exp`: range reduction `x = n·ln2 + r`, `|r| ≤ ln2/2`, Cephes' degree-7
//!   polynomial, `2^n` built in the exponent bits; inputs above `ln(FLT_MAX)`
//!   give `+inf`, inputs below −86.5 give 0.
//! * `log`: Cephes `logf` (mantissa in `[√½, √2)`, degree-9 polynomial);
//!   `log 0 = −inf`, negative inputs give NaN.
//! * `erf`: an odd polynomial below 1, `1 − e^{−x²}·G(1/x)` above (both
//!   least-squares fits in relative error), `±1` beyond 4.
//! * `tanh`: Cephes `tanhf`: an odd polynomial for `|x| < 0.625`, otherwise
//!   `1 − 2/(e^{2|x|} + 1)` with the sign restored.
//! * `sigmoid = 1 / (1 + e^{−x})`; GELU as `x·Φ(x)` through `erfc`.
//!
//! The `exp`, `log` and `tanh` polynomials are shared with the LLVM backend
//! ([`vitc_lower::math_consts`]); the `erf`/`erfc` ones are this backend's.
//! All stay within ~1e-6 relative error of the exact functions (see the
//! accuracy tests in `tests/math.rs`).

use cranelift_codegen::ir::{InstBuilder, Value, condcodes::FloatCC};
use vitc_lower::Activation;
use vitc_lower::math_consts::{EXP_P, LOG_P, TANH_P};

use crate::emit::{F32X4, Fx, I32X4};

/// `erf(x) ≈ x·P(x²)` on `[0, 1]` (least squares in relative error).
const ERF_SMALL: [f64; 7] = [
    7.971_125_971e-5,
    -8.043_394_575e-4,
    5.191_835_315e-3,
    -2.685_551_016e-2,
    1.128_362_207e-1,
    -3.761_262_874e-1,
    std::f64::consts::FRAC_2_SQRT_PI,
];

/// `erfc(a)·e^{a²} ≈ G(1/a)` on `[1, 4]` (least squares in relative error).
const ERFC_G: [f64; 9] = [
    -1.351_958_890e-2,
    4.783_503_857e-2,
    -1.506_928_245e-2,
    -1.986_205_951e-1,
    4.677_675_090e-1,
    -4.594_549_921e-1,
    3.892_557_071e-2,
    5.594_753_084e-1,
    2.444_971_118e-4,
];

/// `erfc(z) ≈ t·exp(−z² + P(t))`, `t = 1/(1 + z/2)` (Numerical Recipes
/// `erfcc`, relative error < 1.2e-7 in exact arithmetic).
const ERFCC_P: [f64; 10] = [
    0.170_872_77,
    -0.822_152_23,
    1.488_515_87,
    -1.135_203_98,
    0.278_868_07,
    -0.186_288_06,
    0.096_784_18,
    0.374_091_96,
    1.000_023_68,
    -1.265_512_23,
];

/// `e^x`.
pub(crate) fn exp(fx: &mut Fx, x: Value) -> Value {
    const HI: f32 = 88.722_84; // ln(FLT_MAX)
    const LO: f32 = -86.5; // keeps 2^(n-1) a normal number
    let hi = fx.splat(HI);
    let lo = fx.splat(LO);
    let xc = fx.vmin(x, hi);
    let xc = fx.vmax(xc, lo);
    // t = x·log2(e) + 1.5·2^23 rounds n to the nearest integer in t's low bits.
    let magic = fx.splat(12_582_912.0);
    let log2e = fx.splat(std::f32::consts::LOG2_E);
    let t = fx.madd(xc, log2e, magic);
    let n = fx.b.ins().fsub(t, magic);
    let r = fx.madd_c(n, -0.693_359_4, xc);
    let r = fx.madd_c(n, 2.121_944_4e-4, r);
    let p = fx.horner(r, &EXP_P);
    let r2 = fx.b.ins().fmul(r, r);
    let p = fx.madd(p, r2, r);
    let one = fx.splat(1.0);
    let p = fx.b.ins().fadd(p, one);
    // 2^(n-1) from the integer in t's mantissa: (t_bits << 23) + (126 << 23).
    let ti = fx.cast(I32X4, t);
    let sh = fx.b.ins().iconst(cranelift_codegen::ir::types::I32, 23);
    let ti = fx.b.ins().ishl(ti, sh);
    let bias = fx.splat_i(126 << 23);
    let ti = fx.b.ins().iadd(ti, bias);
    let scale = fx.cast(F32X4, ti);
    let y = fx.b.ins().fmul(p, scale);
    let y = fx.b.ins().fadd(y, y);
    let over = fx.mask(FloatCC::GreaterThan, x, hi);
    let inf = fx.splat(f32::INFINITY);
    let y = fx.select(over, inf, y);
    let under = fx.mask(FloatCC::LessThan, x, lo);
    let zero = fx.splat(0.0);
    fx.select(under, zero, y)
}

/// Natural logarithm.
pub(crate) fn log(fx: &mut Fx, x: Value) -> Value {
    let xi = fx.cast(I32X4, x);
    let sh = fx.b.ins().iconst(cranelift_codegen::ir::types::I32, 23);
    let e = fx.b.ins().ushr(xi, sh);
    let c126 = fx.splat_i(126);
    let e = fx.b.ins().isub(e, c126);
    let mut ef = fx.b.ins().fcvt_from_sint(F32X4, e);
    let mant_mask = fx.splat_i(0x807f_ffff_u32 as i32);
    let half = fx.splat_i(0x3f00_0000);
    let m = fx.b.ins().band(xi, mant_mask);
    let m = fx.b.ins().bor(m, half);
    let m = fx.cast(F32X4, m);
    // m in [0.5, 1): below √½ use 2m − 1 and e − 1, else m − 1.
    let sqrthf = fx.splat(std::f32::consts::FRAC_1_SQRT_2);
    let small = fx.mask(FloatCC::LessThan, m, sqrthf);
    let one = fx.splat(1.0);
    let zero = fx.splat(0.0);
    let dec = fx.select(small, one, zero);
    ef = fx.b.ins().fsub(ef, dec);
    let extra = fx.select(small, m, zero);
    let m = fx.b.ins().fsub(m, one);
    let m = fx.b.ins().fadd(m, extra);
    let z = fx.b.ins().fmul(m, m);
    let p = fx.horner(m, &LOG_P);
    let mz = fx.b.ins().fmul(m, z);
    let y = fx.b.ins().fmul(p, mz);
    let y = fx.madd_c(ef, -2.121_944_4e-4, y);
    let y = fx.madd_c(z, -0.5, y);
    let r = fx.b.ins().fadd(m, y);
    let r = fx.madd_c(ef, 0.693_359_4, r);
    // Special cases: +inf, 0, negative (NaN), NaN.
    let inf = fx.splat(f32::INFINITY);
    let is_inf = fx.mask(FloatCC::Equal, x, inf);
    let r = fx.select(is_inf, inf, r);
    let is_zero = fx.mask(FloatCC::Equal, x, zero);
    let ninf = fx.splat(f32::NEG_INFINITY);
    let r = fx.select(is_zero, ninf, r);
    // Not `x >= 0` (negative or NaN) gives NaN; aarch64 has no unordered
    // vector compares, so select the other way round.
    let ok = fx.mask(FloatCC::GreaterThanOrEqual, x, zero);
    let nan = fx.splat(f32::NAN);
    fx.select(ok, r, nan)
}

/// The error function: `x·P(x²)` for `|x| < 1`, otherwise
/// `sign(x)·(1 − e^{−x²}·G(1/|x|))` with `|x|` clamped to 4 (least-squares
/// fits in relative error; evaluating `1 − erfc` keeps the absolute error
/// near ±1 at about one ulp, which a single rational `p/q` does not).
pub(crate) fn erf(fx: &mut Fx, x: Value) -> Value {
    let ax = fx.b.ins().fabs(x);
    // Small |x|.
    let z = fx.b.ins().fmul(x, x);
    let p = fx.horner(z, &ERF_SMALL);
    let small = fx.b.ins().fmul(p, x);
    // Large |x|: erfc(a) = e^{−a²}·G(1/a).
    let one = fx.splat(1.0);
    let four = fx.splat(4.0);
    let a = fx.vmax(ax, one);
    let a = fx.vmin(a, four);
    let u = fx.b.ins().fdiv(one, a);
    let g = fx.horner(u, &ERFC_G);
    let a2 = fx.b.ins().fmul(a, a);
    let na2 = fx.b.ins().fneg(a2);
    let e = exp(fx, na2);
    let erfc = fx.b.ins().fmul(e, g);
    let big = fx.b.ins().fsub(one, erfc);
    let sign = fx.splat_i(i32::MIN);
    let sign = fx.cast(F32X4, sign);
    let big = fx.select(sign, x, big);
    let is_small = fx.mask(FloatCC::LessThan, ax, one);
    fx.select(is_small, small, big)
}

/// Hyperbolic tangent.
pub(crate) fn tanh(fx: &mut Fx, x: Value) -> Value {
    let ax = fx.b.ins().fabs(x);
    // Large |x|: 1 − 2/(e^{2|x|} + 1), sign from x.
    let nine = fx.splat(9.0);
    let axc = fx.vmin(ax, nine);
    let two_ax = fx.b.ins().fadd(axc, axc);
    let e = exp(fx, two_ax);
    let one = fx.splat(1.0);
    let two = fx.splat(2.0);
    let d = fx.b.ins().fadd(e, one);
    let q = fx.b.ins().fdiv(two, d);
    let big = fx.b.ins().fsub(one, q);
    let sign = fx.splat_i(i32::MIN);
    let sign = fx.cast(F32X4, sign);
    let big = fx.select(sign, x, big);
    // Small |x|: x + x·z·P(z), z = x².
    let z = fx.b.ins().fmul(x, x);
    let p = fx.horner(z, &TANH_P);
    let xz = fx.b.ins().fmul(x, z);
    let small = fx.madd(p, xz, x);
    let lim = fx.splat(0.625);
    let is_small = fx.mask(FloatCC::LessThan, ax, lim);
    fx.select(is_small, small, big)
}

/// The logistic function `1 / (1 + e^{−x})`.
pub(crate) fn sigmoid(fx: &mut Fx, x: Value) -> Value {
    let nx = fx.b.ins().fneg(x);
    let e = exp(fx, nx);
    let one = fx.splat(1.0);
    let d = fx.b.ins().fadd(e, one);
    fx.b.ins().fdiv(one, d)
}

/// `x·Φ(x)` (exact GELU) through `erfc`, which is cheaper than `erf` and
/// keeps the negative tail accurate: with `z = |x|/√2`,
/// `erfc(z) = t·exp(−z² + P(t))`, `t = 1/(1 + z/2)` (Numerical Recipes'
/// `erfcc`, relative error < 1.2e-7), and `Φ(x) = erfc(z)/2` for `x < 0`,
/// `1 − erfc(z)/2` otherwise.
fn gelu(fx: &mut Fx, x: Value) -> Value {
    let ax = fx.b.ins().fabs(x);
    let s = fx.splat(std::f32::consts::FRAC_1_SQRT_2);
    let z = fx.b.ins().fmul(ax, s);
    let one = fx.splat(1.0);
    let d = fx.madd_c(z, 0.5, one);
    let t = fx.b.ins().fdiv(one, d);
    let p = fx.horner(t, &ERFCC_P);
    let z2 = fx.b.ins().fmul(z, z);
    let arg = fx.b.ins().fsub(p, z2);
    let e = exp(fx, arg);
    let erfc = fx.b.ins().fmul(t, e);
    let half = fx.splat(0.5);
    let lo = fx.b.ins().fmul(erfc, half);
    let hi = fx.b.ins().fsub(one, lo);
    let zero = fx.splat(0.0);
    let neg = fx.mask(FloatCC::LessThan, x, zero);
    let phi = fx.select(neg, lo, hi);
    fx.b.ins().fmul(x, phi)
}

/// `min(max(x, 0), 1)`.
fn clamp01(fx: &mut Fx, x: Value) -> Value {
    let zero = fx.splat(0.0);
    let one = fx.splat(1.0);
    let x = fx.vmax(x, zero);
    fx.vmin(x, one)
}

/// A fused activation on a vector.
pub(crate) fn activation(fx: &mut Fx, act: Activation, x: Value) -> Value {
    match act {
        Activation::None => x,
        Activation::Relu => {
            let zero = fx.splat(0.0);
            fx.vmax(x, zero)
        }
        Activation::Sigmoid => sigmoid(fx, x),
        Activation::HardSwish => {
            let half = fx.splat(0.5);
            let h = fx.madd_c(x, 1.0 / 6.0, half);
            let h = clamp01(fx, h);
            fx.b.ins().fmul(x, h)
        }
        Activation::HardSigmoid { alpha, beta } => {
            let b = fx.splat(beta);
            let h = fx.madd_c(x, alpha, b);
            clamp01(fx, h)
        }
        Activation::Gelu => gelu(fx, x),
        Activation::GeluTanh => {
            let x2 = fx.b.ins().fmul(x, x);
            let c = fx.splat(0.044_715);
            let one = fx.splat(1.0);
            let inner = fx.madd(x2, c, one);
            let inner = fx.b.ins().fmul(inner, x);
            let k = fx.splat((2.0 / std::f32::consts::PI).sqrt());
            let inner = fx.b.ins().fmul(inner, k);
            let t = tanh(fx, inner);
            let half = fx.splat(0.5);
            let hx = fx.b.ins().fmul(x, half);
            fx.madd(hx, t, hx)
        }
    }
}
