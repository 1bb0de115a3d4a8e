//! The trigonometric and hyperbolic functions and their inverses, once for
//! every backend, in the primitives of [`Elem`] and the functions of
//! [`super::math`]:
//!
//! * `sin`, `cos`: `x = k·π/2 + r` (Cody–Waite, π/2 in three parts, exact
//!   `k·C1` for `|x|` below about 10^5), Cephes `sinf`/`cosf` polynomials on
//!   `|r| ≤ π/4`, the quadrant `k mod 4` choosing the polynomial and the
//!   sign; `tan = sin/cos`. Past about 10^5 the reduction loses accuracy.
//! * `atan`: Cephes `atanf` (reduction by `tan π/8` and `tan 3π/8`, a
//!   degree-4 polynomial in `x²`); `asin x = atan(x/√((1−x)(1+x)))`,
//!   `acos x = 2·atan(√((1−x)/(1+x)))`.
//! * `sinh`, `cosh`: a Taylor polynomial below 1 (sinh), else
//!   `h ∓ 1/(4h)` with `h = e^{|x|}/2` computed as `e^{|x|/2}·e^{|x|/2}/2`,
//!   which stays finite as far as the results do.
//! * `asinh`, `acosh`, `atanh` through an accurate `log1p` (Goldberg's
//!   `log(w)·u/(w−1)`, `w = 1 + u`); `log|x| + ln 2` for `|x|` above 2^12.
//!
//! NaN gives NaN. Accuracy is tested against `f64` in `tests/elem_accuracy.rs`.

use super::math::{copy_sign, exp, horner, log};
use super::{Cmp, Elem, RoundMode};

/// `sin(r) ≈ r + r·z·P(z)`, `z = r²`, `|r| ≤ π/4` (Cephes `sinf`).
const SIN_P: [f64; 3] = [-1.951_529_589_1e-4, 8.332_160_873_6e-3, -1.666_665_461_1e-1];
/// `cos(r) ≈ 1 − z/2 + z²·P(z)` (Cephes `cosf`).
const COS_P: [f64; 3] = [2.443_315_711_809_948e-5, -1.388_731_625_493_765e-3, 4.166_664_568_298_827e-2];
/// `atan(t) ≈ t + t·z·P(z)` on `|t| ≤ tan π/8` (Cephes `atanf`).
const ATAN_P: [f64; 4] = [8.053_744_495_38e-2, -1.387_768_560_32e-1, 1.997_771_064_78e-1, -3.333_294_915_39e-1];

/// `(s, c) = (sin r, cos r)` on the reduced argument and `m = k mod 4` for
/// `x + shift·π/2`.
fn reduce<E: Elem + ?Sized>(e: &mut E, x: E::V, shift: f32) -> (E::V, E::V, E::V) {
    const C1: f32 = 1.570_312_5;
    const C2: f32 = 4.837_513e-4;
    const C3: f32 = 7.549_79e-8;
    let two_over_pi = e.c(std::f32::consts::FRAC_2_PI);
    let t = e.mul(x, two_over_pi);
    let k = e.round(t, RoundMode::NearestEven);
    let (m1, m2, m3) = (e.c(-C1), e.c(-C2), e.c(-C3));
    let r = e.fma(k, m1, x);
    let r = e.fma(k, m2, r);
    let r = e.fma(k, m3, r);
    let z = e.mul(r, r);
    let ps = horner(e, z, &SIN_P);
    let rz = e.mul(r, z);
    let s = e.fma(rz, ps, r);
    let pc = horner(e, z, &COS_P);
    let zz = e.mul(z, z);
    let half = e.c(-0.5);
    let one = e.c(1.0);
    let c = e.fma(z, half, one);
    let c = e.fma(zz, pc, c);
    // m = (k + shift) mod 4, exact in floats.
    let sh = e.c(shift);
    let q = e.add(k, sh);
    let quarter = e.c(0.25);
    let q4 = e.mul(q, quarter);
    let q4 = e.round(q4, RoundMode::Down);
    let four = e.c(-4.0);
    let m = e.fma(q4, four, q);
    (s, c, m)
}

/// `sin(x + shift·π/2)` from the reduction.
fn sine_shifted<E: Elem + ?Sized>(e: &mut E, x: E::V, shift: f32) -> E::V {
    let (s, c, m) = reduce(e, x, shift);
    // Odd quadrants take the cosine; quadrants 2 and 3 are negative.
    let (one, three, two) = (e.c(1.0), e.c(3.0), e.c(2.0));
    let is1 = e.cmp(Cmp::Eq, m, one);
    let is3 = e.cmp(Cmp::Eq, m, three);
    let v = e.sel(is1, c, s);
    let v = e.sel(is3, c, v);
    let negative = e.cmp(Cmp::Ge, m, two);
    let nv = e.neg(v);
    e.sel(negative, nv, v)
}

/// `sin x`.
pub fn sin<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    sine_shifted(e, x, 0.0)
}

/// `cos x = sin(x + π/2)`.
pub fn cos<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    sine_shifted(e, x, 1.0)
}

/// `tan x = sin x / cos x`.
pub fn tan<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let s = sin(e, x);
    let c = cos(e, x);
    e.div(s, c)
}

/// `atan x`.
pub fn atan<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    let (t3, t1) = (e.c(2.414_213_6), e.c(0.414_213_57));
    let big = e.cmp(Cmp::Gt, a, t3);
    let mid = e.cmp(Cmp::Gt, a, t1);
    let one = e.c(1.0);
    let minus_one = e.c(-1.0);
    let inv = e.div(minus_one, a);
    let am1 = e.sub(a, one);
    let ap1 = e.add(a, one);
    let moved = e.div(am1, ap1);
    let t = e.sel(mid, moved, a);
    let t = e.sel(big, inv, t);
    let zero = e.c(0.0);
    let quarter_pi = e.c(std::f32::consts::FRAC_PI_4);
    let half_pi = e.c(std::f32::consts::FRAC_PI_2);
    let y0 = e.sel(mid, quarter_pi, zero);
    let y0 = e.sel(big, half_pi, y0);
    let z = e.mul(t, t);
    let p = horner(e, z, &ATAN_P);
    let tz = e.mul(t, z);
    let y = e.fma(tz, p, t);
    let y = e.add(y0, y);
    copy_sign(e, y, x)
}

/// NaN (one constant, whatever NaN the steps made) where `|x| > limit`,
/// else `y`: the steps mix NaNs of different signs, and which one an
/// operation keeps depends on its operand order, which the code generator
/// may commute; out of the domain every backend and chunking then gives
/// the same bits.
fn nan_beyond<E: Elem + ?Sized>(e: &mut E, x: E::V, limit: f32, y: E::V) -> E::V {
    let a = e.abs(x);
    let l = e.c(limit);
    let outside = e.cmp(Cmp::Gt, a, l);
    let nan = e.c(f32::NAN);
    e.sel(outside, nan, y)
}

/// `asin x = atan(x / √((1 − x)(1 + x)))`.
pub fn asin<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let one = e.c(1.0);
    let a = e.sub(one, x);
    let b = e.add(one, x);
    let d = e.mul(a, b);
    let d = e.sqrt(d);
    let t = e.div(x, d);
    let y = atan(e, t);
    nan_beyond(e, x, 1.0, y)
}

/// `acos x = 2·atan(√((1 − x)/(1 + x)))`.
pub fn acos<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let one = e.c(1.0);
    let a = e.sub(one, x);
    let b = e.add(one, x);
    let q = e.div(a, b);
    let q = e.sqrt(q);
    let t = atan(e, q);
    let y = e.add(t, t);
    nan_beyond(e, x, 1.0, y)
}

/// `h = e^{|x|}/2` without overflowing before the result does.
fn half_exp<E: Elem + ?Sized>(e: &mut E, a: E::V) -> E::V {
    let half = e.c(0.5);
    let ah = e.mul(a, half);
    let eh = exp(e, ah);
    let hh = e.mul(eh, half);
    e.mul(eh, hh)
}

/// `sinh x`.
pub fn sinh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    // Taylor below 1: a + a³/3! + … + a⁹/9!.
    let z = e.mul(a, a);
    let p = horner(e, z, &[1.0 / 362_880.0, 1.0 / 5040.0, 1.0 / 120.0, 1.0 / 6.0]);
    let az = e.mul(a, z);
    let small = e.fma(az, p, a);
    let h = half_exp(e, a);
    let quarter = e.c(0.25);
    let q = e.div(quarter, h);
    let large = e.sub(h, q);
    let one = e.c(1.0);
    let is_small = e.cmp(Cmp::Lt, a, one);
    let y = e.sel(is_small, small, large);
    copy_sign(e, y, x)
}

/// `cosh x`.
pub fn cosh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    let h = half_exp(e, a);
    let quarter = e.c(0.25);
    let q = e.div(quarter, h);
    e.add(h, q)
}

/// `log(1 + u)` for `u ≥ −1`, accurate for small `u` (Goldberg).
fn log1p<E: Elem + ?Sized>(e: &mut E, u: E::V) -> E::V {
    let one = e.c(1.0);
    let w = e.add(one, u);
    let l = log(e, w);
    let wm1 = e.sub(w, one);
    let lu = e.mul(l, u);
    let r = e.div(lu, wm1);
    let exact = e.cmp(Cmp::Eq, w, one);
    let r = e.sel(exact, u, r);
    let inf = e.c(f32::INFINITY);
    let infinite = e.cmp(Cmp::Eq, u, inf);
    e.sel(infinite, inf, r)
}

/// `log|x| + ln 2`, the asymptote of asinh and acosh for large `|x|`.
fn log_twice<E: Elem + ?Sized>(e: &mut E, a: E::V) -> E::V {
    let l = log(e, a);
    let ln2 = e.c(std::f32::consts::LN_2);
    e.add(l, ln2)
}

/// `asinh x = sign(x)·log1p(|x| + x²/(1 + √(1 + x²)))`.
pub fn asinh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    let one = e.c(1.0);
    let z = e.mul(a, a);
    let s = e.add(z, one);
    let s = e.sqrt(s);
    let s = e.add(s, one);
    let f = e.div(z, s);
    let u = e.add(a, f);
    let near = log1p(e, u);
    let far = log_twice(e, a);
    let limit = e.c(4096.0);
    let is_far = e.cmp(Cmp::Gt, a, limit);
    let y = e.sel(is_far, far, near);
    copy_sign(e, y, x)
}

/// `acosh x = log1p((x − 1) + √((x − 1)(x + 1)))`, NaN below 1.
pub fn acosh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let one = e.c(1.0);
    let xm1 = e.sub(x, one);
    let xp1 = e.add(x, one);
    let p = e.mul(xm1, xp1);
    let r = e.sqrt(p);
    let u = e.add(xm1, r);
    let near = log1p(e, u);
    let far = log_twice(e, x);
    let limit = e.c(4096.0);
    let is_far = e.cmp(Cmp::Gt, x, limit);
    let y = e.sel(is_far, far, near);
    let below = e.cmp(Cmp::Lt, x, one);
    let nan = e.c(f32::NAN);
    e.sel(below, nan, y)
}

/// `atanh x = sign(x)·½·log1p(2|x|/(1 − |x|))`.
pub fn atanh<E: Elem + ?Sized>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    let one = e.c(1.0);
    let d = e.sub(one, a);
    let twice = e.add(a, a);
    let u = e.div(twice, d);
    let l = log1p(e, u);
    let half = e.c(0.5);
    let y = e.mul(l, half);
    let y = copy_sign(e, y, x);
    nan_beyond(e, x, 1.0, y)
}
