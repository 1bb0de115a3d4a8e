//! Single-kernel programs: every [`Kernel`] variant, every map op and
//! activation, GEMMs with edges, batches, both B layouts and every
//! epilogue, attention with and without bias and LePE. Sizes are small so
//! that simulators can run them too; the arena and weights are large
//! enough for every case (checked by `vitc_lower::validate`).

use vitc_lower::*;

/// Arena elements of every catalogue program.
pub const ARENA: usize = 1 << 16;
/// Weights elements of every catalogue program.
pub const WEIGHTS: usize = 1 << 15;

const A0: usize = 0;
const A1: usize = 16_384;
const A2: usize = 32_768;
const A3: usize = 49_152;

fn arena(o: usize) -> Loc {
    Loc::arena(o)
}
fn weights(o: usize) -> Loc {
    Loc::weights(o)
}

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
    let mut ops: Vec<MapOp> =
        [Copy, Neg, Abs, Sqrt, Exp, Log, Erf, Tanh, Reciprocal, Trunc, Round].into_iter().map(MapOp::Unary).collect();
    ops.extend(activations().into_iter().map(|a| MapOp::Unary(Act(a))));
    use BinaryOp::*;
    ops.extend([Add, Sub, Mul, Div, Pow, Max, Min, Equal, Greater, Less].into_iter().map(MapOp::Binary));
    ops.push(MapOp::MulAdd);
    ops.push(MapOp::Select);
    ops
}

#[allow(clippy::too_many_arguments)]
fn geom(c: usize, h: usize, w: usize, oc: usize, k: usize, stride: usize, pad: usize, groups: usize) -> Conv2dGeom {
    let oh = (h + 2 * pad - k) / stride + 1;
    let ow = (w + 2 * pad - k) / stride + 1;
    Conv2dGeom {
        c,
        h,
        w,
        oc,
        oh,
        ow,
        kh: k,
        kw: k,
        stride_h: stride,
        stride_w: stride,
        pad_top: pad,
        pad_left: pad,
        dil_h: 1,
        dil_w: 1,
        groups,
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm(
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
        GemmB::Packed { at: weights(64), nr: vitc_lower::GEMM_NR, batch_stride: 0 }
    } else {
        GemmB::Strided { at: arena(A1), row_stride: n as isize, col_stride: 1, batch_stride: (k * n) as isize }
    };
    Kernel::Gemm {
        m,
        n,
        k,
        batch,
        a: arena(A0),
        lda: k,
        a_batch_stride: m * k,
        b,
        c: arena(A2),
        ldc: n,
        c_batch_stride: m * n,
        bias: bias.then(|| weights(0)),
        bias_batch_stride: 0,
        residual: residual.then(|| arena(A3)),
        act,
    }
}

/// `(name, kernel)` for every case.
pub fn catalogue() -> Vec<(String, Kernel)> {
    let mut out: Vec<(String, Kernel)> = Vec::new();
    // GEMMs: aligned and ragged sizes, both B layouts, batches, epilogues.
    for (m, n, k) in [(64, 64, 64), (37, 19, 23), (130, 72, 48), (5, 8, 3), (16, 16, 16)] {
        for packed in [true, false] {
            out.push((
                format!("gemm_{m}x{n}x{k}_{}", if packed { "packed" } else { "strided" }),
                gemm(m, n, k, 1, packed, false, false, Activation::None),
            ));
        }
    }
    out.push(("gemm_batch3_strided".into(), gemm(20, 12, 9, 3, false, true, true, Activation::Relu)));
    out.push(("gemm_batch2_packed".into(), gemm(33, 40, 16, 2, true, true, false, Activation::None)));
    for (i, act) in activations().into_iter().enumerate() {
        out.push((format!("gemm_epilogue_{i}"), gemm(24, 24, 20, 1, true, true, true, act)));
    }
    // B transposed (k contiguous): q · kᵀ.
    out.push((
        "gemm_bt".into(),
        Kernel::Gemm {
            m: 30,
            n: 28,
            k: 16,
            batch: 2,
            a: arena(A0),
            lda: 16,
            a_batch_stride: 30 * 16,
            b: GemmB::Strided { at: arena(A1), row_stride: 1, col_stride: 16, batch_stride: 28 * 16 },
            c: arena(A2),
            ldc: 28,
            c_batch_stride: 30 * 28,
            bias: None,
            bias_batch_stride: 0,
            residual: None,
            act: Activation::None,
        },
    ));
    // Maps: every op over a broadcast, a transpose and a dense layout.
    for (i, op) in map_ops().into_iter().enumerate() {
        let dims = vec![3, 5, 7];
        let inputs: Vec<Strided> = (0..op.arity())
            .map(|j| match j {
                0 => Strided { at: arena(A0), strides: vec![35, 7, 1] },
                1 => Strided { at: arena(A1), strides: vec![0, 1, 5] },
                _ => Strided { at: weights(0), strides: vec![0, 0, 1] },
            })
            .collect();
        out.push((format!("map_{i}"), Kernel::Map { op, dims, out: arena(A2), inputs }));
    }
    out.push((
        "map_scalar".into(),
        Kernel::Map {
            op: MapOp::Unary(UnaryOp::Exp),
            dims: vec![],
            out: arena(A2),
            inputs: vec![Strided { at: arena(A0), strides: vec![] }],
        },
    ));
    out.push((
        "map_reversed".into(),
        Kernel::Map {
            op: MapOp::Unary(UnaryOp::Copy),
            dims: vec![4, 6],
            out: arena(A2),
            inputs: vec![Strided { at: arena(A0 + 23), strides: vec![-6, -1] }],
        },
    ));
    out.push((
        "gather".into(),
        Kernel::Gather {
            outer: 3,
            src_axis: 10,
            inner: 4,
            indices: 6,
            table: weights(0),
            src: arena(A0),
            out: arena(A2),
        },
    ));
    out.push(("softmax".into(), Kernel::Softmax { rows: 9, cols: 37, x: arena(A0), out: arena(A2) }));
    out.push(("softmax_wide".into(), Kernel::Softmax { rows: 3, cols: 700, x: arena(A0), out: arena(A2) }));
    out.push((
        "layer_norm".into(),
        Kernel::LayerNorm {
            rows: 7,
            cols: 48,
            eps: 1e-5,
            x: arena(A0),
            scale: weights(0),
            bias: Some(weights(64)),
            out: arena(A2),
        },
    ));
    out.push((
        "layer_norm_nobias".into(),
        Kernel::LayerNorm {
            rows: 5,
            cols: 100,
            eps: 1e-6,
            x: arena(A0),
            scale: weights(0),
            bias: None,
            out: arena(A2),
        },
    ));
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for inner in [1, 5] {
            out.push((
                format!("reduce_{op:?}_{inner}"),
                Kernel::Reduce { op, outer: 4, reduce: 45, inner, src: arena(A0), out: arena(A2) },
            ));
        }
    }
    out.push((
        "conv2d_3x3".into(),
        Kernel::Conv2d {
            geom: geom(4, 9, 9, 6, 3, 2, 1, 1),
            x: arena(A0),
            w: weights(0),
            bias: Some(weights(1024)),
            out: arena(A2),
            act: Activation::HardSwish,
        },
    ));
    out.push((
        "conv2d_depthwise".into(),
        Kernel::Conv2d {
            geom: geom(6, 7, 7, 6, 3, 1, 1, 6),
            x: arena(A0),
            w: weights(0),
            bias: None,
            out: arena(A2),
            act: Activation::None,
        },
    ));
    out.push((
        "conv2d_large_window".into(),
        Kernel::Conv2d {
            geom: geom(2, 12, 12, 2, 9, 1, 4, 2),
            x: arena(A0),
            w: weights(0),
            bias: None,
            out: arena(A2),
            act: Activation::Relu,
        },
    ));
    out.push(("im2col".into(), Kernel::Im2col { geom: geom(3, 8, 8, 5, 3, 2, 1, 1), x: arena(A0), out: arena(A2) }));
    for (kind, cip) in [(PoolKind::Max, false), (PoolKind::Avg, false), (PoolKind::Avg, true)] {
        out.push((
            format!("pool_{kind:?}_{cip}"),
            Kernel::Pool2d {
                kind,
                geom: geom(3, 9, 9, 3, 3, 2, 1, 1),
                count_include_pad: cip,
                x: arena(A0),
                out: arena(A2),
            },
        ));
    }
    out.push((
        "pool_global".into(),
        Kernel::Pool2d {
            kind: PoolKind::Avg,
            geom: geom(2, 10, 10, 2, 10, 1, 0, 1),
            count_include_pad: false,
            x: arena(A0),
            out: arena(A2),
        },
    ));
    let mut tg = geom(4, 10, 10, 6, 3, 2, 1, 2);
    (tg.oh, tg.ow) = (5, 5);
    out.push((
        "conv_transpose2d".into(),
        Kernel::ConvTranspose2d { geom: tg, x: arena(A0), w: weights(0), bias: Some(weights(1024)), out: arena(A2) },
    ));
    out.push(("fill".into(), Kernel::Fill { len: 1000, value: -2.5, out: arena(A2) }));
    out.push((
        "resample".into(),
        Kernel::Resample {
            outer: 3,
            src_axis: 5,
            inner: 4,
            dst_axis: 9,
            taps: 2,
            index: weights(0),
            coeff: weights(64),
            src: arena(A0),
            out: arena(A2),
        },
    ));
    out.push((
        "resample_many_taps".into(),
        Kernel::Resample {
            outer: 2,
            src_axis: 12,
            inner: 3,
            dst_axis: 4,
            taps: 12,
            index: weights(0),
            coeff: weights(64),
            src: arena(A0),
            out: arena(A2),
        },
    ));
    out.extend(attention_cases());
    out
}

fn view(at: Loc, strides: [isize; 4]) -> View4 {
    View4 { at, strides }
}

/// Attention: LeViT-like (bias, HardSwish), DeiT-like (plain), CSWin-like (LePE), wide dv.
pub fn attention_cases() -> Vec<(String, Kernel)> {
    let mut out = Vec::new();
    for (name, (batch, heads, n, m, d, dv), bias, lepe, act) in [
        ("attention_bias", (1, 2, 9, 9, 8, 12), true, false, Activation::HardSwish),
        ("attention_plain", (2, 2, 5, 7, 4, 40), false, false, Activation::None),
        ("attention_lepe", (1, 2, 12, 12, 4, 6), false, true, Activation::None),
        ("attention_wide", (1, 1, 3, 70, 130, 150), true, false, Activation::None),
    ] {
        let g = AttentionGeom { batch, heads, n, m, d, dv };
        // q: (b, h, i, e) dense; kt: (b, h, e, j) dense; v: (b, h, j, c) dense; out: (b, i, h, c) (heads interleaved).
        let q = view(arena(A0), [(heads * n * d) as isize, (n * d) as isize, d as isize, 1]);
        let kt = view(arena(A1), [(heads * d * m) as isize, (d * m) as isize, m as isize, 1]);
        let v = view(arena(A3), [(heads * m * dv) as isize, (m * dv) as isize, dv as isize, 1]);
        let o = view(arena(A2), [(n * heads * dv) as isize, dv as isize, (heads * dv) as isize, 1]);
        let lepe = lepe.then(|| Lepe {
            grid_h: 3,
            grid_w: 4,
            kh: 3,
            kw: 3,
            pad_h: 1,
            pad_w: 1,
            w: weights(8192),
            bias: Some(weights(12288)),
        });
        out.push((
            name.to_string(),
            Kernel::Attention { geom: g, scale: 0.35, q, kt, v, bias: bias.then(|| weights(0)), lepe, out: o, act },
        ));
    }
    out
}

/// A program running `kernel` alone over the catalogue's arena and weights.
pub fn program(name: &str, kernel: Kernel) -> Program {
    Program {
        name: name.to_string(),
        kernels: vec![kernel],
        arena_len: ARENA,
        weights: vec![0; WEIGHTS * 4],
        inputs: vec![],
        outputs: vec![],
        batch: BatchPlan { dynamic: false, max_batch: 1 },
        memory: MemoryStats::default(),
    }
}
