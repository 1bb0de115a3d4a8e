//! [`Rng`]: the one deterministic generator of test data (xorshift64*).
//! The sequence for a seed is part of the contract: tests with seeded data
//! (the kernel samples, the backends' chunkings) rely on it staying the same.

/// xorshift64*: `u64`s, indices and floats in `[lo, hi)` from a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// An index in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A float in `[lo, hi)` (24 random bits).
    pub fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    /// `n` floats in `[lo, hi)`.
    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.f32(lo, hi)).collect()
    }

    /// A random byte (the top byte of a draw).
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_of_a_seed_is_fixed() {
        // The kernel samples and the backends' chunkings are built from these
        // sequences; changing the algorithm changes every seeded test.
        let mut r = Rng::new(7);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, PINNED);
        let mut r = Rng::new(99);
        assert_eq!(r.f32(-1.0, 1.0).to_bits(), PINNED_F32);
    }

    const PINNED: [u64; 3] = [0x671e_db9d_e9e9_afb7, 0x67e5_3669_d5fb_6b34, 0x974e_a030_4616_1d80];
    const PINNED_F32: u32 = 0xbf37_cac8;

    #[test]
    fn ranges_are_respected() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let v = r.f32(-2.0, 3.0);
            assert!((-2.0..3.0).contains(&v), "{v}");
            assert!(r.below(5) < 5);
        }
        assert_eq!(r.vec(17, 0.0, 1.0).len(), 17);
        assert_eq!(r.bytes(9).len(), 9);
    }
}
