//! Row samples: softmax (19, 37 and 700 wide), layer normalisation with and
//! without bias, every reduction over the last axis and over a middle axis.

use super::{A0, A2, Sample};
use crate::Rng;
use vitc_lower::{Kernel, Loc, ReduceOp};
use vitc_lower::{LayerNorm, Reduce, Softmax};

/// Softmax, layer normalisation and reductions of one 600-float arena.
pub(super) fn small(rng: &mut Rng, out: &mut Vec<Sample>) {
    let reduce = |op, outer, reduce, inner, at| {
        Kernel::Reduce(Reduce { op, outer, reduce, inner, src: Loc::arena(0), out: Loc::arena(at) })
    };
    let kernels = vec![
        Kernel::Softmax(Softmax { rows: 5, cols: 19, x: Loc::arena(0), out: Loc::arena(100) }),
        Kernel::Softmax(Softmax { rows: 2, cols: 37, x: Loc::arena(0), out: Loc::arena(400) }),
        Kernel::LayerNorm(LayerNorm {
            rows: 2,
            cols: 37,
            eps: 1e-6,
            x: Loc::arena(0),
            scale: Loc::weights(0),
            bias: None,
            out: Loc::arena(480),
        }),
        reduce(ReduceOp::Sum, 2, 3, 19, 560),
        Kernel::LayerNorm(LayerNorm {
            rows: 5,
            cols: 19,
            eps: 1e-5,
            x: Loc::arena(0),
            scale: Loc::weights(0),
            bias: Some(Loc::weights(20)),
            out: Loc::arena(200),
        }),
        reduce(ReduceOp::Mean, 5, 19, 1, 300),
        reduce(ReduceOp::Max, 2, 3, 7, 310),
        reduce(ReduceOp::Min, 2, 4, 5, 330),
        reduce(ReduceOp::Sum, 3, 2, 6, 350),
    ];
    let init = rng.vec(600, -3.0, 3.0);
    let weights = rng.vec(40, 0.5, 1.5);
    out.push(Sample { name: "softmax, layernorm, reduce".into(), kernels, init, weights });
}

/// Single row kernels over the large arena.
pub(super) fn large(out: &mut Vec<(String, Kernel)>) {
    out.push((
        "softmax".into(),
        Kernel::Softmax(Softmax { rows: 9, cols: 37, x: Loc::arena(A0), out: Loc::arena(A2) }),
    ));
    out.push((
        "softmax_wide".into(),
        Kernel::Softmax(Softmax { rows: 3, cols: 700, x: Loc::arena(A0), out: Loc::arena(A2) }),
    ));
    out.push((
        "layer_norm".into(),
        Kernel::LayerNorm(LayerNorm {
            rows: 7,
            cols: 48,
            eps: 1e-5,
            x: Loc::arena(A0),
            scale: Loc::weights(0),
            bias: Some(Loc::weights(64)),
            out: Loc::arena(A2),
        }),
    ));
    out.push((
        "layer_norm_nobias".into(),
        Kernel::LayerNorm(LayerNorm {
            rows: 5,
            cols: 100,
            eps: 1e-6,
            x: Loc::arena(A0),
            scale: Loc::weights(0),
            bias: None,
            out: Loc::arena(A2),
        }),
    ));
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for inner in [1, 5] {
            out.push((
                format!("reduce_{op:?}_{inner}"),
                Kernel::Reduce(Reduce { op, outer: 4, reduce: 45, inner, src: Loc::arena(A0), out: Loc::arena(A2) }),
            ));
        }
    }
}
