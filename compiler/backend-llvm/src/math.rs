//! Vectorised f32 elementary functions and the fused activations as LLVM
//! IR on vectors of any width (no libm calls), with the polynomials
//! ([`vitc_lower::math_consts`]) and constants of the Cranelift backend's
//! `math.rs` except for `erf`:
//!
//! * `exp`: `x = n·ln2 + r`, Cephes' degree-7 polynomial, `2^n` built in the
//!   exponent bits; above `ln(FLT_MAX)` gives `+inf`, below −86.5 gives 0.
//! * `log`: Cephes `logf` (mantissa in `[√½, √2)`, degree-9 polynomial).
//! * `erf`: a rational function `x·P(x²)/Q(x²)` on `[−4, 4]`, `±1` beyond
//!   (cheaper than the Cranelift backend's polynomial-plus-`erfc` form,
//!   which needs an exponential and a division too).
//! * `tanh`: Cephes `tanhf`: a polynomial below 0.625, else
//!   `1 − 2/(e^{2|x|} + 1)`.
//! * `sigmoid = 1 / (1 + e^{−x})`; GELU as `½x·(1 + erf(x/√2))`.

use vitc_lower::Activation;
use vitc_lower::math_consts::{EXP_P, LOG_P, TANH_P};

use crate::fx::{Fp, Fx, R, V};

/// `erf(x) ≈ x·P(x²) / Q(x²)` on `[−4, 4]` (the rational minimax
/// approximation XLA and Eigen use for f32; within a few ulp): numerator,
/// highest power first.
const ERF_P: [f64; 7] = [
    -2.726_142_258_013_06e-10,
    2.770_681_424_959_02e-8,
    -2.101_024_020_825_08e-6,
    -5.692_506_394_623_46e-5,
    -7.349_906_303_268_55e-4,
    -2.954_599_808_540_25e-3,
    -1.609_603_332_624_15e-2,
];

/// The denominator of [`ERF_P`], highest power first.
const ERF_Q: [f64; 5] = [
    -1.456_607_184_649_96e-5,
    -2.133_740_552_789_05e-4,
    -1.682_826_974_382_03e-3,
    -7.373_329_167_204_68e-3,
    -1.426_473_905_141_89e-2,
];

/// `e^x`.
pub(crate) fn exp<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    const HI: f32 = 88.722_84;
    const LO: f32 = -86.5;
    let (hi, lo) = (fx.cst(x, HI), fx.cst(x, LO));
    let xc = fx.vmin(x, hi)?;
    let xc = fx.vmax(xc, lo)?;
    let magic = fx.cst(x, 12_582_912.0);
    let t = fx.madd(xc, fx.cst(x, std::f32::consts::LOG2_E), magic)?;
    let n = fx.fsub(t, magic)?;
    let r = fx.madd_c(n, -0.693_359_4, xc)?;
    let r = fx.madd_c(n, 2.121_944_4e-4, r)?;
    let p = fx.horner(r, &EXP_P)?;
    let r2 = fx.fmul(r, r)?;
    let p = fx.madd(p, r2, r)?;
    let p = fx.fadd(p, fx.cst(x, 1.0))?;
    // 2^(n-1) from the integer in t's mantissa: (t_bits << 23) + (126 << 23).
    let ti = fx.as_int(t)?;
    let ti = fx.b.build_left_shift(ti, fx.cst_i(x, 23), "")?;
    let ti = fx.b.build_int_add(ti, fx.cst_i(x, 126 << 23), "")?;
    let scale = fx.as_float(ti)?;
    let y = fx.fmul(p, scale)?;
    let y = fx.fadd(y, y)?;
    let over = fx.fcmp(Fp::OGT, x, hi)?;
    let y = fx.select(over, fx.cst(x, f32::INFINITY), y)?;
    let under = fx.fcmp(Fp::OLT, x, lo)?;
    fx.select(under, fx.cst(x, 0.0), y)
}

/// Natural logarithm.
pub(crate) fn log<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let xi = fx.as_int(x)?;
    let e = fx.b.build_right_shift(xi, fx.cst_i(x, 23), false, "")?;
    let e = fx.b.build_int_sub(e, fx.cst_i(x, 126), "")?;
    let ef = fx.b.build_signed_int_to_float(e, x.get_type(), "")?;
    let m = fx.b.build_and(xi, fx.cst_i(x, 0x807f_ffff_u32 as i32), "")?;
    let m = fx.b.build_or(m, fx.cst_i(x, 0x3f00_0000), "")?;
    let m = fx.as_float(m)?;
    let (one, zero) = (fx.cst(x, 1.0), fx.cst(x, 0.0));
    let small = fx.fcmp(Fp::OLT, m, fx.cst(x, std::f32::consts::FRAC_1_SQRT_2))?;
    let dec = fx.select(small, one, zero)?;
    let ef = fx.fsub(ef, dec)?;
    let extra = fx.select(small, m, zero)?;
    let m = fx.fsub(m, one)?;
    let m = fx.fadd(m, extra)?;
    let z = fx.fmul(m, m)?;
    let p = fx.horner(m, &LOG_P)?;
    let mz = fx.fmul(m, z)?;
    let y = fx.fmul(p, mz)?;
    let y = fx.madd_c(ef, -2.121_944_4e-4, y)?;
    let y = fx.madd_c(z, -0.5, y)?;
    let r = fx.fadd(m, y)?;
    let r = fx.madd_c(ef, 0.693_359_4, r)?;
    let inf = fx.cst(x, f32::INFINITY);
    let is_inf = fx.fcmp(Fp::OEQ, x, inf)?;
    let r = fx.select(is_inf, inf, r)?;
    let is_zero = fx.fcmp(Fp::OEQ, x, zero)?;
    let r = fx.select(is_zero, fx.cst(x, f32::NEG_INFINITY), r)?;
    let ok = fx.fcmp(Fp::OGE, x, zero)?;
    fx.select(ok, r, fx.cst(x, f32::NAN))
}

/// `sign(x)·mag` (sign bit of `x` copied onto `mag`, which is positive).
fn with_sign<'c>(fx: &Fx<'_, 'c>, x: V<'c>, mag: V<'c>) -> R<V<'c>> {
    fx.intr("llvm.copysign", &[mag, x])
}

/// The error function: `x·P(x²)/Q(x²)` with `x` clamped to `[−4, 4]`
/// (beyond which `erf` is `±1` in f32); one reciprocal, no exponential.
pub(crate) fn erf<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let xc = fx.vmax(fx.vmin(x, fx.cst(x, 4.0))?, fx.cst(x, -4.0))?;
    let z = fx.fmul(xc, xc)?;
    let p = fx.horner(z, &ERF_P)?;
    let q = fx.horner(z, &ERF_Q)?;
    fx.fmul(fx.fmul(xc, p)?, recip(fx, q)?)
}

/// `1/q` for `q` away from 0 and ∞. With AVX-512 a 14-bit estimate
/// (`vrcp14ps`) refined by one Newton step (`r·(2 − q·r)`, about 28 bits),
/// several times the throughput of `vdivps zmm`; elsewhere a division.
fn recip<'c>(fx: &Fx<'_, 'c>, q: V<'c>) -> R<V<'c>> {
    if fx.isa.aarch64 || fx.isa.lanes != 16 || q.get_type().get_size() != 16 {
        return fx.fdiv(fx.cst(q, 1.0), q);
    }
    let r = fx.x86_rcp14(q)?;
    let e = fx.madd(fx.fneg(q)?, r, fx.cst(q, 2.0))?;
    fx.fmul(r, e)
}

/// Hyperbolic tangent.
pub(crate) fn tanh<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let ax = fx.intr("llvm.fabs", &[x])?;
    let axc = fx.vmin(ax, fx.cst(x, 9.0))?;
    let two_ax = fx.fadd(axc, axc)?;
    let e = exp(fx, two_ax)?;
    let one = fx.cst(x, 1.0);
    let d = fx.fadd(e, one)?;
    let q = fx.fdiv(fx.cst(x, 2.0), d)?;
    let big = fx.fsub(one, q)?;
    let big = with_sign(fx, x, big)?;
    let z = fx.fmul(x, x)?;
    let p = fx.horner(z, &TANH_P)?;
    let xz = fx.fmul(x, z)?;
    let small = fx.madd(p, xz, x)?;
    let is_small = fx.fcmp(Fp::OLT, ax, fx.cst(x, 0.625))?;
    fx.select(is_small, small, big)
}

/// `1 / (1 + e^{−x})`.
pub(crate) fn sigmoid<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let e = exp(fx, fx.fneg(x)?)?;
    let one = fx.cst(x, 1.0);
    let d = fx.fadd(e, one)?;
    fx.fdiv(one, d)
}

/// `x·Φ(x) = ½x·(1 + erf(x/√2))`.
fn gelu<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let e = erf(fx, fx.fmul(x, fx.cst(x, std::f32::consts::FRAC_1_SQRT_2))?)?;
    let hx = fx.fmul(x, fx.cst(x, 0.5))?;
    fx.madd(hx, e, hx)
}

/// `min(max(x, 0), 1)`.
fn clamp01<'c>(fx: &Fx<'_, 'c>, x: V<'c>) -> R<V<'c>> {
    let x = fx.vmax(x, fx.cst(x, 0.0))?;
    fx.vmin(x, fx.cst(x, 1.0))
}

/// A fused activation on a vector.
pub(crate) fn activation<'c>(fx: &Fx<'_, 'c>, act: Activation, x: V<'c>) -> R<V<'c>> {
    match act {
        Activation::None => Ok(x),
        Activation::Relu => {
            // x when x > 0 or NaN (as the reference), else 0.
            let keep = fx.fcmp(Fp::UGT, x, fx.cst(x, 0.0))?;
            fx.select(keep, x, fx.cst(x, 0.0))
        }
        Activation::Sigmoid => sigmoid(fx, x),
        Activation::HardSwish => {
            let h = fx.madd_c(x, 1.0 / 6.0, fx.cst(x, 0.5))?;
            let h = clamp01(fx, h)?;
            fx.fmul(x, h)
        }
        Activation::HardSigmoid { alpha, beta } => {
            let h = fx.madd_c(x, alpha, fx.cst(x, beta))?;
            clamp01(fx, h)
        }
        Activation::Gelu => gelu(fx, x),
        Activation::GeluTanh => {
            let x2 = fx.fmul(x, x)?;
            let inner = fx.madd(x2, fx.cst(x, 0.044_715), fx.cst(x, 1.0))?;
            let inner = fx.fmul(inner, x)?;
            let inner = fx.fmul(inner, fx.cst(x, (2.0 / std::f32::consts::PI).sqrt()))?;
            let t = tanh(fx, inner)?;
            let hx = fx.fmul(x, fx.cst(x, 0.5))?;
            fx.madd(hx, t, hx)
        }
    }
}
