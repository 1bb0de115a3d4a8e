//! [Softmax](https://onnx.ai/onnx/operators/onnx__Softmax.html), opsets 13–28.
//!
//! Opset 13 changed Softmax from "flatten to 2-D at `axis`, default 1" to a
//! softmax along the single axis `axis`, default -1. Only opsets ≥ 13 are
//! accepted, so the node is converted as is: the IR op has the opset-13
//! semantics and an absent `axis` means -1.
//!
//! LogSoftmax and Hardmax (same `axis` rule) are imported as compositions,
//! see their functions.

use super::NodeCtx;
use super::argmax::{Extreme, arg_extreme, iota, known_axis};
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}

/// [LogSoftmax](https://onnx.ai/onnx/operators/onnx__LogSoftmax.html),
/// opsets 13–28 (`axis` −1): `s − log(reduce_sum(exp(s)))` along `axis`
/// with `s = x − reduce_max(x)`, which keeps the large and the very
/// negative logits exact where `log(softmax(x))` would give −∞.
pub(crate) fn log_softmax(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    b.require_float(g, x, "input")?;
    let (axis, _) = known_axis(&b, g, x, n.attr_int("axis")?.unwrap_or(-1))?;
    let kept = Attrs::new().with("axes", Attr::Ints(vec![axis as i64])).with("keepdims", Attr::Int(1));
    let max = b.op_with(g, OpKind::ReduceMax, kept.clone(), &[x])?;
    let shifted = b.op(g, OpKind::Sub, &[x, max])?;
    let exp = b.op(g, OpKind::Exp, &[shifted])?;
    let sum = b.op_with(g, OpKind::ReduceSum, kept, &[exp])?;
    let log = b.op(g, OpKind::Log, &[sum])?;
    b.last(g, OpKind::Sub, &[shifted, log])
}

/// [Hardmax](https://onnx.ai/onnx/operators/onnx__Hardmax.html), opsets
/// 13–28 (`axis` −1): 1 at the first maximum along `axis`, 0 elsewhere —
/// `cast(iota == argmax(x))`.
pub(crate) fn hardmax(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    b.require_float(g, x, "input")?;
    let (axis, size) = known_axis(&b, g, x, n.attr_int("axis")?.unwrap_or(-1))?;
    let index = arg_extreme(&mut b, g, x, axis as i64, Extreme::Max, false, true)?;
    let indices = iota(&mut b, g, g.value_type(x).rank(), axis, size);
    let hit = b.op(g, OpKind::Equal, &[indices, index])?;
    let to_float = Attrs::new().with("to", Attr::Str(DType::F32.name().to_string()));
    b.last_with(g, OpKind::Cast, to_float, &[hit])
}
