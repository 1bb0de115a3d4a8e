//! The weights blob: f32 tensors and u32 index tables, each at a
//! [`WEIGHT_ALIGN`]-byte aligned offset, and the GEMM panel packing of
//! [`crate::GemmB::Packed`].

use crate::program::WEIGHT_ALIGN;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Builds the little-endian weights blob. Identical tensors are stored once.
#[derive(Clone, Debug, Default)]
pub(crate) struct WeightsBuilder {
    bytes: Vec<u8>,
    /// Byte offsets of the tensors stored so far, by content hash.
    seen: HashMap<u64, Vec<(usize, usize)>>,
}

impl WeightsBuilder {
    /// Appends `data` (already little-endian) unless the same bytes are
    /// stored already; returns the offset in 4-byte elements.
    fn add_bytes(&mut self, data: &[u8]) -> usize {
        let mut h = DefaultHasher::new();
        data.hash(&mut h);
        let key = h.finish();
        if let Some(&(at, _)) =
            self.seen.get(&key).and_then(|v| v.iter().find(|(at, len)| self.bytes.get(*at..at + len) == Some(data)))
        {
            return at / 4;
        }
        let at = self.align() * 4;
        self.bytes.extend_from_slice(data);
        self.seen.entry(key).or_default().push((at, data.len()));
        at / 4
    }

    /// Pads to the next aligned offset and returns it in 4-byte elements.
    fn align(&mut self) -> usize {
        let padded = self.bytes.len().div_ceil(WEIGHT_ALIGN) * WEIGHT_ALIGN;
        self.bytes.resize(padded, 0);
        padded / 4
    }

    /// Appends f32 values; returns their offset in elements.
    pub fn add_f32(&mut self, values: &[f32]) -> usize {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.add_bytes(&bytes)
    }

    /// Appends u32 values; returns their offset in elements.
    pub fn add_u32(&mut self, values: &[u32]) -> usize {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.add_bytes(&bytes)
    }

    /// The finished blob (its length a multiple of the alignment).
    pub fn finish(mut self) -> Vec<u8> {
        self.align();
        self.bytes
    }
}

/// Packs the `k × n` matrix `b(kk, j)` into panels of `nr` columns:
/// panel `p` is `k` rows of `nr` floats, columns past `n` zero.
pub fn pack_b(k: usize, n: usize, nr: usize, b: impl Fn(usize, usize) -> f32) -> Vec<f32> {
    let panels = n.div_ceil(nr);
    let mut out = vec![0.0f32; panels * k * nr];
    for p in 0..panels {
        for kk in 0..k {
            let row = (p * k + kk) * nr;
            for jj in 0..nr {
                let j = p * nr + jj;
                if j < n {
                    out[row + jj] = b(kk, j);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::GEMM_NR;

    #[test]
    fn tensors_start_on_aligned_offsets() {
        let mut w = WeightsBuilder::default();
        assert_eq!(w.add_f32(&[1.0, 2.0, 3.0]), 0);
        assert_eq!(w.add_u32(&[7]), WEIGHT_ALIGN / 4);
        assert_eq!(w.add_f32(&[4.0]), 2 * WEIGHT_ALIGN / 4);
        assert_eq!(w.add_f32(&[1.0, 2.0, 3.0]), 0, "identical tensors are stored once");
        let blob = w.finish();
        assert_eq!(blob.len() % WEIGHT_ALIGN, 0);
        assert_eq!(&blob[4..8], &2.0f32.to_le_bytes());
        assert_eq!(&blob[WEIGHT_ALIGN..WEIGHT_ALIGN + 4], &7u32.to_le_bytes());
    }

    #[test]
    fn panels_hold_columns_and_zero_padding() {
        // b(kk, j) = 100 kk + j for a 3 × 10 matrix: two panels of 8
        // columns, or one of 16.
        let (k, n) = (3, 10);
        for (nr, panels) in [(GEMM_NR, 2), (16, 1)] {
            let packed = pack_b(k, n, nr, |kk, j| (100 * kk + j) as f32);
            assert_eq!(packed.len(), panels * k * nr);
            for p in 0..panels {
                for kk in 0..k {
                    for jj in 0..nr {
                        let j = p * nr + jj;
                        let want = if j < n { (100 * kk + j) as f32 } else { 0.0 };
                        assert_eq!(packed[(p * k + kk) * nr + jj], want, "nr {nr} panel {p} row {kk} col {jj}");
                    }
                }
            }
        }
    }
}
