//! How finely the runtime may split each kernel: a kernel whose whole work is
//! small runs as one chunk on the calling thread, which also saves the
//! barriers around it when its neighbours are small too.

use vitc_lower::Kernel;

/// The least work (roughly: multiply-adds or elements touched) worth a chunk
/// of its own; smaller chunks cost more in synchronisation than they save.
pub const MIN_CHUNK_WORK: usize = 16 * 1024;

/// Estimated work of one index of the kernel's outer loop.
fn work_per_index(kernel: &Kernel) -> usize {
    match kernel {
        Kernel::Gemm { n, k, .. } => n.saturating_mul(*k),
        Kernel::Map { op, dims, .. } => dims.iter().skip(1).product::<usize>().saturating_mul(op.arity()),
        Kernel::Gather { indices, inner, .. } => indices.saturating_mul(*inner),
        Kernel::Softmax { cols, .. } | Kernel::LayerNorm { cols, .. } => cols.saturating_mul(4),
        Kernel::Reduce { reduce, inner, .. } => reduce.saturating_mul(*inner),
        Kernel::Conv2d { geom, .. } => {
            [geom.oh, geom.ow, geom.c / geom.groups.max(1), geom.kh, geom.kw].iter().product()
        }
        Kernel::Im2col { geom, .. } => [geom.ow, geom.c, geom.kh, geom.kw].iter().product(),
        Kernel::Pool2d { geom, .. } => [geom.oh, geom.ow, geom.kh, geom.kw].iter().product(),
        // `oh, ow` are the input sizes here: each output channel gathers every
        // input pixel of its group through the kernel window.
        Kernel::ConvTranspose2d { geom, .. } => {
            [geom.oh, geom.ow, geom.c / geom.groups.max(1), geom.kh, geom.kw].iter().product()
        }
        Kernel::Fill { .. } => 1,
        Kernel::Attention { geom: g, lepe, .. } => {
            let taps = lepe.map_or(0, |l| l.kh * l.kw);
            g.m.saturating_mul(g.d + g.dv + 8).saturating_add(taps.saturating_mul(g.dv))
        }
        Kernel::Resample { dst_axis, inner, taps, .. } => [*dst_axis, *inner, *taps].iter().product(),
    }
}

/// The most chunks the runtime may split `kernel` into (at least 1).
pub fn max_chunks(kernel: &Kernel) -> u32 {
    let total = kernel.extent().saturating_mul(work_per_index(kernel).max(1));
    u32::try_from(total / MIN_CHUNK_WORK).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitc_lower::Loc;

    #[test]
    fn small_kernels_are_one_chunk() {
        assert_eq!(max_chunks(&Kernel::Fill { len: 1000, value: 0.0, out: Loc::arena(0) }), 1);
        assert_eq!(max_chunks(&Kernel::Fill { len: 0, value: 0.0, out: Loc::arena(0) }), 1);
        let softmax = Kernel::Softmax { rows: 16, cols: 16, x: Loc::arena(0), out: Loc::arena(0) };
        assert_eq!(max_chunks(&softmax), 1);
    }

    #[test]
    fn large_kernels_split() {
        let gemm = Kernel::Gemm {
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
        };
        assert_eq!(max_chunks(&gemm), (196 * 256 * 128 / MIN_CHUNK_WORK) as u32);
    }
}
