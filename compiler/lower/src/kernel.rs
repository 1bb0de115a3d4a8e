//! The kernel level: what every backend turns into machine code.
//!
//! A [`crate::Program`] is a list of [`Kernel`]s over f32 data in two
//! regions: the **arena** (activations, inputs and outputs; one per context,
//! read-write) and the **weights** blob (read-only, 64-byte aligned, packed by
//! the lowering). Everything is addressed as a region plus an element offset;
//! all sizes, strides and offsets are compile-time constants.
//!
//! Parallelism: every kernel has a [`Kernel::extent`], the size of its
//! outermost loop. The runtime splits `0..extent` into chunks and calls the
//! kernel's function once per chunk, `f(arena, weights, start, end)`, possibly
//! on several threads at once; chunks write disjoint outputs. A backend must
//! produce exactly the same results whatever the chunking (no reductions
//! across chunks).
//!
//! Conventions for views: element `i` of a view with `dims` and `strides`
//! lives at `offset + Σ idx_d · strides_d` (strides in elements, may be 0
//! for broadcasting or negative for reversed slices). Outputs are always
//! written densely (row-major, contiguous) unless a stride list says otherwise.
//!
//! Values of other ONNX types are f32s too (see [`crate::program`]): a bool
//! is `0.0` or `1.0` (comparisons produce exactly these, [`MapOp::Select`]
//! tests `!= 0`), an integer is its exact f32 value, exact up to 2^24 in
//! magnitude; integer division is a `Div` followed by [`UnaryOp::Trunc`].

/// A memory region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Activations: inputs, outputs and intermediates, planned by the lowering.
    Arena,
    /// The read-only weights blob.
    Weights,
}

/// A position in a region, in f32 elements (u32 elements for index tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub region: Region,
    pub offset: usize,
}

impl Loc {
    pub fn arena(offset: usize) -> Loc {
        Loc { region: Region::Arena, offset }
    }
    pub fn weights(offset: usize) -> Loc {
        Loc { region: Region::Weights, offset }
    }
}

/// An activation fused into a kernel's output, applied last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    None,
    Relu,
    Sigmoid,
    /// `x * relu6(x + 3) / 6`
    HardSwish,
    /// `max(0, min(1, alpha * x + beta))`
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// `0.5 x (1 + erf(x / √2))`
    Gelu,
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`
    GeluTanh,
}

/// Element-wise functions of one operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    /// Plain copy (transpose, slice, expand, concat parts, ...).
    Copy,
    Neg,
    Abs,
    Sqrt,
    Exp,
    Log,
    Erf,
    Tanh,
    Reciprocal,
    /// Rounds toward zero (integer division, casts of floats to integers).
    Trunc,
    /// Rounds to the nearest integer, ties to even (exact integer powers,
    /// ONNX Round).
    Round,
    /// Rounds toward −∞.
    Floor,
    /// Rounds toward +∞.
    Ceil,
    /// −1, 0 or 1 by the sign (±0 and NaN kept).
    Sign,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    /// `1.0` where the operand is NaN, else `0.0`.
    IsNaN,
    /// `1.0` where the operand is +∞ (when `positive`) or −∞ (when
    /// `negative`), else `0.0`.
    IsInf {
        negative: bool,
        positive: bool,
    },
    /// An activation (Relu, Sigmoid, HardSwish, HardSigmoid, Gelu, GeluTanh).
    Act(Activation),
}

/// Element-wise functions of two operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `powf(a, b)`
    Pow,
    /// The larger operand; NaN when either is NaN (as ONNX Runtime).
    Max,
    /// The smaller operand; NaN when either is NaN (as ONNX Runtime).
    Min,
    /// `1.0` when `a == b`, else `0.0` (NaN compares unequal).
    Equal,
    /// `1.0` when `a > b`, else `0.0` (false for NaN).
    Greater,
    /// `1.0` when `a < b`, else `0.0` (false for NaN).
    Less,
    /// The floored modulo `a − floor(a/b)·b`, the sign of `b` (ONNX `Mod`,
    /// `fmod = 0`; Python's `%`). Exact for integers (below 2^24).
    Mod,
    /// C's `fmod(a, b)`, the sign of `a` (ONNX `Mod`, `fmod = 1`).
    Fmod,
}

/// What a [`Kernel::Map`] computes per element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MapOp {
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// `in0 * in1 + in2` (BatchNorm as scale and shift).
    MulAdd,
    /// `in0 != 0 ? in1 : in2` (ONNX Where; a NaN condition selects `in1`).
    Select,
}

impl MapOp {
    /// Number of operands.
    pub fn arity(self) -> usize {
        match self {
            MapOp::Unary(_) => 1,
            MapOp::Binary(_) => 2,
            MapOp::MulAdd | MapOp::Select => 3,
        }
    }
}

/// A strided operand of a [`Kernel::Map`]: `strides.len()` equals the rank of
/// the map's `dims`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strided {
    pub at: Loc,
    pub strides: Vec<isize>,
}

/// How the right-hand matrix of a [`Kernel::Gemm`] is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GemmB {
    /// Constant, packed by the lowering into panels of `nr` columns:
    /// panel `p` (columns `p*nr .. p*nr+nr`) is `k` rows of `nr` floats,
    /// row `kk` at `at.offset + (p * k + kk) * nr`; columns past `n` are zero.
    /// `nr` is [`crate::GEMM_NR`] unless the lowering was asked for wider
    /// panels ([`crate::LowerOptions::gemm_nr`]). Batch `b` reads its
    /// panels from `at.offset + b·batch_stride` (0: one B for all batches;
    /// a column-split GEMM steps by its columns' panels).
    Packed { at: Loc, nr: usize, batch_stride: usize },
    /// A run-time matrix: element `(kk, j)` at `at + batch·batch_stride +
    /// kk * row_stride + j * col_stride`.
    Strided { at: Loc, row_stride: isize, col_stride: isize, batch_stride: isize },
}

/// One kernel instance, fully specialised: one named struct per kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Kernel {
    /// See [`Gemm`].
    Gemm(Gemm),
    /// See [`Map`].
    Map(Map),
    /// See [`Gather`].
    Gather(Gather),
    /// See [`Softmax`].
    Softmax(Softmax),
    /// See [`LayerNorm`].
    LayerNorm(LayerNorm),
    /// See [`Reduce`].
    Reduce(Reduce),
    /// See [`Conv2d`].
    Conv2d(Conv2d),
    /// See [`Im2col`].
    Im2col(Im2col),
    /// See [`Pool2d`].
    Pool2d(Pool2d),
    /// See [`ConvTranspose2d`].
    ConvTranspose2d(ConvTranspose2d),
    /// See [`Fill`].
    Fill(Fill),
    /// See [`Attention`].
    Attention(Attention),
    /// See [`Resample`].
    Resample(Resample),
}

/// `C[b] = act(A[b] · B[b] + bias + residual[b])` for `b in 0..batch`.
/// A is `m × k` with element `(i, kk)` at `a + b·a_batch_stride + i*lda + kk`
/// (rows contiguous in k). C is `m × n`, element `(i, j)` at
/// `c + b·c_batch_stride + i*ldc + j`. `bias` is `n` floats (per column)
/// at `bias + b·bias_batch_stride`. `residual`, when present, has C's
/// layout (its own location) and is added before the activation.
/// Extent: `batch * m` (chunks of rows of all batches flattened, row `r`
/// = batch `r / m`, row `r % m`).
///
/// A GEMM with few rows and many columns is lowered *column-split*: its
/// batches are blocks of [`crate::GEMM_COL_BLOCK`] columns of one
/// product (`a_batch_stride` 0, `c_batch_stride` and `bias_batch_stride`
/// the block width, B's `batch_stride` the block's panels), so threads
/// share out the weights instead of each streaming all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batch: usize,
    pub a: Loc,
    pub lda: usize,
    pub a_batch_stride: usize,
    pub b: GemmB,
    pub c: Loc,
    pub ldc: usize,
    pub c_batch_stride: usize,
    pub bias: Option<Loc>,
    pub bias_batch_stride: usize,
    pub residual: Option<Loc>,
    pub act: Activation,
}

/// `out[idx] = op(in_0[idx], ...)` over `dims` (row-major, `out`
/// contiguous from `out`). Extent: `dims[0]` (or 1 for a scalar).
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    pub op: MapOp,
    pub dims: Vec<usize>,
    pub out: Loc,
    pub inputs: Vec<Strided>,
}

/// `out[o, i, :] = src[o, idx[i], :]` with `idx` a constant table of
/// `indices` u32 values in the weights region. `src` is `outer ×
/// src_axis × inner` contiguous. Extent: `outer`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gather {
    pub outer: usize,
    pub src_axis: usize,
    pub inner: usize,
    pub indices: usize,
    pub table: Loc,
    pub src: Loc,
    pub out: Loc,
}

/// `out[r, :] = softmax(x[r, :])` over `rows × cols` contiguous rows
/// (subtract the row max first). Extent: `rows`.
#[derive(Clone, Debug, PartialEq)]
pub struct Softmax {
    pub rows: usize,
    pub cols: usize,
    pub x: Loc,
    pub out: Loc,
}

/// `out[r, :] = (x[r, :] − mean) / sqrt(var + eps) * scale + bias`
/// (population variance). Extent: `rows`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    pub rows: usize,
    pub cols: usize,
    pub eps: f32,
    pub x: Loc,
    pub scale: Loc,
    pub bias: Option<Loc>,
    pub out: Loc,
}

/// `out[o, i] = reduce_r src[o, r, i]` over `outer × reduce × inner`
/// contiguous. Extent: `outer`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reduce {
    pub op: ReduceOp,
    pub outer: usize,
    pub reduce: usize,
    pub inner: usize,
    pub src: Loc,
    pub out: Loc,
}

/// Direct 2-D convolution of one image: `x` is `c × h × w`, `w` is
/// `oc × (c/groups) × kh × kw` (weights region), `out` is `oc × oh × ow`,
/// plus `bias` (`oc`) and the activation. Extent: `oc`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    pub geom: Conv2dGeom,
    pub x: Loc,
    pub w: Loc,
    pub bias: Option<Loc>,
    pub out: Loc,
    pub act: Activation,
}

/// `cols[(oy*ow + ox), (ci*kh + ky)*kw + kx] = x[ci, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw]`
/// (0 outside): the transposed im2col of one image, `(oh*ow) × (c*kh*kw)`
/// row-major, ready to be A of a Gemm with packed weights. Extent: `oh`.
#[derive(Clone, Debug, PartialEq)]
pub struct Im2col {
    pub geom: Conv2dGeom,
    pub x: Loc,
    pub out: Loc,
}

/// 2-D pooling of `c × h × w` into `c × oh × ow`. Taps outside the
/// image are skipped. For `Avg`, `count_include_pad` decides the
/// divisor: `kh · kw` when set (the lowering never emits windows that
/// reach past the end padding), else the number of taps inside the
/// image. Extent: `c`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool2d {
    pub kind: PoolKind,
    pub geom: Conv2dGeom,
    pub count_include_pad: bool,
    pub x: Loc,
    pub out: Loc,
}

/// Transposed 2-D convolution of one image: `x` is `c × h × w`, `w` is
/// `c × (oc/groups) × kh × kw`, `out` is `oc × oh × ow` (output geometry
/// in `geom`: `h, w` are the *output* sizes, `oh, ow` the *input* sizes,
/// strides/pads/dilations as in ONNX). Extent: `oc`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvTranspose2d {
    pub geom: Conv2dGeom,
    pub x: Loc,
    pub w: Loc,
    pub bias: Option<Loc>,
    pub out: Loc,
}

/// `out[0..len] = value`. Extent: `len`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fill {
    pub len: usize,
    pub value: f32,
    pub out: Loc,
}

/// Fused scaled-dot-product attention, one query row per outer index
/// (see [`AttentionGeom`]): for row `r` = `(b·heads + h)·n + i`,
/// `l[j] = scale · Σ_e q[b,h,i,e]·kt[b,h,e,j] + bias[h,i,j]` (`j < m`),
/// `p = softmax(l)` (row max subtracted), then
/// `out[b,h,i,c] = act(Σ_j p[j]·v[b,h,j,c]) + lepe[b,h,i,c]` (`c < dv`).
/// The logits row lives in the kernel's own scratch (at most
/// [`ATTENTION_MAX_KEYS`] keys), never in the arena. `kt`, `v` and `out`
/// have unit stride on their last axis; `bias` is a dense `heads × n × m`
/// table in the weights region. Extent: `batch · heads · n`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    pub geom: AttentionGeom,
    pub scale: f32,
    pub q: View4,
    pub kt: View4,
    pub v: View4,
    pub bias: Option<Loc>,
    pub lepe: Option<Lepe>,
    pub out: View4,
    pub act: Activation,
}

/// Separable resampling of one axis (linear and cubic Resize):
/// `out[o, i, e] = Σ_{t < taps} coeff[i·taps + t] · src[o, index[i·taps + t], e]`
/// for `o < outer`, `i < dst_axis`, `e < inner`, the sum accumulated
/// from `0.0` in tap order. `src` is `outer × src_axis × inner` and `out`
/// `outer × dst_axis × inner`, both contiguous; `index` is a table of
/// `dst_axis · taps` u32 values below `src_axis` and `coeff` one of
/// `dst_axis · taps` f32 values, both in the weights region.
/// Extent: `outer`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resample {
    pub outer: usize,
    pub src_axis: usize,
    pub inner: usize,
    pub dst_axis: usize,
    pub taps: usize,
    pub index: Loc,
    pub coeff: Loc,
    pub src: Loc,
    pub out: Loc,
}

/// Most keys a [`Kernel::Attention`] row may have (its scratch row).
pub const ATTENTION_MAX_KEYS: usize = 4096;

/// Sizes of a [`Kernel::Attention`]: `batch × heads` slices of `n` query
/// rows of depth `d` against `m` keys, values `dv` wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionGeom {
    pub batch: usize,
    pub heads: usize,
    pub n: usize,
    pub m: usize,
    pub d: usize,
    pub dv: usize,
}

/// A 4-D strided operand: element `(b, h, r, c)` at
/// `at + b·strides[0] + h·strides[1] + r·strides[2] + c·strides[3]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View4 {
    pub at: Loc,
    pub strides: [isize; 4],
}

/// CSWin's locally-enhanced positional encoding fused into
/// [`Kernel::Attention`]: a depthwise `kh × kw` convolution of V seen as a
/// `grid_h × grid_w` image per channel (`m = n = grid_h · grid_w`, key `j`
/// at `(j / grid_w, j % grid_w)`), zero padding `pad_h`, `pad_w`:
/// `lepe[b,h,i,c] = bias[h,c] + Σ_{ty,tx} w[h, ty·kw + tx, c] ·
/// v[b, h, (y + ty − pad_h)·grid_w + (x + tx − pad_w), c]` for query
/// `i = y·grid_w + x`, taps outside the grid skipped, the taps summed in
/// order after `bias`. `w` (`heads × kh·kw × dv`) and `bias`
/// (`heads × dv`) are dense in the weights region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lepe {
    pub grid_h: usize,
    pub grid_w: usize,
    pub kh: usize,
    pub kw: usize,
    pub pad_h: usize,
    pub pad_w: usize,
    pub w: Loc,
    pub bias: Option<Loc>,
}

/// Reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Mean,
    Max,
    Min,
}

impl ReduceOp {
    /// The value a reduction starts from (0, −∞ for `Max`, +∞ for `Min`).
    pub fn identity(self) -> f32 {
        match self {
            ReduceOp::Sum | ReduceOp::Mean => 0.0,
            ReduceOp::Max => f32::NEG_INFINITY,
            ReduceOp::Min => f32::INFINITY,
        }
    }

    /// The factor applied to the result over `reduce` elements (`1/reduce`
    /// for a non-empty `Mean`, none otherwise).
    pub fn finish_scale(self, reduce: usize) -> Option<f32> {
        match self {
            ReduceOp::Mean if reduce > 0 => Some(1.0 / reduce as f32),
            _ => None,
        }
    }
}

/// Output positions `[lo, hi)` along one window axis whose whole window
/// (`k` taps, `dil` apart, input `inp` long with `pad` before it) lies
/// inside the input (`lo ≤ hi ≤ out`): the loop part without bounds checks.
pub fn window_interior(out: usize, inp: usize, k: usize, stride: usize, pad: usize, dil: usize) -> (usize, usize) {
    let lo = pad.div_ceil(stride).min(out);
    let last = (inp + pad) as i64 - 1 - (k.saturating_sub(1) * dil) as i64;
    let hi = if last < 0 { 0 } else { (last as usize / stride + 1).min(out) };
    (lo, hi.max(lo))
}

/// Input coordinate of output `o`, window tap `t` (may be outside).
pub fn window_tap(o: usize, t: usize, stride: usize, pad: usize, dil: usize) -> i64 {
    (o * stride + t * dil) as i64 - pad as i64
}

/// Pool kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

/// Geometry of a 2-D window op on one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    /// Input channels, height, width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Output channels (for pools: `c`), height, width.
    pub oc: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub dil_h: usize,
    pub dil_w: usize,
    pub groups: usize,
}

impl Kernel {
    /// The size of the outermost loop, which the runtime splits into chunks.
    pub fn extent(&self) -> usize {
        match self {
            Kernel::Gemm(Gemm { m, batch, .. }) => m * batch,
            Kernel::Map(Map { dims, .. }) => dims.first().copied().unwrap_or(1),
            Kernel::Gather(Gather { outer, .. })
            | Kernel::Reduce(Reduce { outer, .. })
            | Kernel::Resample(Resample { outer, .. }) => *outer,
            Kernel::Softmax(Softmax { rows, .. }) | Kernel::LayerNorm(LayerNorm { rows, .. }) => *rows,
            Kernel::Conv2d(Conv2d { geom, .. }) | Kernel::ConvTranspose2d(ConvTranspose2d { geom, .. }) => geom.oc,
            Kernel::Im2col(Im2col { geom, .. }) => geom.oh,
            Kernel::Pool2d(Pool2d { geom, .. }) => geom.c,
            Kernel::Fill(Fill { len, .. }) => *len,
            Kernel::Attention(Attention { geom, .. }) => geom.batch * geom.heads * geom.n,
        }
    }

    /// Estimated work of one index of the kernel's outer loop.
    pub fn work_per_index(&self) -> usize {
        match self {
            Kernel::Gemm(Gemm { n, k, .. }) => n.saturating_mul(*k),
            Kernel::Map(Map { op, dims, .. }) => dims.iter().skip(1).product::<usize>().saturating_mul(op.arity()),
            Kernel::Gather(Gather { indices, inner, .. }) => indices.saturating_mul(*inner),
            Kernel::Softmax(Softmax { cols, .. }) | Kernel::LayerNorm(LayerNorm { cols, .. }) => cols.saturating_mul(4),
            Kernel::Reduce(Reduce { reduce, inner, .. }) => reduce.saturating_mul(*inner),
            Kernel::Conv2d(Conv2d { geom, .. }) => {
                [geom.oh, geom.ow, geom.c / geom.groups.max(1), geom.kh, geom.kw].iter().product()
            }
            Kernel::Im2col(Im2col { geom, .. }) => [geom.ow, geom.c, geom.kh, geom.kw].iter().product(),
            Kernel::Pool2d(Pool2d { geom, .. }) => [geom.oh, geom.ow, geom.kh, geom.kw].iter().product(),
            // `oh, ow` are the input sizes here: each output channel gathers every
            // input pixel of its group through the kernel window.
            Kernel::ConvTranspose2d(ConvTranspose2d { geom, .. }) => {
                [geom.oh, geom.ow, geom.c / geom.groups.max(1), geom.kh, geom.kw].iter().product()
            }
            Kernel::Fill(Fill { .. }) => 1,
            Kernel::Attention(Attention { geom: g, lepe, .. }) => {
                let taps = lepe.map_or(0, |l| l.kh * l.kw);
                g.m.saturating_mul(g.d + g.dv + 8).saturating_add(taps.saturating_mul(g.dv))
            }
            Kernel::Resample(Resample { dst_axis, inner, taps, .. }) => [*dst_axis, *inner, *taps].iter().product(),
        }
    }

    /// Estimated work of the whole kernel (roughly: multiply-adds or
    /// elements touched), which the runtime uses to decide how finely to
    /// split it.
    pub fn work(&self) -> usize {
        self.extent().saturating_mul(self.work_per_index().max(1))
    }

    /// A short name for listings (`--emit asm` headers, profiles).
    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Gemm(Gemm { .. }) => "gemm",
            Kernel::Map(Map { .. }) => "map",
            Kernel::Gather(Gather { .. }) => "gather",
            Kernel::Softmax(Softmax { .. }) => "softmax",
            Kernel::LayerNorm(LayerNorm { .. }) => "layer_norm",
            Kernel::Reduce(Reduce { .. }) => "reduce",
            Kernel::Conv2d(Conv2d { .. }) => "conv2d",
            Kernel::Im2col(Im2col { .. }) => "im2col",
            Kernel::Pool2d(Pool2d { .. }) => "pool2d",
            Kernel::ConvTranspose2d(ConvTranspose2d { .. }) => "conv_transpose2d",
            Kernel::Fill(Fill { .. }) => "fill",
            Kernel::Attention(Attention { .. }) => "attention",
            Kernel::Resample(Resample { .. }) => "resample",
        }
    }
}
