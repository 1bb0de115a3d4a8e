//! GEMM samples: edge tiles and odd panel counts, batches, B packed (in
//! panels of 8 and of 16 columns), strided and transposed, every epilogue
//! (bias, residual, activation), column-split GEMMs, and q·kᵀ.

use super::{A0, A1, A2, A3, Sample, pack};
use crate::Rng;
use vitc_lower::Gemm;
use vitc_lower::{Activation, GEMM_COL_BLOCK, GEMM_NR, GemmB, Kernel, Loc};

/// `(m, n, k, batch, B layout, activation)`: B layout 0 packed (bias and
/// residual), 1 strided row-major (residual, no bias), 2 strided transposed
/// (bias, no residual), 3 packed in panels of 16 (bias and residual).
const SMALL: [(usize, usize, usize, usize, usize, Activation); 13] = [
    (13, 21, 17, 1, 0, Activation::None),
    (9, 16, 8, 2, 0, Activation::Gelu),
    (11, 13, 9, 2, 1, Activation::HardSwish),
    (10, 12, 7, 3, 2, Activation::Relu),
    (17, 5, 33, 1, 2, Activation::Sigmoid),
    (50, 40, 70, 1, 0, Activation::None),
    (23, 24, 16, 2, 0, Activation::GeluTanh),
    (29, 19, 12, 2, 1, Activation::None),
    (31, 27, 21, 2, 2, Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }),
    // Panels of 16 columns (what the driver packs for AVX-512).
    (13, 21, 17, 1, 3, Activation::None),
    (50, 40, 70, 1, 3, Activation::Gelu),
    (23, 71, 16, 2, 3, Activation::HardSwish),
    (9, 8, 5, 1, 3, Activation::None),
];

/// The [`SMALL`] GEMMs and two column-split ones, over their own arenas.
pub(super) fn small(rng: &mut Rng, out: &mut Vec<Sample>) {
    for (m, n, k, batch, kind, act) in SMALL {
        let (a_len, c_len, b_len) = (batch * m * k, batch * m * n, batch * k * n);
        let init = rng.vec(a_len + 2 * c_len + b_len, -1.0, 1.0);
        let nr = if kind == 3 { 16 } else { GEMM_NR };
        let mut weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n, nr);
        let bias_at = weights.len();
        weights.extend(rng.vec(n, -1.0, 1.0));
        let b = match kind {
            0 | 3 => GemmB::Packed { at: Loc::weights(0), nr, batch_stride: 0 },
            1 => GemmB::Strided {
                at: Loc::arena(a_len + 2 * c_len),
                row_stride: n as isize,
                col_stride: 1,
                batch_stride: (k * n) as isize,
            },
            _ => GemmB::Strided {
                at: Loc::arena(a_len + 2 * c_len),
                row_stride: 1,
                col_stride: k as isize,
                batch_stride: (k * n) as isize,
            },
        };
        let g = Kernel::Gemm(Gemm {
            m,
            n,
            k,
            batch,
            a: Loc::arena(0),
            lda: k,
            a_batch_stride: m * k,
            b,
            c: Loc::arena(a_len),
            ldc: n,
            c_batch_stride: m * n,
            bias: (kind != 1).then_some(Loc::weights(bias_at)),
            bias_batch_stride: 0,
            residual: (kind != 2).then_some(Loc::arena(a_len + c_len)),
            act,
        });
        out.push(Sample { name: format!("gemm {m}x{n}x{k}x{batch} B{kind}"), kernels: vec![g], init, weights });
    }
    // Column-split GEMMs (as the lowering emits for few rows): the batches
    // are blocks of columns of one product, with the blocks' panels, bias
    // and residual columns.
    for (m, k, nr, act) in [(5, 23, GEMM_NR, Activation::Relu), (13, 40, 16, Activation::Gelu)] {
        let (nb, blocks) = (GEMM_COL_BLOCK, 3);
        let n = nb * blocks;
        let (a_len, c_len) = (m * k, m * n);
        let init = rng.vec(a_len + 2 * c_len, -1.0, 1.0);
        let mut weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n, nr);
        let bias_at = weights.len();
        weights.extend(rng.vec(n, -1.0, 1.0));
        let g = Kernel::Gemm(Gemm {
            m,
            n: nb,
            k,
            batch: blocks,
            a: Loc::arena(0),
            lda: k,
            a_batch_stride: 0,
            b: GemmB::Packed { at: Loc::weights(0), nr, batch_stride: nb * k },
            c: Loc::arena(a_len),
            ldc: n,
            c_batch_stride: nb,
            bias: Some(Loc::weights(bias_at)),
            bias_batch_stride: nb,
            residual: Some(Loc::arena(a_len + c_len)),
            act,
        });
        out.push(Sample {
            name: format!("gemm {m}x{n}x{k} split by columns, panels of {nr}"),
            kernels: vec![g],
            init,
            weights,
        });
    }
}

/// A GEMM over the large arena: A at A0, B strided at A1 or packed at
/// weights 64, C at A2, residual at A3, bias at weights 0.
#[allow(clippy::too_many_arguments)]
fn large_gemm(
    m: usize,
    n: usize,
    k: usize,
    batch: usize,
    packed: bool,
    bias: bool,
    residual: bool,
    act: Activation,
) -> Kernel {
    let b = if packed {
        GemmB::Packed { at: Loc::weights(64), nr: GEMM_NR, batch_stride: 0 }
    } else {
        GemmB::Strided { at: Loc::arena(A1), row_stride: n as isize, col_stride: 1, batch_stride: (k * n) as isize }
    };
    Kernel::Gemm(Gemm {
        m,
        n,
        k,
        batch,
        a: Loc::arena(A0),
        lda: k,
        a_batch_stride: m * k,
        b,
        c: Loc::arena(A2),
        ldc: n,
        c_batch_stride: m * n,
        bias: bias.then(|| Loc::weights(0)),
        bias_batch_stride: 0,
        residual: residual.then(|| Loc::arena(A3)),
        act,
    })
}

/// Aligned and ragged sizes with both B layouts, batches, every epilogue
/// activation, and B transposed (q · kᵀ).
pub(super) fn large(out: &mut Vec<(String, Kernel)>) {
    for (m, n, k) in [(64, 64, 64), (37, 19, 23), (130, 72, 48), (5, 8, 3), (16, 16, 16)] {
        for packed in [true, false] {
            out.push((
                format!("gemm_{m}x{n}x{k}_{}", if packed { "packed" } else { "strided" }),
                large_gemm(m, n, k, 1, packed, false, false, Activation::None),
            ));
        }
    }
    out.push(("gemm_batch3_strided".into(), large_gemm(20, 12, 9, 3, false, true, true, Activation::Relu)));
    out.push(("gemm_batch2_packed".into(), large_gemm(33, 40, 16, 2, true, true, false, Activation::None)));
    for act in super::maps::activations() {
        out.push((format!("gemm_epilogue {act:?}"), large_gemm(24, 24, 20, 1, true, true, true, act)));
    }
    out.push((
        "gemm_bt".into(),
        Kernel::Gemm(Gemm {
            m: 30,
            n: 28,
            k: 16,
            batch: 2,
            a: Loc::arena(A0),
            lda: 16,
            a_batch_stride: 30 * 16,
            b: GemmB::Strided { at: Loc::arena(A1), row_stride: 1, col_stride: 16, batch_stride: 28 * 16 },
            c: Loc::arena(A2),
            ldc: 28,
            c_batch_stride: 30 * 28,
            bias: None,
            bias_batch_stride: 0,
            residual: None,
            act: Activation::None,
        }),
    ));
}
