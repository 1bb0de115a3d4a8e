//! A set of small programs covering every kernel kind, op and tail case
//! (vector tails of 4 and 8 lanes, GEMM edge tiles, odd panel counts),
//! with their initial arena and weights.

use super::Rng;
use vitc_lower::{
    Activation, AttentionGeom, BinaryOp, Conv2dGeom, GEMM_NR, GemmB, Kernel, Lepe, Loc, MapOp, PoolKind, ReduceOp,
    Strided, UnaryOp, View4,
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

/// `b` (`k × n`, row-major) in panels of `nr` columns.
fn pack(b: &[f32], k: usize, n: usize, nr: usize) -> Vec<f32> {
    vitc_lower::weights::pack_b(k, n, nr, |kk, j| b[kk * n + j])
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
        (UnaryOp::Trunc, -5.0, 5.0),
        (UnaryOp::Round, -5.0, 5.0),
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
    ] {
        // Small integers so that Equal is sometimes true.
        let init: Vec<f32> = rng.vec(3 * 5 * 11, 0.5, 2.0).iter().map(|v| (v * 2.0).round() / 2.0).collect();
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
    let mut cond = rng.vec(40, -1.0, 1.0);
    cond.iter_mut().step_by(3).for_each(|v| *v = 0.0);
    cond.extend(rng.vec(80, -1.0, 1.0));
    add(
        "select and a long dense map",
        vec![
            Kernel::Map {
                op: MapOp::Select,
                dims: vec![4, 10],
                out: Loc::arena(120),
                inputs: vec![st(0, &[10, 1]), st(40, &[10, 1]), st(80, &[0, 1])],
            },
            Kernel::Map {
                op: MapOp::Binary(BinaryOp::Add),
                dims: vec![3, 37],
                out: Loc::arena(200),
                inputs: vec![st(0, &[37, 1]), st(0, &[0, 1])],
            },
        ],
        {
            cond.resize(400, 0.5);
            cond
        },
        vec![],
    );
    // GEMMs.
    for (m, n, k, batch, kind, act) in [
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
    ] {
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
    // Column-split GEMMs (as the lowering emits for few rows): the batches
    // are blocks of columns of one product, with the blocks' panels, bias
    // and residual columns.
    for (m, k, nr, act) in [(5, 23, GEMM_NR, Activation::Relu), (13, 40, 16, Activation::Gelu)] {
        let (nb, blocks) = (vitc_lower::GEMM_COL_BLOCK, 3);
        let n = nb * blocks;
        let (a_len, c_len) = (m * k, m * n);
        let init = rng.vec(a_len + 2 * c_len, -1.0, 1.0);
        let mut weights = pack(&rng.vec(k * n, -1.0, 1.0), k, n, nr);
        let bias_at = weights.len();
        weights.extend(rng.vec(n, -1.0, 1.0));
        let g = Kernel::Gemm {
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
        };
        add(&format!("gemm {m}x{n}x{k} split by columns, panels of {nr}"), vec![g], init, weights);
    }
    // Rows.
    add(
        "softmax, layernorm, reduce",
        vec![
            Kernel::Softmax { rows: 5, cols: 19, x: Loc::arena(0), out: Loc::arena(100) },
            Kernel::Softmax { rows: 2, cols: 37, x: Loc::arena(0), out: Loc::arena(400) },
            Kernel::LayerNorm {
                rows: 2,
                cols: 37,
                eps: 1e-6,
                x: Loc::arena(0),
                scale: Loc::weights(0),
                bias: None,
                out: Loc::arena(480),
            },
            Kernel::Reduce {
                op: ReduceOp::Sum,
                outer: 2,
                reduce: 3,
                inner: 19,
                src: Loc::arena(0),
                out: Loc::arena(560),
            },
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
        rng.vec(600, -3.0, 3.0),
        rng.vec(40, 0.5, 1.5),
    );
    // Windows.
    let dw = geom(3, 9, 3, 1, 1, 3, 3);
    let big = geom(2, 21, 3, 1, 1, 2, 2);
    let dil = Conv2dGeom { dil_h: 2, dil_w: 2, oh: 17, ow: 17, ..geom(2, 21, 3, 1, 0, 2, 4) };
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
            Kernel::Conv2d {
                geom: big,
                x: Loc::arena(0),
                w: Loc::weights(8),
                bias: Some(Loc::weights(100)),
                out: Loc::arena(2000),
                act: Activation::Gelu,
            },
            Kernel::Conv2d {
                geom: dil,
                x: Loc::arena(0),
                w: Loc::weights(8),
                bias: None,
                out: Loc::arena(2900),
                act: Activation::None,
            },
            Kernel::Pool2d {
                kind: PoolKind::Avg,
                geom: big,
                count_include_pad: true,
                x: Loc::arena(0),
                out: Loc::arena(4100),
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
        rng.vec(5000, -1.0, 1.0),
        w,
    );
    attention(&mut rng, &mut add);
    resample(&mut rng, &mut add);
    out
}

type Add<'a> = dyn FnMut(&str, Vec<Kernel>, Vec<f32>, Vec<f32>) + 'a;

/// Fused attention: plain (keys a multiple of 8 and not, values 16 and 13
/// wide), with a bias table and an activation, and with LePE; query rows
/// in groups of 4 and left over, keys in whole blocks of vectors and not.
fn attention(rng: &mut Rng, add: &mut Add<'_>) {
    for (n, m, d, dv, with_bias, with_lepe) in [
        (5, 37, 16, 13, true, false),
        (9, 9, 8, 16, false, true),
        (4, 40, 12, 72, false, false),
        (11, 150, 16, 40, true, false),
    ] {
        let (batch, heads) = (2, 3);
        let g = AttentionGeom { batch, heads, n, m, d, dv };
        // q: (b, h, i, e) with q's last axis strided by 2 (interleaved);
        // kt: (b, h, e, j); v: (b, h, j, c) dense; out: (b, i, h, c).
        let q_len = batch * heads * n * d * 2;
        let kt_at = q_len;
        let v_at = kt_at + batch * heads * d * m;
        let out_at = v_at + batch * heads * m * dv;
        let total = out_at + batch * heads * n * dv;
        let view = |at: usize, s: [usize; 4]| View4 { at: Loc::arena(at), strides: s.map(|v| v as isize) };
        let q = view(0, [heads * n * d * 2, n * d * 2, d * 2, 2]);
        let kt = view(kt_at, [heads * d * m, d * m, m, 1]);
        let v = view(v_at, [heads * m * dv, m * dv, dv, 1]);
        let out = view(out_at, [n * heads * dv, dv, heads * dv, 1]);
        let mut w = rng.vec(heads * n * m, -1.0, 1.0);
        let lw = w.len().next_multiple_of(16);
        w.resize(lw, 0.0);
        w.extend(rng.vec(heads * 9 * dv + heads * dv, -0.5, 0.5));
        let lepe = with_lepe.then_some(Lepe {
            grid_h: 3,
            grid_w: 3,
            kh: 3,
            kw: 3,
            pad_h: 1,
            pad_w: 1,
            w: Loc::weights(lw),
            bias: Some(Loc::weights(lw + heads * 9 * dv)),
        });
        let k = Kernel::Attention {
            geom: g,
            scale: 0.25,
            q,
            kt,
            v,
            bias: with_bias.then_some(Loc::weights(0)),
            lepe,
            out,
            act: if with_bias { Activation::HardSwish } else { Activation::None },
        };
        add(&format!("attention n{n} m{m} d{d} dv{dv}"), vec![k], rng.vec(total, -2.0, 2.0), w);
    }
}

/// Resampling the middle axis (inner 11) and the last axis (inner 1).
fn resample(rng: &mut Rng, add: &mut Add<'_>) {
    let (outer, src_axis, dst_axis, taps) = (3, 5, 9, 2);
    let mut w: Vec<f32> = (0..dst_axis * taps).map(|i| f32::from_bits(((i * 7) % src_axis) as u32)).collect();
    w.resize(32, 0.0);
    w.extend(rng.vec(dst_axis * taps, 0.0, 1.0));
    let ks = [11, 1]
        .iter()
        .enumerate()
        .map(|(t, &inner)| Kernel::Resample {
            outer,
            src_axis,
            inner,
            dst_axis,
            taps,
            index: Loc::weights(0),
            coeff: Loc::weights(32),
            src: Loc::arena(0),
            out: Loc::arena(200 + t * 400),
        })
        .collect();
    add("resample", ks, rng.vec(1000, -1.0, 1.0), w);
}
