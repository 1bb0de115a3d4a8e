//! Fill and Map kernels against the naive implementation, with chunking.

mod common;

use common::{Rng, check_program};
use vitc_lower::{Activation, BinaryOp, Kernel, Loc, MapOp, Strided, UnaryOp};
use vitc_lower::{Fill, Map};

fn st(offset: usize, strides: &[isize]) -> Strided {
    Strided { at: Loc::arena(offset), strides: strides.to_vec() }
}

fn dense(offset: usize, dims: &[usize]) -> Strided {
    let mut strides = vec![0isize; dims.len()];
    let mut acc = 1isize;
    for d in (0..dims.len()).rev() {
        strides[d] = acc;
        acc *= dims[d] as isize;
    }
    st(offset, &strides)
}

#[test]
fn fill() {
    let mut rng = Rng::new(1);
    for len in [1usize, 3, 4, 15, 16, 17, 37, 100] {
        let init = rng.vec(len + 10, -1.0, 1.0);
        check_program(vec![Kernel::Fill(Fill { len, value: 1.5, out: Loc::arena(3) })], &init, &[], 0.0, 0.0);
    }
}

#[test]
fn unary_ops_dense() {
    let mut rng = Rng::new(2);
    let dims = [7usize, 37];
    let n = 7 * 37;
    let ops: Vec<(UnaryOp, f32, f32)> = vec![
        (UnaryOp::Copy, -3.0, 3.0),
        (UnaryOp::Neg, -3.0, 3.0),
        (UnaryOp::Abs, -3.0, 3.0),
        (UnaryOp::Sqrt, 0.0, 9.0),
        (UnaryOp::Exp, -20.0, 20.0),
        (UnaryOp::Log, 1e-3, 100.0),
        (UnaryOp::Erf, -5.0, 5.0),
        (UnaryOp::Tanh, -6.0, 6.0),
        (UnaryOp::Reciprocal, 0.5, 3.0),
        (UnaryOp::Act(Activation::Relu), -3.0, 3.0),
        (UnaryOp::Act(Activation::Sigmoid), -10.0, 10.0),
        (UnaryOp::Act(Activation::HardSwish), -5.0, 5.0),
        (UnaryOp::Act(Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }), -5.0, 5.0),
        (UnaryOp::Act(Activation::Gelu), -6.0, 6.0),
        (UnaryOp::Act(Activation::GeluTanh), -6.0, 6.0),
    ];
    for (op, lo, hi) in ops {
        let mut init = rng.vec(2 * n + 1, lo, hi);
        init[2 * n] = 0.0;
        let k = Kernel::Map(Map {
            op: MapOp::Unary(op),
            dims: dims.to_vec(),
            out: Loc::arena(n),
            inputs: vec![dense(0, &dims)],
        });
        check_program(vec![k], &init, &[], 1e-6, 2e-6);
    }
}

#[test]
fn binary_ops_with_broadcast() {
    let mut rng = Rng::new(3);
    let dims = [5usize, 9, 13];
    let n = 5 * 9 * 13;
    for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max, BinaryOp::Min, BinaryOp::Pow]
    {
        let init = rng.vec(3 * n, 0.5, 2.0);
        // in0 dense; in1 broadcast along axis 0 and, in a second kernel, along the last axis.
        let k1 = Kernel::Map(Map {
            op: MapOp::Binary(op),
            dims: dims.to_vec(),
            out: Loc::arena(2 * n),
            inputs: vec![dense(0, &dims), st(n, &[0, 13, 1])],
        });
        let k2 = Kernel::Map(Map {
            op: MapOp::Binary(op),
            dims: dims.to_vec(),
            out: Loc::arena(2 * n),
            inputs: vec![st(n, &[9, 1, 0]), dense(2 * n, &dims)],
        });
        check_program(vec![k1, k2], &init, &[], 1e-6, 2e-6);
    }
}

#[test]
fn strided_views() {
    let mut rng = Rng::new(4);
    let init = rng.vec(400, -2.0, 2.0);
    let kernels = vec![
        // Transpose 6×10 → 10×6.
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Copy),
            dims: vec![10, 6],
            out: Loc::arena(100),
            inputs: vec![st(0, &[1, 10])],
        }),
        // Reversed rows.
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Copy),
            dims: vec![4, 8],
            out: Loc::arena(200),
            inputs: vec![st(7, &[8, -1])],
        }),
        // Scalar (rank 0).
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Exp),
            dims: vec![],
            out: Loc::arena(240),
            inputs: vec![st(5, &[])],
        }),
        // Size-1 axes and a leading 1.
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Neg),
            dims: vec![1, 4, 1, 8],
            out: Loc::arena(250),
            inputs: vec![st(0, &[0, 8, 0, 1])],
        }),
        // Transposed expensive op (gathered lanes).
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Tanh),
            dims: vec![10, 6],
            out: Loc::arena(300),
            inputs: vec![st(0, &[1, 10])],
        }),
        // In place.
        Kernel::Map(Map {
            op: MapOp::Binary(BinaryOp::Mul),
            dims: vec![3, 11],
            out: Loc::arena(360),
            inputs: vec![dense(360, &[3, 11]), st(0, &[1, 0])],
        }),
    ];
    check_program(kernels, &init, &[], 1e-6, 2e-6);
}

#[test]
fn mul_add_per_channel_from_weights() {
    let mut rng = Rng::new(5);
    let (c, hw) = (3usize, 21usize);
    let init = rng.vec(2 * c * hw, -2.0, 2.0);
    let weights = rng.vec(32, -1.0, 1.0);
    let k = Kernel::Map(Map {
        op: MapOp::MulAdd,
        dims: vec![c, hw],
        out: Loc::arena(c * hw),
        inputs: vec![
            dense(0, &[c, hw]),
            Strided { at: Loc::weights(0), strides: vec![1, 0] },
            Strided { at: Loc::weights(16), strides: vec![1, 0] },
        ],
    });
    check_program(vec![k], &init, &weights, 1e-6, 2e-6);
}

#[test]
fn comparisons_give_one_or_zero() {
    let mut rng = Rng::new(6);
    let dims = [3usize, 13];
    let n = 39;
    // Small integers so that many pairs are equal; a NaN compares false.
    let mut init: Vec<f32> = (0..3 * n).map(|_| rng.below(4) as f32).collect();
    init[5] = f32::NAN;
    for op in [BinaryOp::Equal, BinaryOp::Greater, BinaryOp::Less] {
        let k = Kernel::Map(Map {
            op: MapOp::Binary(op),
            dims: dims.to_vec(),
            out: Loc::arena(2 * n),
            inputs: vec![dense(0, &dims), st(n, &[0, 1])],
        });
        let arena = check_program(vec![k], &init, &[], 0.0, 0.0);
        assert!(arena[2 * n..].iter().all(|&v| v == 0.0 || v == 1.0), "{op:?} gives only 0 and 1");
        assert_eq!(arena[2 * n + 5], 0.0, "{op:?} of a NaN");
    }
}

#[test]
fn select_by_nonzero_condition() {
    let mut rng = Rng::new(7);
    let n = 4 * 9;
    let mut init = rng.vec(4 * n, -1.0, 1.0);
    for (i, c) in init[..n].iter_mut().enumerate() {
        *c = [0.0, 1.0, -0.0, 2.5, f32::NAN][i % 5];
    }
    let k = Kernel::Map(Map {
        op: MapOp::Select,
        dims: vec![4, 9],
        out: Loc::arena(3 * n),
        inputs: vec![dense(0, &[4, 9]), dense(n, &[4, 9]), st(2 * n, &[0, 1])],
    });
    let arena = check_program(vec![k], &init, &[], 0.0, 0.0);
    assert_eq!(arena[3 * n + 4], init[n + 4], "a NaN condition selects in1");
    assert_eq!(arena[3 * n + 2], init[2 * n + 2], "-0 selects in2");
}

#[test]
fn trunc_and_round_to_integers() {
    let values: Vec<f32> = vec![
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        -2.5,
        0.49999997,
        2.7,
        -2.7,
        7.0,
        -7.0,
        1e7 + 1.0,
        -8388609.0,
        3e9,
        -3e9,
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        123456.75,
        -0.25,
    ];
    let n = values.len();
    let mut init = values.clone();
    init.extend(vec![0.0; n]);
    for op in [UnaryOp::Trunc, UnaryOp::Round] {
        let k =
            Kernel::Map(Map { op: MapOp::Unary(op), dims: vec![n], out: Loc::arena(n), inputs: vec![dense(0, &[n])] });
        let arena = check_program(vec![k], &init, &[], 0.0, 0.0);
        let want: Vec<f32> =
            values.iter().map(|v| if op == UnaryOp::Trunc { v.trunc() } else { v.round_ties_even() }).collect();
        assert_eq!(arena[n..], want[..], "{op:?}");
    }
}
