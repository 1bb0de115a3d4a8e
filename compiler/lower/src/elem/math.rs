//! The transcendental functions, once for every backend, as straight-line
//! [`Elem`] code (no calls, no tables). Coefficients are given in `f64`,
//! highest power first, and rounded to f32 constants.
//!
//! * `exp`: `x = n·ln2 + r`, `|r| ≤ ln2/2` (Cephes `expf`: `n` rounded by
//!   adding `1.5·2^23`, a degree-7 polynomial, `2^n` built in the exponent
//!   bits); above `ln(FLT_MAX)` `+inf`, below −86.5 zero (no subnormal
//!   results).
//! * `log`: Cephes `logf` (mantissa in `[√½, √2)`, a degree-9 polynomial),
//!   subnormal inputs scaled by 2^23 first; `log 0 = −inf`, negative → NaN.
//! * `erf`: the rational minimax `x·P(x²)/Q(x²)` on `[−4, 4]` (the f32 form
//!   XLA and Eigen use), `±1` beyond; one reciprocal, no exponential.
//! * `tanh`: Cephes `tanhf`: `x + x³·P(x²)` below 0.625, else
//!   `1 − 2/(e^{2|x|} + 1)` with the sign of `x`.
//! * `sigmoid = 1/(1 + e^{−x})`; `pow` through `exp(b·log|a|)` with the
//!   sign and special cases of `powf`; `fmod` and the floored modulo by
//!   one rounded division and an exact correction.
//!
//! Every function returns NaN for a NaN input. Accuracy is tested against
//! `f64` over sweeps in `tests/elem_accuracy.rs` (about 1e-6 relative or
//! better; `erf` within 5e-7 absolute, a few ulp of 1 near `|x| = 4`).

use super::{Cmp, Elem, RoundMode};

/// `exp(r) ≈ 1 + r + r²·P(r)` on `|r| ≤ ln2/2` (Cephes `expf`).
pub const EXP_P: [f64; 6] = [
    1.987_569_150_0e-4,
    1.398_199_950_7e-3,
    8.333_451_907_3e-3,
    4.166_579_589_4e-2,
    1.666_666_545_9e-1,
    5.000_000_120_1e-1,
];

/// `log(1 + m) ≈ m − m²/2 + m³·P(m)` on `[√½ − 1, √2 − 1)` (Cephes `logf`).
pub const LOG_P: [f64; 9] = [
    7.037_683_629_2e-2,
    -1.151_461_031_0e-1,
    1.167_699_874_0e-1,
    -1.242_014_084_6e-1,
    1.424_932_278_7e-1,
    -1.666_805_766_5e-1,
    2.000_071_476_5e-1,
    -2.499_999_399_3e-1,
    3.333_333_117_4e-1,
];

/// `tanh(x) ≈ x + x³·P(x²)` on `|x| < 0.625` (Cephes `tanhf`).
pub const TANH_P: [f64; 5] =
    [-5.704_988_727_45e-3, 2.063_908_879_54e-2, -5.373_971_555_31e-2, 1.333_144_220_36e-1, -3.333_328_194_22e-1];

/// The numerator of `erf(x) ≈ x·P(x²)/Q(x²)` on `[−4, 4]` (XLA's and
/// Eigen's f32 rational minimax form).
pub const ERF_P: [f64; 7] = [
    -2.726_142_258_013_06e-10,
    2.770_681_424_959_02e-8,
    -2.101_024_020_825_08e-6,
    -5.692_506_394_623_46e-5,
    -7.349_906_303_268_55e-4,
    -2.954_599_808_540_25e-3,
    -1.609_603_332_624_15e-2,
];

/// The denominator of [`ERF_P`].
pub const ERF_Q: [f64; 5] = [
    -1.456_607_184_649_96e-5,
    -2.133_740_552_789_05e-4,
    -1.682_826_974_382_03e-3,
    -7.373_329_167_204_68e-3,
    -1.426_473_905_141_89e-2,
];

/// Horner's rule, `coeffs` from the highest power down.
pub fn horner<E: Elem + ?Sized>(e: &mut E, x: E::V, coeffs: &[f64]) -> E::V {
    let Some((&first, rest)) = coeffs.split_first() else {
        return e.c(0.0);
    };
    let mut acc = e.c(first as f32);
    for &k in rest {
        let k = e.c(k as f32);
        acc = e.fma(acc, x, k);
    }
    acc
}

/// `a·k + c` with a constant `k`.
pub fn fma_c<E: Elem + ?Sized>(e: &mut E, a: E::V, k: f32, c: E::V) -> E::V {
    let k = e.c(k);
    e.fma(a, k, c)
}

/// `max(x, lo)` that keeps a NaN `x` (the compare is false for NaN).
pub fn at_least<E: Elem + ?Sized>(e: &mut E, x: E::V, lo: f32) -> E::V {
    let l = e.c(lo);
    let below = e.cmp(Cmp::Lt, x, l);
    e.sel(below, l, x)
}

/// `min(x, hi)` that keeps a NaN `x`.
pub fn at_most<E: Elem + ?Sized>(e: &mut E, x: E::V, hi: f32) -> E::V {
    let h = e.c(hi);
    let above = e.cmp(Cmp::Gt, x, h);
    e.sel(above, h, x)
}

/// `|mag|` with the sign bit of `sign`.
pub fn copy_sign<E: Elem + ?Sized>(e: &mut E, mag: E::V, sign: E::V) -> E::V {
    let m = e.bits(mag);
    let s = e.bits(sign);
    let abs_mask = e.ic(i32::MAX);
    let sign_mask = e.ic(i32::MIN);
    let m = e.iand(m, abs_mask);
    let s = e.iand(s, sign_mask);
    let r = e.ior(m, s);
    e.float_of_bits(r)
}

/// `e^x`.
pub fn exp<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    const HI: f32 = 88.722_84; // ln(FLT_MAX)
    const LO: f32 = -86.5; // keeps 2^(n-1) a normal number
    let xc = at_most(e, x, HI);
    let xc = at_least(e, xc, LO);
    // t = x·log2(e) + 1.5·2^23 rounds n to the nearest integer in t's low bits.
    let magic = e.c(12_582_912.0);
    let t = fma_c(e, xc, std::f32::consts::LOG2_E, magic);
    let n = e.sub(t, magic);
    let r = fma_c(e, n, -0.693_359_4, xc);
    let r = fma_c(e, n, 2.121_944_4e-4, r);
    let p = horner(e, r, &EXP_P);
    let r2 = e.mul(r, r);
    let p = e.fma(p, r2, r);
    let one = e.c(1.0);
    let p = e.add(p, one);
    // 2^(n-1) from the integer in t's mantissa: (t_bits << 23) + (126 << 23).
    let ti = e.bits(t);
    let ti = e.shl(ti, 23);
    let bias = e.ic(126 << 23);
    let ti = e.iadd(ti, bias);
    let scale = e.float_of_bits(ti);
    let y = e.mul(p, scale);
    let y = e.add(y, y);
    let hi = e.c(HI);
    let over = e.cmp(Cmp::Gt, x, hi);
    let inf = e.c(f32::INFINITY);
    let y = e.sel(over, inf, y);
    let lo = e.c(LO);
    let under = e.cmp(Cmp::Lt, x, lo);
    let zero = e.c(0.0);
    e.sel(under, zero, y)
}

/// Natural logarithm.
pub fn log<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    // Subnormal inputs: scale by 2^23 and take 23 off the exponent.
    let tiny = e.c(f32::MIN_POSITIVE);
    let sub = e.cmp(Cmp::Lt, x, tiny);
    let two23 = e.c(8_388_608.0);
    let scaled = e.mul(x, two23);
    let xs = e.sel(sub, scaled, x);
    let zero = e.c(0.0);
    let adj = e.c(-23.0);
    let kadj = e.sel(sub, adj, zero);

    let xi = e.bits(xs);
    let ex = e.shr(xi, 23);
    let c126 = e.ic(126);
    let ex = e.isub(ex, c126);
    let ef = e.i_to_f(ex);
    let ef = e.add(ef, kadj);
    let mant_mask = e.ic(0x807f_ffff_u32 as i32);
    let half = e.ic(0x3f00_0000);
    let m = e.iand(xi, mant_mask);
    let m = e.ior(m, half);
    let m = e.float_of_bits(m);
    // m in [0.5, 1): below √½ use 2m − 1 and e − 1, else m − 1.
    let sqrthf = e.c(std::f32::consts::FRAC_1_SQRT_2);
    let small = e.cmp(Cmp::Lt, m, sqrthf);
    let one = e.c(1.0);
    let dec = e.sel(small, one, zero);
    let ef = e.sub(ef, dec);
    let extra = e.sel(small, m, zero);
    let m = e.sub(m, one);
    let m = e.add(m, extra);
    let z = e.mul(m, m);
    let p = horner(e, m, &LOG_P);
    let mz = e.mul(m, z);
    let y = e.mul(p, mz);
    let y = fma_c(e, ef, -2.121_944_4e-4, y);
    let y = fma_c(e, z, -0.5, y);
    let r = e.add(m, y);
    let r = fma_c(e, ef, 0.693_359_4, r);
    // Special cases: +inf, 0, negative or NaN.
    let inf = e.c(f32::INFINITY);
    let is_inf = e.cmp(Cmp::Eq, x, inf);
    let r = e.sel(is_inf, inf, r);
    let is_zero = e.cmp(Cmp::Eq, x, zero);
    let ninf = e.c(f32::NEG_INFINITY);
    let r = e.sel(is_zero, ninf, r);
    let ok = e.cmp(Cmp::Ge, x, zero);
    let nan = e.c(f32::NAN);
    e.sel(ok, r, nan)
}

/// The error function: `x·P(x²)/Q(x²)` with `x` clamped to `[−4, 4]`
/// (beyond which `erf` is `±1` in f32).
pub fn erf<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let xc = at_most(e, x, 4.0);
    let xc = at_least(e, xc, -4.0);
    let z = e.mul(xc, xc);
    let p = horner(e, z, &ERF_P);
    let q = horner(e, z, &ERF_Q);
    let xp = e.mul(xc, p);
    let rq = e.recip_fast(q);
    e.mul(xp, rq)
}

/// Hyperbolic tangent.
pub fn tanh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let ax = e.abs(x);
    // Large |x|: 1 − 2/(e^{2|x|} + 1), sign from x.
    let axc = at_most(e, ax, 10.0);
    let two_ax = e.add(axc, axc);
    let ex = exp(e, two_ax);
    let one = e.c(1.0);
    let two = e.c(2.0);
    let d = e.add(ex, one);
    let q = e.div(two, d);
    let big = e.sub(one, q);
    let big = copy_sign(e, big, x);
    // Small |x|: x + x·z·P(z), z = x².
    let z = e.mul(x, x);
    let p = horner(e, z, &TANH_P);
    let xz = e.mul(x, z);
    let small = e.fma(p, xz, x);
    let lim = e.c(0.625);
    let is_small = e.cmp(Cmp::Lt, ax, lim);
    e.sel(is_small, small, big)
}

/// The logistic function `1 / (1 + e^{−x})`.
pub fn sigmoid<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let nx = e.neg(x);
    let ex = exp(e, nx);
    let one = e.c(1.0);
    let d = e.add(ex, one);
    e.div(one, d)
}

/// `powf(a, b)`: `exp(b·log|a|)`, negative bases for integral exponents,
/// `b == 0` or `a == 1` give 1, `b == 2` is exactly `a·a`.
pub fn pow<E: Elem + ?Sized>(e: &mut E, a: E::V, b: E::V) -> E::V {
    let abs_a = e.abs(a);
    let l = log(e, abs_a);
    let bl = e.mul(b, l);
    let r = exp(e, bl);
    let nr = e.neg(r);
    let rb = e.round(b, RoundMode::NearestEven);
    let b_int = e.cmp(Cmp::Eq, rb, b);
    let half = e.c(0.5);
    let hb = e.mul(b, half);
    let rhb = e.round(hb, RoundMode::NearestEven);
    let zero = e.c(0.0);
    let one = e.c(1.0);
    // Odd integral exponent: b integral and b/2 not.
    let even = e.cmp(Cmp::Eq, rhb, hb);
    let odd_f = e.sel(even, zero, one);
    let int_f = e.sel(b_int, odd_f, zero);
    let odd = e.cmp(Cmp::Ne, int_f, zero);
    let neg_base = e.cmp(Cmp::Lt, a, zero);
    let signed = e.sel(odd, nr, r);
    let nan = e.c(f32::NAN);
    let neg_val = e.sel(b_int, signed, nan);
    let y = e.sel(neg_base, neg_val, r);
    let two = e.c(2.0);
    let is_two = e.cmp(Cmp::Eq, b, two);
    let sq = e.mul(a, a);
    let y = e.sel(is_two, sq, y);
    let b_zero = e.cmp(Cmp::Eq, b, zero);
    let y = e.sel(b_zero, one, y);
    let a_one = e.cmp(Cmp::Eq, a, one);
    e.sel(a_one, one, y)
}

/// `a − q·b` for `q = round(a/b)` in `mode`, corrected by one `b` where
/// the rounded quotient overshot (the remainder's sign disagrees with
/// `sign_of`). Exact for integer operands below 2^24; for floats exact
/// up to the quotient's rounding where `fma` is fused, within two ulp of
/// `a` where it is not.
fn remainder<E: Elem + ?Sized>(e: &mut E, a: E::V, b: E::V, mode: RoundMode, sign_of: E::V) -> E::V {
    let d = e.div(a, b);
    let q = e.round(d, mode);
    let nq = e.neg(q);
    let r = e.fma(nq, b, a);
    // r and sign_of on opposite sides of zero: move r by b toward sign_of.
    let zero = e.c(0.0);
    let r_neg = e.cmp(Cmp::Lt, r, zero);
    let r_pos = e.cmp(Cmp::Gt, r, zero);
    let s_neg = e.cmp(Cmp::Lt, sign_of, zero);
    let s_pos = e.cmp(Cmp::Gt, sign_of, zero);
    let one = e.c(1.0);
    let rn = e.sel(r_neg, one, zero);
    let rp = e.sel(r_pos, one, zero);
    let sn = e.sel(s_neg, one, zero);
    let sp = e.sel(s_pos, one, zero);
    // wrong = rn·sp + rp·sn (0 or 1).
    let w1 = e.mul(rn, sp);
    let wrong = e.fma(rp, sn, w1);
    let ab = e.abs(b);
    let toward = copy_sign(e, ab, sign_of);
    e.fma(wrong, toward, r)
}

/// C's `fmod(a, b)`: `a − trunc(a/b)·b`, the sign of `a` (ONNX `Mod`
/// with `fmod = 1`); NaN for `b == 0`.
pub fn fmod<E: Elem + ?Sized>(e: &mut E, a: E::V, b: E::V) -> E::V {
    let r = remainder(e, a, b, RoundMode::TowardZero, a);
    let r = copy_sign_if_zero(e, r, a);
    // An infinite divisor leaves a finite `a` as it is.
    let b_inf = is_inf(e, b);
    let r = e.sel(b_inf, a, r);
    nan_for_zero_divisor(e, r, b)
}

/// The floored modulo `a − floor(a/b)·b`, the sign of `b` (ONNX `Mod` with
/// `fmod = 0`, Python's `%`); NaN for `b == 0`.
pub fn floor_mod<E: Elem + ?Sized>(e: &mut E, a: E::V, b: E::V) -> E::V {
    let r = remainder(e, a, b, RoundMode::Down, b);
    // A zero remainder takes the sign of `b` (as numpy's `mod`).
    let r = copy_sign_if_zero(e, r, b);
    // An infinite divisor: `a` when both have one sign, else `b` itself.
    let zero = e.c(0.0);
    let ab = e.mul(a, b);
    let opposite = e.cmp(Cmp::Lt, ab, zero);
    let r_inf = e.sel(opposite, b, a);
    let b_inf = is_inf(e, b);
    let r = e.sel(b_inf, r_inf, r);
    nan_for_zero_divisor(e, r, b)
}

/// `|x| == ∞`.
fn is_inf<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::M {
    let ax = e.abs(x);
    let inf = e.c(f32::INFINITY);
    e.cmp(Cmp::Eq, ax, inf)
}

/// A zero remainder takes the sign of `sign`.
fn copy_sign_if_zero<E: Elem + ?Sized>(e: &mut E, r: E::V, sign: E::V) -> E::V {
    let zero = e.c(0.0);
    let is_zero = e.cmp(Cmp::Eq, r, zero);
    let signed = copy_sign(e, r, sign);
    e.sel(is_zero, signed, r)
}

fn nan_for_zero_divisor<E: Elem + ?Sized>(e: &mut E, r: E::V, b: E::V) -> E::V {
    let zero = e.c(0.0);
    let bad = e.cmp(Cmp::Eq, b, zero);
    let nan = e.c(f32::NAN);
    e.sel(bad, nan, r)
}

/// [`Elem::round`]'s default, with adds and compares only: `|x| + 2^23 −
/// 2^23` rounds `|x| < 2^23` to nearest even (larger values, infinities and
/// NaN are integers already and pass through), then steps by one for the
/// other modes; the sign is put back last.
pub fn round_by_adds<E: Elem + ?Sized>(e: &mut E, x: E::V, mode: RoundMode) -> E::V {
    const TWO_23: f32 = 8_388_608.0;
    let a = e.abs(x);
    let big = e.c(TWO_23);
    let s = e.add(a, big);
    let r = e.sub(s, big);
    let small = e.cmp(Cmp::Lt, a, big);
    let r = e.sel(small, r, a);
    let signed = copy_sign(e, r, x);
    let one = e.c(1.0);
    let zero = e.c(0.0);
    match mode {
        RoundMode::NearestEven => signed,
        RoundMode::TowardZero => {
            // |x| rounded up: step back toward zero.
            let up = e.cmp(Cmp::Gt, r, a);
            let step = e.sel(up, one, zero);
            let t = e.sub(r, step);
            copy_sign(e, t, x)
        }
        RoundMode::Down => {
            let up = e.cmp(Cmp::Gt, signed, x);
            let step = e.sel(up, one, zero);
            e.sub(signed, step)
        }
        RoundMode::Up => {
            let down = e.cmp(Cmp::Lt, signed, x);
            let step = e.sel(down, one, zero);
            e.add(signed, step)
        }
    }
}
