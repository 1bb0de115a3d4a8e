//! The op set of the IR.
//!
//! Ops mirror ONNX (opsets 11–28) in one canonical form, so that passes,
//! the interpreter and the backends see one spelling per op:
//!
//! - Inputs follow ONNX's input-form (opset ≥ 13) for data-like operands:
//!   `reshape(data, shape)`, `slice(data, starts, ends, axes?, steps?)`,
//!   `expand(x, shape)`, `pad(x, pads, value?, axes?)`,
//!   `resize(x, roi?, scales?, sizes?)`, `range(start, limit, delta)`,
//!   `constant_of_shape(shape)`, `gather(data, indices)`.
//! - Axes that must be constant are attributes: `reduce_*{axes, keepdims,
//!   noop_with_empty_axes}`, `squeeze{axes}`, `unsqueeze{axes}`,
//!   `split{axis, split}` (without `split`, equal parts, one per output).
//!   The ONNX frontend moves opset-18 `axes` inputs into these attributes.
//! - `cast{to="f32"}` and `constant_of_shape{value, dtype="f32"}` name the
//!   dtype in text; `gelu{approximate="none"|"tanh"}`.
//! - All other attributes keep their ONNX names and defaults.
//!
//! Absent optional inputs are printed as `_`. Fused ops (`attention`) come
//! from the mid-end; every executor implements them.

use std::fmt;

macro_rules! op_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal ),* $(,)?) => {
        /// What a node computes. See the module docs for the canonical form.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OpKind {
            $( $(#[$doc])* $variant, )*
        }

        impl OpKind {
            /// Every op kind.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$variant),*];

            /// The text-form name (`matmul`, `reduce_mean`, ...).
            pub fn name(self) -> &'static str {
                match self { $(OpKind::$variant => $name,)* }
            }
        }
    };
}

op_kinds! {
    /// A graph input; no operands.
    Input = "input",
    /// A value from the weight table; no operands.
    Const = "const",
    Identity = "identity",
    Neg = "neg",
    Abs = "abs",
    Sqrt = "sqrt",
    Exp = "exp",
    Log = "log",
    Erf = "erf",
    Tanh = "tanh",
    Reciprocal = "reciprocal",
    /// Rounds toward −∞.
    Floor = "floor",
    /// Rounds toward +∞.
    Ceil = "ceil",
    /// Rounds to the nearest integer, ties to even.
    Round = "round",
    /// −1, 0 or 1 by the sign (integers too); ±0 and NaN are kept.
    Sign = "sign",
    Sin = "sin",
    Cos = "cos",
    Tan = "tan",
    Asin = "asin",
    Acos = "acos",
    Atan = "atan",
    Sinh = "sinh",
    Cosh = "cosh",
    Asinh = "asinh",
    Acosh = "acosh",
    Atanh = "atanh",
    /// `is_nan(x)`: a bool tensor, true where `x` is NaN.
    IsNaN = "is_nan",
    /// `is_inf(x) {detect_negative=1, detect_positive=1}`: a bool tensor,
    /// true where `x` is an infinity of a detected sign.
    IsInf = "is_inf",
    Relu = "relu",
    Sigmoid = "sigmoid",
    HardSigmoid = "hard_sigmoid",
    HardSwish = "hard_swish",
    Gelu = "gelu",
    Cast = "cast",
    Add = "add",
    Sub = "sub",
    Mul = "mul",
    Div = "div",
    Pow = "pow",
    /// `mod(a, b) {fmod}`: the floored modulo (sign of `b`) when `fmod` is
    /// 0 (the default), C's `fmod` (sign of `a`) when it is 1.
    Mod = "mod",
    /// `max(a, b)`: the larger operand; NaN when either is NaN (as numpy's
    /// `maximum` and ONNX Runtime).
    Max = "max",
    /// `min(a, b)`: the smaller operand; NaN when either is NaN.
    Min = "min",
    Equal = "equal",
    Less = "less",
    Greater = "greater",
    Where = "where",
    MatMul = "matmul",
    Gemm = "gemm",
    Conv = "conv",
    ConvTranspose = "conv_transpose",
    BatchNormalization = "batch_normalization",
    LayerNormalization = "layer_normalization",
    Softmax = "softmax",
    AveragePool = "average_pool",
    MaxPool = "max_pool",
    GlobalAveragePool = "global_average_pool",
    ReduceMean = "reduce_mean",
    ReduceSum = "reduce_sum",
    ReduceMax = "reduce_max",
    ReduceMin = "reduce_min",
    Reshape = "reshape",
    Flatten = "flatten",
    Transpose = "transpose",
    Squeeze = "squeeze",
    Unsqueeze = "unsqueeze",
    Concat = "concat",
    Split = "split",
    Slice = "slice",
    Gather = "gather",
    /// `scatter_nd(data, indices, updates) {reduction}`: ONNX ScatterND, a
    /// copy of `data` whose slices named by `indices`' last axis are
    /// replaced by (`reduction` none) or combined with the slices of
    /// `updates`.
    ScatterND = "scatter_nd",
    Shape = "shape",
    Expand = "expand",
    Range = "range",
    ConstantOfShape = "constant_of_shape",
    Pad = "pad",
    Resize = "resize",
    Einsum = "einsum",
    /// Fused attention (produced by the mid-end, never by a frontend):
    /// `attention(q, kt, v, bias?) {scale, act?}` =
    /// `act(softmax(scale · q·kt + bias, axis=-1) · v)` with `q` `[..,Nq,d]`,
    /// `kt` `[..,d,Nk]` (keys already transposed), `v` `[..,Nk,dv]` and `bias`
    /// broadcast to `[..,Nq,Nk]`; `act` is an activation op name
    /// (`hard_swish`, `relu`, `gelu`, `sigmoid`) applied to the output.
    /// With CSWin's LePE, `attention(q, kt, v, bias?, lepe_w, lepe_b?)
    /// {lepe_grid=[gh,gw], lepe_pads=[ph,pw]}` adds a depthwise convolution
    /// of V: with `v` `[B,H,N,dv]` seen as an image `[B, H·dv, gh, gw]`
    /// (channel `h·dv + c`, position `i = y·gw + x`), `lepe_w`
    /// `[H·dv,1,kh,kw]` and `lepe_b` `[H·dv]`, the result is
    /// `act(...) + conv(v_image)` mapped back to `[B,H,N,dv]`.
    Attention = "attention",
}

impl OpKind {
    /// Looks an op up by its text-form name.
    pub fn from_name(name: &str) -> Option<OpKind> {
        OpKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Element-wise ops with one operand.
    pub fn is_unary_elementwise(self) -> bool {
        use OpKind::*;
        matches!(
            self,
            Identity
                | Neg
                | Abs
                | Sqrt
                | Exp
                | Log
                | Erf
                | Tanh
                | Reciprocal
                | Floor
                | Ceil
                | Round
                | Sign
                | Sin
                | Cos
                | Tan
                | Asin
                | Acos
                | Atan
                | Sinh
                | Cosh
                | Asinh
                | Acosh
                | Atanh
                | IsNaN
                | IsInf
                | Relu
                | Sigmoid
                | HardSigmoid
                | HardSwish
                | Gelu
                | Cast
        )
    }

    /// Element-wise ops with two broadcast operands.
    pub fn is_binary_elementwise(self) -> bool {
        use OpKind::*;
        matches!(self, Add | Sub | Mul | Div | Pow | Mod | Max | Min | Equal | Less | Greater)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
