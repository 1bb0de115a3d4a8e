//! Op converters: one file per ONNX op or small op family, and the single
//! dispatch table [`OPS`] from `op_type` to converter.
//!
//! Every converter gets the graph being built, the node (its resolved
//! operands, attributes and the model's opset) and the IR [`OpKind`] its table
//! row names, and returns the IR values of the node's outputs, in order. A
//! converter may return fewer values than the node declares: the builder then
//! checks that the missing (optional, unsupported) outputs are not consumed.
//!
//! Only the default domain (`""` / `ai.onnx`) is supported; ops of other
//! domains (`com.microsoft`, ...) and model-local functions are reported as
//! unsupported.

mod activation;
mod argmax;
mod attention;
mod cast;
mod compose;
mod concat;
mod constant;
mod conv;
mod cumulative;
mod dropout;
mod einsum;
mod elementwise;
mod flat_gather;
mod gather;
mod logic;
mod loss;
mod matmul;
mod node;
mod norm;
mod norm_composed;
mod one_hot;
mod pad;
mod pool;
mod rearrange;
mod recurrent;
mod reduce;
mod reshape;
mod resize;
mod rotary;
mod shape;
mod slice;
mod softmax;
mod split;
mod squeeze;
mod topk;
mod trilu;
mod window_fn;

pub(crate) use node::{NodeCtx, attr_type};

use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

/// Converts one node; see the module docs.
pub(crate) type Converter = fn(&mut Graph, &NodeCtx<'_>, OpKind) -> Result<Vec<Value>>;

/// One row of the dispatch table.
pub(crate) struct OpDef {
    /// The ONNX op name.
    pub op_type: &'static str,
    /// The first default-domain opset at which the converter handles the op
    /// (older versions of the op, whose semantics differ, are unsupported).
    pub since: i64,
    /// The IR op the node becomes.
    pub kind: OpKind,
    /// Minimum and maximum number of inputs (counting absent optional ones).
    pub inputs: (usize, usize),
    pub convert: Converter,
}

/// The lowest default-domain opset a model may import: each op is then
/// converted from its row's `since` (11 for most ops, whose semantics did not
/// change from opset 11 to 13; 1 or 7 for the logical ops).
pub const MIN_OPSET: i64 = 1;
/// The highest default-domain opset this frontend accepts: 28, the newest of
/// onnx 1.23 (the vendored schema). Opsets 26–28 changed only types of the
/// supported ops (Cast-28, Einsum-28) and added Range-27's `stash_type`,
/// which only concerns float16/bfloat16.
pub const MAX_OPSET: i64 = 28;

const ANY: usize = usize::MAX;

macro_rules! ops {
    ($( $name:literal, $since:literal, $kind:ident, $min:expr, $max:expr, $f:path; )*) => {
        &[$( OpDef { op_type: $name, since: $since, kind: OpKind::$kind, inputs: ($min, $max), convert: $f }, )*]
    };
}

/// The dispatch table: every supported ONNX op.
pub(crate) static OPS: &[OpDef] = ops! {
    // op_type            since  IR kind             inputs   converter
    "Abs",                 11, Abs,                1, 1,     elementwise::convert;
    "Acos",                11, Acos,               1, 1,     elementwise::convert;
    "Acosh",               11, Acosh,              1, 1,     elementwise::convert;
    "Add",                 11, Add,                2, 2,     elementwise::convert;
    "And",                 7, Where,             2, 2,     logic::convert;
    "ArgMax",              11, ReduceMax,          1, 1,     argmax::convert;
    "ArgMin",              11, ReduceMin,          1, 1,     argmax::convert;
    "Asin",                11, Asin,               1, 1,     elementwise::convert;
    "Asinh",               11, Asinh,              1, 1,     elementwise::convert;
    "Atan",                11, Atan,               1, 1,     elementwise::convert;
    "Atanh",               11, Atanh,              1, 1,     elementwise::convert;
    "Attention",           23, MatMul,             3, 7,     attention::convert;
    "AveragePool",         11, AveragePool,        1, 1,     pool::convert;
    "BatchNormalization",  11, BatchNormalization, 5, 5,     norm::batch_normalization;
    "BlackmanWindow",      17, ConstantOfShape,    1, 1,     window_fn::convert;
    "Cast",                11, Cast,               1, 1,     cast::convert;
    "CastLike",            15, Cast,               2, 2,     cast::cast_like;
    "Ceil",                11, Ceil,               1, 1,     elementwise::convert;
    "Celu",                12, Identity,           1, 1,     activation::convert;
    "CenterCropPad",       18, Slice,              2, 2,     rearrange::center_crop_pad;
    "Clip",                11, Identity,           1, 3,     activation::convert;
    "Concat",              11, Concat,             1, ANY,   concat::convert;
    "Constant",            11, Const,              0, 0,     constant::constant;
    "ConstantOfShape",     11, ConstantOfShape,    1, 1,     constant::constant_of_shape;
    "Conv",                11, Conv,               2, 3,     conv::convert;
    "ConvTranspose",       11, ConvTranspose,      2, 3,     conv::convert;
    "Cos",                 11, Cos,                1, 1,     elementwise::convert;
    "Cosh",                11, Cosh,               1, 1,     elementwise::convert;
    "CumProd",             26, MatMul,             2, 2,     cumulative::convert;
    "CumSum",              11, MatMul,             2, 2,     cumulative::convert;
    "DepthToSpace",        11, Reshape,            1, 1,     rearrange::depth_to_space;
    "Div",                 11, Div,                2, 2,     elementwise::convert;
    "Dropout",             7, Identity,           1, 3,     dropout::convert;
    "Einsum",              12, Einsum,             1, ANY,   einsum::convert;
    "Elu",                 11, Identity,           1, 1,     activation::convert;
    "Equal",               11, Equal,              2, 2,     elementwise::convert;
    "Erf",                 11, Erf,                1, 1,     elementwise::convert;
    "Exp",                 11, Exp,                1, 1,     elementwise::convert;
    "Expand",              11, Expand,             2, 2,     reshape::convert;
    "EyeLike",             11, Const,              1, 1,     one_hot::eye_like;
    "Flatten",             11, Flatten,            1, 1,     reshape::convert;
    "Floor",               11, Floor,              1, 1,     elementwise::convert;
    "GRU",                 11, MatMul,             3, 6,     recurrent::convert;
    "Gather",              11, Gather,             2, 2,     gather::convert;
    "GatherElements",      11, Gather,             2, 2,     flat_gather::gather_elements;
    "GatherND",            11, Gather,             2, 2,     flat_gather::gather_nd;
    "Gelu",                20, Gelu,               1, 1,     elementwise::convert;
    "Gemm",                11, Gemm,               2, 3,     matmul::convert;
    "GlobalAveragePool",   11, GlobalAveragePool,  1, 1,     pool::convert;
    "GlobalMaxPool",       11, ReduceMax,          1, 1,     pool::global_max_pool;
    "Greater",             11, Greater,            2, 2,     elementwise::convert;
    "GreaterOrEqual",      12, Where,             2, 2,     logic::convert;
    "GroupNormalization",  18, LayerNormalization, 3, 3,     norm_composed::group_normalization;
    "HammingWindow",       17, ConstantOfShape,    1, 1,     window_fn::convert;
    "HannWindow",          17, ConstantOfShape,    1, 1,     window_fn::convert;
    "HardSigmoid",         11, HardSigmoid,        1, 1,     elementwise::convert;
    "HardSwish",           14, HardSwish,          1, 1,     elementwise::convert;
    "Hardmax",             11, Softmax,            1, 1,     softmax::hardmax;
    "Identity",            11, Identity,           1, 1,     elementwise::convert;
    "InstanceNormalization", 11, LayerNormalization, 3, 3,   norm::instance_normalization;
    "IsInf",               11, IsInf,              1, 1,     elementwise::convert;
    "IsNaN",               11, IsNaN,              1, 1,     elementwise::convert;
    "LRN",                 11, Div,                1, 1,     norm_composed::lrn;
    "LSTM",                11, MatMul,             3, 8,     recurrent::convert;
    "LayerNormalization",  17, LayerNormalization, 2, 3,     norm::layer_normalization;
    "LeakyRelu",           11, Identity,           1, 1,     activation::convert;
    "Less",                11, Less,               2, 2,     elementwise::convert;
    "LessOrEqual",         12, Where,             2, 2,     logic::convert;
    "Log",                 11, Log,                1, 1,     elementwise::convert;
    "LogSoftmax",          11, Softmax,            1, 1,     softmax::log_softmax;
    "LpNormalization",     11, Div,                1, 1,     norm_composed::lp_normalization;
    "LpPool",              11, AveragePool,        1, 1,     pool::lp_pool;
    "MatMul",              11, MatMul,             2, 2,     matmul::convert;
    "Max",                 11, Max,                1, ANY,   activation::convert;
    "MaxPool",             11, MaxPool,            1, 1,     pool::convert;
    "Mean",                11, Identity,           1, ANY,   activation::convert;
    "Min",                 11, Min,                1, ANY,   activation::convert;
    "Mish",                18, Identity,           1, 1,     activation::convert;
    "Mod",                 11, Mod,                2, 2,     elementwise::convert;
    "Mul",                 11, Mul,                2, 2,     elementwise::convert;
    "Neg",                 11, Neg,                1, 1,     elementwise::convert;
    "NegativeLogLikelihoodLoss", 12, Neg,          2, 3,     loss::negative_log_likelihood;
    "Not",                 1, Equal,             1, 1,     logic::convert;
    "OneHot",              11, Where,              3, 3,     one_hot::one_hot;
    "Or",                  7, Where,             2, 2,     logic::convert;
    "PRelu",               11, Identity,           2, 2,     activation::convert;
    "Pad",                 11, Pad,                2, 4,     pad::convert;
    "Pow",                 11, Pow,                2, 2,     elementwise::convert;
    "RMSNormalization",    23, Mul,                2, 2,     norm_composed::rms_normalization;
    "RNN",                 11, MatMul,             3, 6,     recurrent::convert;
    "Range",               11, Range,              3, 3,     shape::convert;
    "Reciprocal",          11, Reciprocal,         1, 1,     elementwise::convert;
    "ReduceL1",            11, ReduceSum,          1, 2,     reduce::composed;
    "ReduceL2",            11, ReduceSum,          1, 2,     reduce::composed;
    "ReduceLogSum",        11, ReduceSum,          1, 2,     reduce::composed;
    "ReduceLogSumExp",     11, ReduceSum,          1, 2,     reduce::composed;
    "ReduceMax",           11, ReduceMax,          1, 2,     reduce::convert;
    "ReduceMean",          11, ReduceMean,         1, 2,     reduce::convert;
    "ReduceMin",           11, ReduceMin,          1, 2,     reduce::convert;
    "ReduceProd",          11, ReduceSum,          1, 2,     reduce::composed;
    "ReduceSum",           11, ReduceSum,          1, 2,     reduce::convert;
    "ReduceSumSquare",     11, ReduceSum,          1, 2,     reduce::composed;
    "Relu",                11, Relu,               1, 1,     elementwise::convert;
    "Reshape",             11, Reshape,            2, 2,     reshape::convert;
    "Resize",              11, Resize,             1, 4,     resize::convert;
    "ReverseSequence",     11, Gather,             2, 2,     rearrange::reverse_sequence;
    "RotaryEmbedding",     23, Mul,                3, 4,     rotary::convert;
    "Round",               11, Round,              1, 1,     elementwise::convert;
    "Scatter",             9, ScatterND,           3, 3,     flat_gather::scatter_elements;
    "ScatterElements",     11, ScatterND,          3, 3,     flat_gather::scatter_elements;
    "ScatterND",           11, ScatterND,          3, 3,     gather::scatter_nd;
    "Selu",                11, Identity,           1, 1,     activation::convert;
    "Shape",               11, Shape,              1, 1,     shape::convert;
    "Shrink",              9, Identity,           1, 1,     activation::convert;
    "Sigmoid",             11, Sigmoid,            1, 1,     elementwise::convert;
    "Sign",                11, Sign,               1, 1,     elementwise::convert;
    "Sin",                 11, Sin,                1, 1,     elementwise::convert;
    "Sinh",                11, Sinh,               1, 1,     elementwise::convert;
    "Size",                11, Shape,              1, 1,     shape::size;
    "Slice",               11, Slice,              3, 5,     slice::convert;
    "Softmax",             11, Softmax,            1, 1,     softmax::convert;
    "SoftmaxCrossEntropyLoss", 12, Softmax,        2, 3,     loss::softmax_cross_entropy;
    "Softplus",            11, Identity,           1, 1,     activation::convert;
    "Softsign",            11, Identity,           1, 1,     activation::convert;
    "SpaceToDepth",        11, Reshape,            1, 1,     rearrange::space_to_depth;
    "Split",               11, Split,              1, 2,     split::convert;
    "Sqrt",                11, Sqrt,               1, 1,     elementwise::convert;
    "Squeeze",             11, Squeeze,            1, 2,     squeeze::convert;
    "Sub",                 11, Sub,                2, 2,     elementwise::convert;
    "Sum",                 11, Identity,           1, ANY,   activation::convert;
    "Swish",               24, Identity,           1, 1,     activation::convert;
    "Tan",                 11, Tan,                1, 1,     elementwise::convert;
    "Tanh",                11, Tanh,               1, 1,     elementwise::convert;
    "ThresholdedRelu",     11, Identity,           1, 1,     activation::convert;
    "Tile",                11, Expand,             2, 2,     rearrange::tile;
    "TopK",                11, ReduceMax,          2, 2,     topk::convert;
    "Transpose",           11, Transpose,          1, 1,     reshape::convert;
    "Trilu",               14, Where,              1, 2,     trilu::convert;
    "Unsqueeze",           11, Unsqueeze,          1, 2,     squeeze::convert;
    "Upsample",            9, Resize,              2, 2,     resize::upsample;
    "Where",               11, Where,              3, 3,     elementwise::convert;
    "Xor",                 7, Equal,             2, 2,     logic::convert;
};

/// Whether `domain` names the default ONNX domain.
pub fn is_default_domain(domain: &str) -> bool {
    domain.is_empty() || domain == "ai.onnx"
}

/// The table row for an op, when this frontend converts it at `opset` (the
/// model's import of the node's domain).
pub(crate) fn lookup(domain: &str, op_type: &str, opset: i64) -> Option<&'static OpDef> {
    if !is_default_domain(domain) {
        return None;
    }
    OPS.iter().find(|d| d.op_type == op_type && d.since <= opset)
}

/// The first opset at which this frontend converts an op of the default
/// domain, when it converts the op at all.
pub(crate) fn first_opset(domain: &str, op_type: &str) -> Option<i64> {
    if !is_default_domain(domain) {
        return None;
    }
    OPS.iter().find(|d| d.op_type == op_type).map(|d| d.since)
}

/// The names of all supported ops, sorted.
pub fn supported_ops() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = OPS.iter().map(|d| d.op_type).collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<&str> = OPS.iter().map(|d| d.op_type).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "keep OPS sorted by op_type, one row per op");
    }

    #[test]
    fn lookup_respects_domain_and_opset() {
        assert!(lookup("", "Conv", 17).is_some());
        assert!(lookup("ai.onnx", "Conv", 13).is_some());
        assert!(lookup("com.microsoft", "Conv", 17).is_none());
        assert!(lookup("", "Gelu", 17).is_none());
        assert!(lookup("", "Gelu", 20).is_some());
        assert!(lookup("", "LayerNormalization", 17).is_some());
        assert!(lookup("", "NonMaxSuppression", 17).is_none());
    }
}
