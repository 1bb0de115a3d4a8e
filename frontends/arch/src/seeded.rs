//! Deterministic stand-in weights for building a model without a checkpoint.
//!
//! These are **not trained weights**: the logits mean nothing. They exist so
//! that every architecture builds, compiles and runs as a demo or benchmark.
//! Each tensor gets its own xorshift64* stream seeded from the build seed and
//! an FNV-1a hash of the tensor's name, so values do not depend on the order
//! in which a definition asks for tensors. Values are drawn with integer
//! arithmetic and `f32` scaling only (a sum of four uniforms for the
//! normal-ish draws), so they are bit-identical on every platform.

use ndarray::{ArrayD, IxDyn};

/// How a tensor is initialised when no checkpoint is given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// A weight read by `fan_in` inputs per output: normal-ish with std `1/√fan_in`.
    FanIn(usize),
    /// Normal-ish with the given std (biases, tokens, position embeddings, bias tables).
    Normal(f32),
    /// Uniform in `[lo, hi)` (norm scales, BatchNorm running variances).
    Uniform(f32, f32),
}

/// The default seed of [`crate::WeightSource::Seeded`] when none is chosen.
pub const DEFAULT_SEED: u64 = 0x5eed_0f1c;

/// A small, fast generator (Vigna's xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64, name: &str) -> XorShift {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let s = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        XorShift(if s == 0 { 0x2545_f491_4f6c_dd1d } else { s })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1) with 24 bits.
    fn uniform(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u32 << 24) as f32
    }

    /// Mean 0, variance 1 (Irwin–Hall with four terms, rescaled).
    fn normalish(&mut self) -> f32 {
        let s = self.uniform() + self.uniform() + self.uniform() + self.uniform();
        (s - 2.0) * 3.0f32.sqrt()
    }
}

/// The seeded tensor `name` of the given shape.
pub fn seeded_tensor(seed: u64, name: &str, shape: &[usize], init: Init) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let mut rng = XorShift::new(seed, name);
    let values: Vec<f32> = match init {
        Init::FanIn(fan_in) => {
            let std = 1.0 / (fan_in.max(1) as f32).sqrt();
            (0..n).map(|_| rng.normalish() * std).collect()
        }
        Init::Normal(std) => (0..n).map(|_| rng.normalish() * std).collect(),
        Init::Uniform(lo, hi) => (0..n).map(|_| lo + (hi - lo) * rng.uniform()).collect(),
    };
    ArrayD::from_shape_vec(IxDyn(shape), values).unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_name_and_seed() {
        let a = seeded_tensor(1, "w", &[64], Init::FanIn(16));
        assert_eq!(a, seeded_tensor(1, "w", &[64], Init::FanIn(16)));
        assert_ne!(a, seeded_tensor(2, "w", &[64], Init::FanIn(16)));
        assert_ne!(a, seeded_tensor(1, "v", &[64], Init::FanIn(16)));
    }

    #[test]
    fn statistics_are_sane() {
        let a = seeded_tensor(7, "w", &[100_000], Init::FanIn(4));
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let var = a.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / a.len() as f32;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 0.25).abs() < 0.01, "{var}");
        let u = seeded_tensor(7, "g", &[10_000], Init::Uniform(0.5, 1.5));
        assert!(u.iter().all(|&v| (0.5..1.5).contains(&v)));
    }
}
