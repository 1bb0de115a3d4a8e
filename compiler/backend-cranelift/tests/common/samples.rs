//! A set of small programs covering every kernel kind, op and tail case,
//! with their initial arena and weights; used to check targets the tests
//! cannot JIT (aarch64 under qemu).

use super::Rng;
use vitc_lower::{
    Activation, BinaryOp, Conv2dGeom, GEMM_NR, GemmB, Kernel, Loc, MapOp, PoolKind, ReduceOp, Strided, UnaryOp,
};

pub struct Sample {
    pub name: String,
    pub kernels: Vec<Kernel>,
    pub init: Vec<f32>,
    pub weights: Vec<f32>,
}

fn st(o: usize, s: &[isize]) -> Strided {
    Strided { at: Loc::arena(o), strides: s.to_vec() }
}

fn pack(b: &[f32], k: usize, n: usize) -> Vec<f32> {
    let panels = n.div_ceil(GEMM_NR);
    let mut out = vec![0.0; panels * k * GEMM_NR];
    for p in 0..panels {
        for kk in 0..k {
            for jj in 0..GEMM_NR.min(n - p * GEMM_NR) {
                out[(p * k + kk) * GEMM_NR + jj] = b[kk * n + p * GEMM_NR + jj];
            }
        }
    }
    out
}

fn geom(c: usize, hw: usize, k: usize, s: usize, p: usize, groups: usize, oc: usize) -> Conv2dGeom {
    let o = (hw + 2 * p - k) / s + 1;
    Conv2dGeom {
        c,
        h: hw,
        w: hw,
        oc,
        oh: o,
        ow: o,
        kh: k,
        kw: k,
        stride_h: s,
        stride_w: s,
        pad_top: p,
        pad_left: p,
        dil_h: 1,
        dil_w: 1,
        groups,
    }
}

pub fn samples() -> Vec<Sample> {
    let mut rng = Rng::new(99);
    let mut out = Vec::new();
    let mut add = |name: &str, kernels: Vec<Kernel>, init: Vec<f32>, weights: Vec<f32>| {
        out.push(Sample { name: name.to_string(), kernels, init, weights })
    };
    // Maps: every unary op, dense and transposed; binary ops with broadcast.
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
            Kernel::Map { op: MapOp::Unary(op), dims: vec![7, 13], out: Loc::arena(91), inputs: vec![st(0, &[13, 1])] },
            Kernel::Map {
                op: MapOp::Unary(op),
                dims: vec![13, 7],
                out: Loc::arena(182),
                inputs: vec![st(0, &[1, 13])],
            },
        ];
        add(&format!("map {op:?}"), ks, init, vec![]);
    }
    for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Pow, BinaryOp::Max, BinaryOp::Min]
    {
        let init = rng.vec(3 * 5 * 11, 0.5, 2.0);
        let ks = vec![Kernel::Map {
            op: MapOp::Binary(op),
            dims: vec![5, 11],
            out: Loc::arena(110),
            inputs: vec![st(0, &[11, 1]), st(55, &[1, 0])],
        }];
        add(&format!("map {op:?}"), ks, init, vec![]);
    }
    add(
        "fill and muladd",
        vec![
            Kernel::Fill { len: 23, value: -0.25, out: Loc::arena(100) },
            Kernel::Map {
                op: MapOp::MulAdd,
                dims: vec![3, 9],
                out: Loc::arena(60),
                inputs: vec![st(0, &[9, 1]), st(27, &[1, 0]), st(28, &[0, 1])],
            },
        ],
        rng.vec(130, -1.0, 1.0),
        vec![],
    );
    // GEMMs.
    for (m, n, k, batch, kind, act) in [
        (13, 21, 17, 1, 0, Activation::None),
        (9, 16, 8, 2, 0, Activation::Gelu),
        (11, 13, 9, 2, 1, Activation::HardSwish),
        (10, 12, 7, 3, 2, Activation::Relu),
        (17, 5, 33, 1, 2, Activation::Sigmoid),
    ] {
        let (a_len, c_len, b_len) = (batch * m * k, batch * m * n, batch * k * n);
        let init = rng.vec(a_len + 2 * c_len + b_len, -1.0, 1.0);
        let mut weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n);
        let bias_at = weights.len();
        weights.extend(rng.vec(n, -1.0, 1.0));
        let b = match kind {
            0 => GemmB::Packed { at: Loc::weights(0), nr: vitc_lower::GEMM_NR, batch_stride: 0 },
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
        let g = Kernel::Gemm {
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
        };
        add(&format!("gemm {m}x{n}x{k}x{batch} B{kind}"), vec![g], init, weights);
    }
    // Rows.
    add(
        "softmax, layernorm, reduce",
        vec![
            Kernel::Softmax { rows: 5, cols: 19, x: Loc::arena(0), out: Loc::arena(100) },
            Kernel::LayerNorm {
                rows: 5,
                cols: 19,
                eps: 1e-5,
                x: Loc::arena(0),
                scale: Loc::weights(0),
                bias: Some(Loc::weights(20)),
                out: Loc::arena(200),
            },
            Kernel::Reduce {
                op: ReduceOp::Mean,
                outer: 5,
                reduce: 19,
                inner: 1,
                src: Loc::arena(0),
                out: Loc::arena(300),
            },
            Kernel::Reduce {
                op: ReduceOp::Max,
                outer: 2,
                reduce: 3,
                inner: 7,
                src: Loc::arena(0),
                out: Loc::arena(310),
            },
            Kernel::Reduce {
                op: ReduceOp::Min,
                outer: 2,
                reduce: 4,
                inner: 5,
                src: Loc::arena(0),
                out: Loc::arena(330),
            },
            Kernel::Reduce {
                op: ReduceOp::Sum,
                outer: 3,
                reduce: 2,
                inner: 6,
                src: Loc::arena(0),
                out: Loc::arena(350),
            },
        ],
        rng.vec(400, -3.0, 3.0),
        rng.vec(40, 0.5, 1.5),
    );
    // Windows.
    let dw = geom(3, 9, 3, 1, 1, 3, 3);
    let s2 = geom(2, 10, 3, 2, 1, 1, 4);
    let table: Vec<f32> = [2u32, 0, 3, 3, 1].iter().map(|&i| f32::from_bits(i)).collect();
    let mut w = table.clone();
    w.resize(8, 0.0);
    w.extend(rng.vec(200, -1.0, 1.0));
    add(
        "windows",
        vec![
            Kernel::Gather {
                outer: 2,
                src_axis: 4,
                inner: 3,
                indices: 5,
                table: Loc::weights(0),
                src: Loc::arena(0),
                out: Loc::arena(500),
            },
            Kernel::Im2col { geom: s2, x: Loc::arena(0), out: Loc::arena(600) },
            Kernel::Pool2d {
                kind: PoolKind::Max,
                geom: dw,
                count_include_pad: false,
                x: Loc::arena(0),
                out: Loc::arena(1200),
            },
            Kernel::Pool2d {
                kind: PoolKind::Avg,
                geom: s2,
                count_include_pad: false,
                x: Loc::arena(0),
                out: Loc::arena(1300),
            },
            Kernel::Conv2d {
                geom: dw,
                x: Loc::arena(0),
                w: Loc::weights(8),
                bias: Some(Loc::weights(100)),
                out: Loc::arena(1400),
                act: Activation::HardSwish,
            },
            Kernel::Conv2d {
                geom: s2,
                x: Loc::arena(0),
                w: Loc::weights(8),
                bias: None,
                out: Loc::arena(1700),
                act: Activation::None,
            },
            Kernel::ConvTranspose2d {
                geom: Conv2dGeom {
                    c: 2,
                    h: 8,
                    w: 8,
                    oc: 3,
                    oh: 4,
                    ow: 4,
                    kh: 2,
                    kw: 2,
                    stride_h: 2,
                    stride_w: 2,
                    pad_top: 0,
                    pad_left: 0,
                    dil_h: 1,
                    dil_w: 1,
                    groups: 1,
                },
                x: Loc::arena(0),
                w: Loc::weights(8),
                bias: Some(Loc::weights(150)),
                out: Loc::arena(1800),
            },
        ],
        rng.vec(2000, -1.0, 1.0),
        w,
    );
    out
}
