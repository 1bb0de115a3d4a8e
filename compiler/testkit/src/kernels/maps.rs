//! Element-wise samples: every unary op and activation dense and
//! transposed, every binary op with a broadcast operand, multiply-add,
//! select, fill; every map op over a 3-D broadcast/transposed/dense layout,
//! a scalar and a reversed operand.

use super::{A0, A1, A2, Sample, st};
use crate::Rng;
use vitc_lower::{Activation, BinaryOp, Kernel, Loc, MapOp, Strided, UnaryOp};
use vitc_lower::{Fill, Map};

/// Every activation.
pub fn activations() -> Vec<Activation> {
    vec![
        Activation::None,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::HardSwish,
        Activation::HardSigmoid { alpha: 0.2, beta: 0.5 },
        Activation::Gelu,
        Activation::GeluTanh,
    ]
}

/// Every map op.
pub fn map_ops() -> Vec<MapOp> {
    use UnaryOp::*;
    let mut ops: Vec<MapOp> = [
        Copy, Neg, Abs, Sqrt, Exp, Log, Erf, Tanh, Reciprocal, Trunc, Round, Floor, Ceil, Sign, Sin, Cos, Tan, Asin,
        Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, IsNaN,
    ]
    .into_iter()
    .chain([
        IsInf { negative: true, positive: true },
        IsInf { negative: false, positive: true },
        IsInf { negative: true, positive: false },
    ])
    .map(MapOp::Unary)
    .collect();
    ops.extend(activations().into_iter().map(|a| MapOp::Unary(Act(a))));
    use BinaryOp::*;
    ops.extend([Add, Sub, Mul, Div, Pow, Max, Min, Equal, Greater, Less, Mod, Fmod].into_iter().map(MapOp::Binary));
    ops.push(MapOp::MulAdd);
    ops.push(MapOp::Select);
    ops
}

/// Unary ops (dense 7 × 13 and transposed 13 × 7: tails of 5 and 7 lanes),
/// binary ops on halves (so that comparisons are sometimes equal) with a
/// broadcast row, fill, multiply-add, select and a 37-wide dense map.
pub(super) fn small(rng: &mut Rng, out: &mut Vec<Sample>) {
    let mut add =
        |name: String, kernels: Vec<Kernel>, init: Vec<f32>| out.push(Sample { name, kernels, init, weights: vec![] });
    let unary = [
        (UnaryOp::Copy, -3.0, 3.0),
        (UnaryOp::Neg, -3.0, 3.0),
        (UnaryOp::Abs, -3.0, 3.0),
        (UnaryOp::Sqrt, 0.0, 9.0),
        (UnaryOp::Exp, -20.0, 20.0),
        (UnaryOp::Log, 1e-3, 100.0),
        (UnaryOp::Erf, -5.0, 5.0),
        (UnaryOp::Tanh, -6.0, 6.0),
        (UnaryOp::Reciprocal, 0.5, 3.0),
        (UnaryOp::Trunc, -5.0, 5.0),
        (UnaryOp::Round, -5.0, 5.0),
        (UnaryOp::Floor, -5.0, 5.0),
        (UnaryOp::Ceil, -5.0, 5.0),
        (UnaryOp::Sign, -3.0, 3.0),
        (UnaryOp::Sin, -10.0, 10.0),
        (UnaryOp::Cos, -10.0, 10.0),
        (UnaryOp::Tan, -1.4, 1.4),
        (UnaryOp::Asin, -1.0, 1.0),
        (UnaryOp::Acos, -1.0, 1.0),
        (UnaryOp::Atan, -20.0, 20.0),
        (UnaryOp::Sinh, -5.0, 5.0),
        (UnaryOp::Cosh, -5.0, 5.0),
        (UnaryOp::Asinh, -50.0, 50.0),
        (UnaryOp::Acosh, 1.0, 50.0),
        (UnaryOp::Atanh, -0.95, 0.95),
        (UnaryOp::IsNaN, -3.0, 3.0),
        (UnaryOp::IsInf { negative: true, positive: false }, -3.0, 3.0),
        (UnaryOp::Act(Activation::Relu), -3.0, 3.0),
        (UnaryOp::Act(Activation::Sigmoid), -10.0, 10.0),
        (UnaryOp::Act(Activation::HardSwish), -5.0, 5.0),
        (UnaryOp::Act(Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }), -5.0, 5.0),
        (UnaryOp::Act(Activation::Gelu), -6.0, 6.0),
        (UnaryOp::Act(Activation::GeluTanh), -6.0, 6.0),
    ];
    for (op, lo, hi) in unary {
        let init = rng.vec(3 * 7 * 13, lo, hi);
        let ks = vec![
            Kernel::Map(Map {
                op: MapOp::Unary(op),
                dims: vec![7, 13],
                out: Loc::arena(91),
                inputs: vec![st(0, &[13, 1])],
            }),
            Kernel::Map(Map {
                op: MapOp::Unary(op),
                dims: vec![13, 7],
                out: Loc::arena(182),
                inputs: vec![st(0, &[1, 13])],
            }),
        ];
        add(format!("map {op:?}"), ks, init);
    }
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Equal,
        BinaryOp::Greater,
        BinaryOp::Less,
        BinaryOp::Mod,
        BinaryOp::Fmod,
    ] {
        // Small integers so that Equal is sometimes true.
        let init: Vec<f32> = rng.vec(3 * 5 * 11, 0.5, 2.0).iter().map(|v| (v * 2.0).round() / 2.0).collect();
        add(format!("map {op:?}"), vec![binary_5x11(op)], init);
    }
    add(
        "fill and muladd".into(),
        vec![
            Kernel::Fill(Fill { len: 23, value: -0.25, out: Loc::arena(100) }),
            Kernel::Map(Map {
                op: MapOp::MulAdd,
                dims: vec![3, 9],
                out: Loc::arena(60),
                inputs: vec![st(0, &[9, 1]), st(27, &[1, 0]), st(28, &[0, 1])],
            }),
        ],
        rng.vec(130, -1.0, 1.0),
    );
    let mut cond = rng.vec(40, -1.0, 1.0);
    cond.iter_mut().step_by(3).for_each(|v| *v = 0.0);
    cond.extend(rng.vec(80, -1.0, 1.0));
    cond.resize(400, 0.5);
    add(
        "select and a long dense map".into(),
        vec![
            Kernel::Map(Map {
                op: MapOp::Select,
                dims: vec![4, 10],
                out: Loc::arena(120),
                inputs: vec![st(0, &[10, 1]), st(40, &[10, 1]), st(80, &[0, 1])],
            }),
            Kernel::Map(Map {
                op: MapOp::Binary(BinaryOp::Add),
                dims: vec![3, 37],
                out: Loc::arena(200),
                inputs: vec![st(0, &[37, 1]), st(0, &[0, 1])],
            }),
        ],
        cond,
    );
}

/// `out[5 × 11] = a[5 × 11] op b[5]` (b broadcast along rows).
fn binary_5x11(op: BinaryOp) -> Kernel {
    Kernel::Map(Map {
        op: MapOp::Binary(op),
        dims: vec![5, 11],
        out: Loc::arena(110),
        inputs: vec![st(0, &[11, 1]), st(55, &[1, 0])],
    })
}

/// The arithmetic binary ops again, on values in `[0.5, 2)` not rounded.
pub(super) fn binary_on_continuous_values(rng: &mut Rng, out: &mut Vec<Sample>) {
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Mod,
        BinaryOp::Fmod,
    ] {
        let init = rng.vec(3 * 5 * 11, 0.5, 2.0);
        out.push(Sample {
            name: format!("map {op:?} on continuous values"),
            kernels: vec![binary_5x11(op)],
            init,
            weights: vec![],
        });
    }
}

/// Every map op over `3 × 5 × 7`: the first operand dense, the second
/// broadcast along the outer axis and transposed, the third (multiply-add,
/// select) a weights row broadcast twice; a scalar map; a reversed copy.
pub(super) fn large(out: &mut Vec<(String, Kernel)>) {
    for op in map_ops() {
        let inputs: Vec<Strided> = (0..op.arity())
            .map(|j| match j {
                0 => st(A0, &[35, 7, 1]),
                1 => st(A1, &[0, 1, 5]),
                _ => Strided { at: Loc::weights(0), strides: vec![0, 0, 1] },
            })
            .collect();
        out.push((format!("map3d {op:?}"), Kernel::Map(Map { op, dims: vec![3, 5, 7], out: Loc::arena(A2), inputs })));
    }
    out.push((
        "map_scalar".into(),
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Exp),
            dims: vec![],
            out: Loc::arena(A2),
            inputs: vec![st(A0, &[])],
        }),
    ));
    out.push((
        "map_reversed".into(),
        Kernel::Map(Map {
            op: MapOp::Unary(UnaryOp::Copy),
            dims: vec![4, 6],
            out: Loc::arena(A2),
            inputs: vec![st(A0 + 23, &[-6, -1])],
        }),
    ));
}
