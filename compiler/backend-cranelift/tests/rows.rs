//! Softmax, LayerNorm and Reduce against the naive implementation.

mod common;

use common::{Rng, check_program};
use vitc_lower::{Kernel, Loc, ReduceOp};
use vitc_lower::{LayerNorm, Reduce, Softmax};

#[test]
fn softmax() {
    let mut rng = Rng::new(21);
    for cols in [1usize, 3, 4, 5, 8, 9, 13, 196] {
        let rows = 7;
        let init = rng.vec(2 * rows * cols, -8.0, 8.0);
        let out_of_place = Kernel::Softmax(Softmax { rows, cols, x: Loc::arena(0), out: Loc::arena(rows * cols) });
        check_program(vec![out_of_place], &init, &[], 1e-7, 2e-6);
        let in_place = Kernel::Softmax(Softmax { rows, cols, x: Loc::arena(0), out: Loc::arena(0) });
        check_program(vec![in_place], &init, &[], 1e-7, 2e-6);
    }
}

#[test]
fn layer_norm() {
    let mut rng = Rng::new(22);
    for cols in [1usize, 3, 4, 7, 8, 13, 384] {
        let rows = 5;
        let init = rng.vec(2 * rows * cols, -3.0, 5.0);
        let weights = rng.vec(2 * cols + 16, 0.5, 1.5);
        for bias in [None, Some(Loc::weights(cols + 3))] {
            let k = Kernel::LayerNorm(LayerNorm {
                rows,
                cols,
                eps: 1e-5,
                x: Loc::arena(0),
                scale: Loc::weights(0),
                bias,
                out: Loc::arena(rows * cols),
            });
            check_program(vec![k], &init, &weights, 2e-5, 2e-5);
        }
        let in_place = Kernel::LayerNorm(LayerNorm {
            rows,
            cols,
            eps: 1e-6,
            x: Loc::arena(0),
            scale: Loc::weights(1),
            bias: Some(Loc::weights(cols)),
            out: Loc::arena(0),
        });
        check_program(vec![in_place], &init, &weights, 2e-5, 2e-5);
    }
}

#[test]
fn reduce() {
    let mut rng = Rng::new(23);
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for (outer, reduce, inner) in
            [(3, 5, 1), (4, 1, 1), (2, 9, 3), (3, 6, 4), (2, 4, 7), (5, 196, 1), (2, 13, 9), (1, 3, 0)]
        {
            let n = outer * reduce * inner;
            let init = rng.vec(n + outer * inner + 1, -2.0, 2.0);
            let k = Kernel::Reduce(Reduce { op, outer, reduce, inner, src: Loc::arena(0), out: Loc::arena(n) });
            check_program(vec![k], &init, &[], 1e-5, 1e-5);
        }
    }
}
