//! [`Scalar`]: the CPU mirror of [`Elem`] in Rust `f32`, one lane. It runs
//! the element functions operation for operation as the backends do, with
//! a fused `fma` ([`Scalar::FMA`], as on FMA targets and PTX) or a multiply
//! and an add ([`Scalar::NO_FMA`], as on SSE2 and NEON-less targets), so
//! their accuracy is tested here once for both kinds of target.

use super::{Cmp, Elem, RoundMode};

/// Evaluates [`Elem`] sequences on one `f32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scalar {
    /// Whether [`Elem::fma`] rounds once (fused) or twice.
    pub fused: bool,
}

impl Scalar {
    /// The mirror of targets with a fused multiply-add.
    pub const FMA: Scalar = Scalar { fused: true };
    /// The mirror of targets without one (SSE2).
    pub const NO_FMA: Scalar = Scalar { fused: false };
    /// Both mirrors.
    pub const BOTH: [Scalar; 2] = [Scalar::FMA, Scalar::NO_FMA];
}

impl Elem for Scalar {
    type V = f32;
    type I = i32;
    type M = bool;

    fn c(&mut self, v: f32) -> f32 {
        v
    }
    fn add(&mut self, a: f32, b: f32) -> f32 {
        a + b
    }
    fn sub(&mut self, a: f32, b: f32) -> f32 {
        a - b
    }
    fn mul(&mut self, a: f32, b: f32) -> f32 {
        a * b
    }
    fn div(&mut self, a: f32, b: f32) -> f32 {
        a / b
    }
    fn fma(&mut self, a: f32, b: f32, c: f32) -> f32 {
        if self.fused { a.mul_add(b, c) } else { a * b + c }
    }
    fn neg(&mut self, a: f32) -> f32 {
        -a
    }
    fn abs(&mut self, a: f32) -> f32 {
        a.abs()
    }
    fn sqrt(&mut self, a: f32) -> f32 {
        a.sqrt()
    }
    fn cmp(&mut self, cmp: Cmp, a: f32, b: f32) -> bool {
        match cmp {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Uno => a.is_nan() || b.is_nan(),
        }
    }
    fn sel(&mut self, m: bool, a: f32, b: f32) -> f32 {
        if m { a } else { b }
    }
    fn bits(&mut self, a: f32) -> i32 {
        a.to_bits() as i32
    }
    fn float_of_bits(&mut self, a: i32) -> f32 {
        f32::from_bits(a as u32)
    }
    fn ic(&mut self, v: i32) -> i32 {
        v
    }
    fn iadd(&mut self, a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
    fn isub(&mut self, a: i32, b: i32) -> i32 {
        a.wrapping_sub(b)
    }
    fn iand(&mut self, a: i32, b: i32) -> i32 {
        a & b
    }
    fn ior(&mut self, a: i32, b: i32) -> i32 {
        a | b
    }
    fn shl(&mut self, a: i32, n: u32) -> i32 {
        a.wrapping_shl(n)
    }
    fn shr(&mut self, a: i32, n: u32) -> i32 {
        ((a as u32) >> n) as i32
    }
    fn i_to_f(&mut self, a: i32) -> f32 {
        a as f32
    }
    fn round(&mut self, x: f32, mode: RoundMode) -> f32 {
        match mode {
            RoundMode::NearestEven => x.round_ties_even(),
            RoundMode::TowardZero => x.trunc(),
            RoundMode::Down => x.floor(),
            RoundMode::Up => x.ceil(),
        }
    }
    fn pow(&mut self, a: f32, b: f32) -> f32 {
        a.powf(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default (SSE2-style) rounding agrees with Rust's for every mode.
    #[test]
    fn default_round_matches_std() {
        let mut xs: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.25).collect();
        xs.extend([0.49999997, -0.49999997, 0.5, -0.5, 1.5, 2.5, -2.5, -0.0, 8_388_607.5, -8_388_609.0, 1e10, -1e10]);
        xs.extend([f32::INFINITY, f32::NEG_INFINITY]);
        for mode in [RoundMode::NearestEven, RoundMode::TowardZero, RoundMode::Down, RoundMode::Up] {
            for &x in &xs {
                let got = crate::elem::math::round_by_adds(&mut Scalar { fused: true }, x, mode);
                let want = Scalar { fused: true }.round(x, mode);
                assert!(
                    got.to_bits() == want.to_bits() || (got == 0.0 && want == 0.0),
                    "{mode:?}({x}) = {got}, std gives {want}"
                );
            }
            assert!(crate::elem::math::round_by_adds(&mut Scalar { fused: true }, f32::NAN, mode).is_nan());
        }
    }
}
