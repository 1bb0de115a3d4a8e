//! How finely the runtime may split each kernel: a kernel whose whole work is
//! small runs as one chunk on the calling thread, which also saves the
//! barriers around it when its neighbours are small too.

use vitc_lower::Kernel;

/// The least work (roughly: multiply-adds or elements touched) worth a chunk
/// of its own; smaller chunks cost more in synchronisation than they save.
pub const MIN_CHUNK_WORK: usize = 16 * 1024;

/// The most chunks the runtime may split `kernel` into (at least 1).
pub fn max_chunks(kernel: &Kernel) -> u32 {
    let total = kernel.work();
    u32::try_from(total / MIN_CHUNK_WORK).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitc_lower::Loc;
    use vitc_lower::{Fill, Gemm, Softmax};

    #[test]
    fn small_kernels_are_one_chunk() {
        assert_eq!(max_chunks(&Kernel::Fill(Fill { len: 1000, value: 0.0, out: Loc::arena(0) })), 1);
        assert_eq!(max_chunks(&Kernel::Fill(Fill { len: 0, value: 0.0, out: Loc::arena(0) })), 1);
        let softmax = Kernel::Softmax(Softmax { rows: 16, cols: 16, x: Loc::arena(0), out: Loc::arena(0) });
        assert_eq!(max_chunks(&softmax), 1);
    }

    #[test]
    fn large_kernels_split() {
        let gemm = Kernel::Gemm(Gemm {
            m: 196,
            n: 256,
            k: 128,
            batch: 1,
            a: Loc::arena(0),
            lda: 128,
            a_batch_stride: 0,
            b: vitc_lower::GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 },
            c: Loc::arena(0),
            ldc: 256,
            c_batch_stride: 0,
            bias: None,
            bias_batch_stride: 0,
            residual: None,
            act: vitc_lower::Activation::None,
        });
        assert_eq!(max_chunks(&gemm), (196 * 256 * 128 / MIN_CHUNK_WORK) as u32);
    }
}
