//! Transcendental functions as straight-line [`Fp`] code (no calls, no
//! tables): `exp` by range reduction and `ex2.approx` with an exact 2^k
//! scale, `log` by the fdlibm/musl `logf` method, `tanh` by a Taylor
//! polynomial near zero and `1 − 2/(e^{2|x|}+1)` beyond, `erf` by a Taylor
//! polynomial near zero and a Chebyshev fit of `erfc` beyond, `pow` through
//! `exp(b·log|a|)` with the sign and special cases of `powf`. Accuracy
//! (tested on the CPU mirror): about 1e-6 relative or better.

use crate::fp::Fp;

const LOG2E: f32 = std::f32::consts::LOG2_E;

/// `e^x`.
pub fn exp<E: Fp>(e: &mut E, x: E::V) -> E::V {
    // Beyond [−104, 89] the result is 0 or +inf anyway; the clamp keeps NaN.
    let (lo, hi) = (e.c(-104.0), e.c(89.0));
    let x = e.max_nan(x, lo);
    let x = e.min_nan(x, hi);
    let log2e = e.c(LOG2E);
    let t = e.mul(x, log2e);
    let j = e.round(t, "rni");
    // f = x − j·ln2 in two steps (ln2_hi has few significant bits).
    let ln2_hi = e.c(-f32::from_bits(0x3f31_7200));
    let ln2_lo = e.c(-f32::from_bits(0x35bf_be8e));
    let f = e.fma(j, ln2_hi, x);
    let f = e.fma(j, ln2_lo, f);
    let g = e.mul(f, log2e);
    let p = e.ex2(g);
    // 2^j as two exact powers of two in the normal range.
    let ji = e.to_int(j);
    let j1 = e.ishr(ji, 1);
    let j2 = e.isub(ji, j1);
    let s1 = pow2(e, j1);
    let s2 = pow2(e, j2);
    let r = e.mul(p, s1);
    e.mul(r, s2)
}

/// `2^k` for `k` in −126..=127, built from its bits.
fn pow2<E: Fp>(e: &mut E, k: E::I) -> E::V {
    let bias = e.ic(127);
    let b = e.iadd(k, bias);
    let b = e.ishl(b, 23);
    e.f_of_bits(b)
}

/// Natural logarithm (musl `logf`), with `log(0) = −inf`, `log(x<0) = NaN`.
pub fn log<E: Fp>(e: &mut E, x: E::V) -> E::V {
    let tiny = e.c(f32::MIN_POSITIVE);
    let sub = e.cmp("lt", x, tiny);
    let scale = e.c(8_388_608.0); // 2^23
    let xs_scaled = e.mul(x, scale);
    let xs = e.sel(sub, xs_scaled, x);
    let adj_sub = e.c(-23.0);
    let zero = e.c(0.0);
    let kadj = e.sel(sub, adj_sub, zero);

    let ix = e.bits(xs);
    let off = e.ic(0x3f80_0000 - 0x3f35_04f3);
    let ix = e.iadd(ix, off);
    let k = e.ishr(ix, 23);
    let b = e.ic(0x7f);
    let k = e.isub(k, b);
    let mask = e.ic(0x007f_ffff);
    let m = e.iand(ix, mask);
    let base = e.ic(0x3f35_04f3);
    let m = e.iadd(m, base);
    let m = e.f_of_bits(m);

    let one = e.c(1.0);
    let two = e.c(2.0);
    let f = e.sub(m, one);
    let d = e.add(two, f);
    let s = e.div(f, d);
    let z = e.mul(s, s);
    let w = e.mul(z, z);
    let lg1 = e.c(0x00aa_aaaa as f32 / 16_777_216.0);
    let lg2 = e.c(0x00cc_ce13 as f32 / 33_554_432.0);
    let lg3 = e.c(0x0091_e9ee as f32 / 33_554_432.0);
    let lg4 = e.c(0x00f8_9e26 as f32 / 67_108_864.0);
    let t1 = e.mul(w, lg4);
    let t1 = e.add(lg2, t1);
    let t1 = e.mul(w, t1);
    let t2 = e.mul(w, lg3);
    let t2 = e.add(lg1, t2);
    let t2 = e.mul(z, t2);
    let r = e.add(t2, t1);
    let half = e.c(0.5);
    let hf = e.mul(half, f);
    let hfsq = e.mul(hf, f);
    let dk = e.int_to_f(k);
    let dk = e.add(dk, kadj);
    let ln2_hi = e.c(f32::from_bits(0x3f31_7180));
    let ln2_lo = e.c(f32::from_bits(0x3717_f7d1));
    let a = e.add(hfsq, r);
    let a = e.mul(s, a);
    let lo = e.mul(dk, ln2_lo);
    let a = e.add(a, lo);
    let a = e.sub(a, hfsq);
    let a = e.add(a, f);
    let hi = e.mul(dk, ln2_hi);
    let y = e.add(a, hi);

    // Special cases: 0 → −inf, negative → NaN, +inf → +inf, NaN → NaN.
    let is_zero = e.cmp("eq", x, zero);
    let ninf = e.c(f32::NEG_INFINITY);
    let y = e.sel(is_zero, ninf, y);
    let neg = e.cmp("lt", x, zero);
    let nan = e.c(f32::NAN);
    let y = e.sel(neg, nan, y);
    let inf = e.c(f32::INFINITY);
    let is_inf = e.cmp("eq", x, inf);
    let y = e.sel(is_inf, inf, y);
    let is_nan = e.is_nan(x);
    e.sel(is_nan, x, y)
}

/// Evaluates `c[0] + c[1]·s + c[2]·s² + …` by Horner's rule.
fn horner<E: Fp>(e: &mut E, s: E::V, coeffs: &[f64]) -> E::V {
    let mut acc = e.c(coeffs.last().copied().unwrap_or(0.0) as f32);
    for &c in coeffs.iter().rev().skip(1) {
        let c = e.c(c as f32);
        acc = e.fma(acc, s, c);
    }
    acc
}

/// `tanh(x)`.
pub fn tanh<E: Fp>(e: &mut E, x: E::V) -> E::V {
    // Near zero: x · P(x²), the Taylor series of tanh (terms fall by
    // (2x/π)² ≈ 0.12 per step at the cutoff).
    const TAYLOR: [f64; 10] = [
        1.0,
        -1.0 / 3.0,
        2.0 / 15.0,
        -17.0 / 315.0,
        62.0 / 2835.0,
        -1382.0 / 155_925.0,
        21844.0 / 6_081_075.0,
        -929_569.0 / 638_512_875.0,
        6_404_582.0 / 10_854_718_875.0,
        -443_861_162.0 / 1_856_156_927_625.0,
    ];
    let s = e.mul(x, x);
    let p = horner(e, s, &TAYLOR[1..]);
    let p = e.mul(p, s);
    let small = e.fma(p, x, x);
    // Elsewhere: 1 − 2/(e^{2|x|} + 1), sign restored.
    let a = e.abs(x);
    let two = e.c(2.0);
    let a2 = e.mul(a, two);
    let ex = exp(e, a2);
    let one = e.c(1.0);
    let d = e.add(ex, one);
    let q = e.div(two, d);
    let big = e.sub(one, q);
    let neg = e.neg(big);
    let zero = e.c(0.0);
    let is_neg = e.cmp("lt", x, zero);
    let big = e.sel(is_neg, neg, big);
    let cutoff = e.c(0.55);
    let use_small = e.cmp("lt", a, cutoff);
    let y = e.sel(use_small, small, big);
    let is_nan = e.is_nan(x);
    e.sel(is_nan, x, y)
}

/// `erf(x)`.
pub fn erf<E: Fp>(e: &mut E, x: E::V) -> E::V {
    // Near zero: (2/√π) Σ (−1)^n x^{2n+1} / (n! (2n+1)).
    let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
    let mut taylor = [0.0f64; 8];
    let mut fact = 1.0f64;
    for (n, c) in taylor.iter_mut().enumerate() {
        if n > 0 {
            fact *= n as f64;
        }
        let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
        *c = two_over_sqrt_pi * sign / (fact * (2 * n + 1) as f64);
    }
    let s = e.mul(x, x);
    let p = horner(e, s, &taylor);
    let small = e.mul(p, x);
    // Elsewhere 1 − erfc(|x|) with erfc(z) = t·e^{−z² + P(t)}, t = 1/(1 + z/2)
    // (the Chebyshev fit of Numerical Recipes' `erfcc`, relative error < 1.2e-7).
    let a = e.abs(x);
    let half = e.c(0.5);
    let one = e.c(1.0);
    let den = e.fma(half, a, one);
    let t = e.div(one, den);
    let poly = horner(
        e,
        t,
        &[
            -1.265_512_23,
            1.000_023_68,
            0.374_091_96,
            0.096_784_18,
            -0.186_288_06,
            0.278_868_07,
            -1.135_203_98,
            1.488_515_87,
            -0.822_152_23,
            0.170_872_77,
        ],
    );
    let ns = e.neg(s);
    let arg = e.add(ns, poly);
    let g = exp(e, arg);
    let tail = e.mul(t, g);
    let big = e.sub(one, tail);
    let nbig = e.neg(big);
    let zero = e.c(0.0);
    let is_neg = e.cmp("lt", x, zero);
    let big = e.sel(is_neg, nbig, big);
    let cutoff = e.c(0.5);
    let use_small = e.cmp("lt", a, cutoff);
    let y = e.sel(use_small, small, big);
    let is_nan = e.is_nan(x);
    e.sel(is_nan, x, y)
}

/// `powf(a, b)`: `exp(b·log|a|)`, negative bases for integral exponents,
/// `b == 0` or `a == 1` give 1, `b == 2` is exactly `a·a`.
pub fn pow<E: Fp>(e: &mut E, a: E::V, b: E::V) -> E::V {
    let abs_a = e.abs(a);
    let l = log(e, abs_a);
    let bl = e.mul(b, l);
    let r = exp(e, bl);
    let nr = e.neg(r);
    let rb = e.round(b, "rni");
    let b_int = e.cmp("eq", rb, b);
    let half = e.c(0.5);
    let hb = e.mul(b, half);
    let rhb = e.round(hb, "rni");
    let even = e.cmp("eq", rhb, hb);
    let odd = e.not(even);
    let odd = e.and(b_int, odd);
    let zero = e.c(0.0);
    let neg_base = e.cmp("lt", a, zero);
    let signed = e.sel(odd, nr, r);
    let nan = e.c(f32::NAN);
    let neg_val = e.sel(b_int, signed, nan);
    let y = e.sel(neg_base, neg_val, r);
    let two = e.c(2.0);
    let is_two = e.cmp("eq", b, two);
    let sq = e.mul(a, a);
    let y = e.sel(is_two, sq, y);
    let one = e.c(1.0);
    let b_zero = e.cmp("eq", b, zero);
    let a_one = e.cmp("eq", a, one);
    let trivial = e.or(b_zero, a_one);
    e.sel(trivial, one, y)
}

/// `1 / (1 + e^{−x})`, computed without overflow on either side.
pub fn sigmoid<E: Fp>(e: &mut E, x: E::V) -> E::V {
    let a = e.abs(x);
    let na = e.neg(a);
    let ex = exp(e, na);
    let one = e.c(1.0);
    let d = e.add(one, ex);
    let pos = e.div(one, d);
    let neg = e.div(ex, d);
    let zero = e.c(0.0);
    let ge = e.cmp("ge", x, zero);
    let y = e.sel(ge, pos, neg);
    let is_nan = e.is_nan(x);
    e.sel(is_nan, x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fp::Cpu;

    /// Largest relative error of `f` against `reference` over a sweep,
    /// with the denominator floored at `floor` (absolute error below it).
    fn worst(f: impl Fn(f32) -> f32, reference: impl Fn(f32) -> f32, lo: f32, hi: f32, floor: f32) -> (f32, f32) {
        let mut worst = (0.0f32, 0.0f32);
        let n = 200_000;
        for i in 0..=n {
            let x = lo + (hi - lo) * i as f32 / n as f32;
            let (y, r) = (f(x), reference(x));
            let err = (y - r).abs() / r.abs().max(floor);
            if err > worst.0 || err.is_nan() {
                worst = (err, x);
            }
        }
        worst
    }

    #[test]
    fn exp_is_accurate() {
        let (err, at) = worst(|x| exp(&mut Cpu, x), f32::exp, -87.0, 88.0, 0.0);
        assert!(err < 1e-6, "exp: {err:e} at {at}");
        assert_eq!(exp(&mut Cpu, f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(&mut Cpu, f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(&mut Cpu, 100.0), f32::INFINITY);
        assert_eq!(exp(&mut Cpu, -200.0), 0.0);
        assert!(exp(&mut Cpu, f32::NAN).is_nan());
        let sub = exp(&mut Cpu, -100.0);
        assert!((sub - (-100.0f32).exp()).abs() <= 2.0 * f32::from_bits(1), "{sub:e}");
    }

    #[test]
    fn log_is_accurate() {
        let (err, at) = worst(|x| log(&mut Cpu, x), f32::ln, 1e-6, 1e4, 1e-30);
        assert!(err < 1e-6, "log: {err:e} at {at}");
        let (err, at) = worst(|x| log(&mut Cpu, x), f32::ln, 0.9, 1.1, 1e-30);
        assert!(err < 1e-6, "log near 1: {err:e} at {at}");
        assert_eq!(log(&mut Cpu, 0.0), f32::NEG_INFINITY);
        assert!(log(&mut Cpu, -1.0).is_nan());
        assert_eq!(log(&mut Cpu, f32::INFINITY), f32::INFINITY);
        let d = f32::from_bits(1000);
        assert!((log(&mut Cpu, d) - d.ln()).abs() < 1e-5);
    }

    #[test]
    fn tanh_is_accurate() {
        let (err, at) = worst(|x| tanh(&mut Cpu, x), f32::tanh, -12.0, 12.0, 1e-30);
        assert!(err < 1e-6, "tanh: {err:e} at {at}");
        let (err, at) = worst(|x| tanh(&mut Cpu, x), f32::tanh, -1e-3, 1e-3, 1e-30);
        assert!(err < 1e-6, "tanh near 0: {err:e} at {at}");
        assert_eq!(tanh(&mut Cpu, f32::INFINITY), 1.0);
        assert_eq!(tanh(&mut Cpu, f32::NEG_INFINITY), -1.0);
    }

    #[test]
    fn erf_is_accurate() {
        let (err, at) = worst(|x| erf(&mut Cpu, x), libm::erff, -6.0, 6.0, 1e-30);
        assert!(err < 1e-6, "erf: {err:e} at {at}");
        assert_eq!(erf(&mut Cpu, f32::INFINITY), 1.0);
        assert_eq!(erf(&mut Cpu, f32::NEG_INFINITY), -1.0);
    }

    #[test]
    fn sigmoid_and_pow_are_accurate() {
        let sig = |x: f32| if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) };
        let (err, at) = worst(|x| sigmoid(&mut Cpu, x), sig, -80.0, 80.0, 1e-30);
        assert!(err < 1e-6, "sigmoid: {err:e} at {at}");
        let (err, at) = worst(|x| pow(&mut Cpu, x, 0.5), |x| x.powf(0.5), 0.0, 100.0, 1e-30);
        assert!(err < 1e-6, "pow(x, 0.5): {err:e} at {at}");
        let (err, at) = worst(|x| pow(&mut Cpu, x, 3.0), |x| x.powf(3.0), -10.0, 10.0, 1e-30);
        assert!(err < 2e-6, "pow(x, 3): {err:e} at {at}");
        assert_eq!(pow(&mut Cpu, -3.0, 2.0), 9.0);
        assert!(pow(&mut Cpu, -3.0, 0.5).is_nan());
        assert_eq!(pow(&mut Cpu, 0.0, 0.0), 1.0);
        assert_eq!(pow(&mut Cpu, 0.0, -1.0), f32::INFINITY);
    }
}
