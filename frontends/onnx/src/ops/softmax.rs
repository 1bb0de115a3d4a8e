//! [Softmax](https://onnx.ai/onnx/operators/onnx__Softmax.html), opsets 11–28.
//!
//! Opset 13 changed Softmax from "flatten to 2-D at `axis`, default 1" to a
//! softmax along the single axis `axis`, default -1. The IR op has the
//! opset-13 semantics (an absent `axis` means -1); before 13 the node
//! becomes `reshape(softmax(flatten(x, axis), -1), shape(x))`.
//!
//! LogSoftmax and Hardmax (same `axis` rules) are imported as compositions,
//! see their functions, wrapped the same way before opset 13.

use super::NodeCtx;
use super::argmax::{Extreme, arg_extreme, iota, known_axis};
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.opset >= 13 {
        return n.direct(g, kind);
    }
    coerced_2d(g, n, |b, g, x| b.op_with(g, OpKind::Softmax, Attrs::new().with("axis", Attr::Int(-1)), &[x]))
}

/// Before opset 13: `f` along the last axis of `x` flattened to 2-D at
/// `axis` (default 1), reshaped back to `x`'s shape.
fn coerced_2d(
    g: &mut Graph,
    n: &NodeCtx<'_>,
    f: impl FnOnce(&mut Compose<'_, '_>, &mut Graph, Value) -> Result<Value>,
) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let axis = n.attr_int("axis")?.unwrap_or(1);
    let flat = b.op_with(g, OpKind::Flatten, Attrs::new().with("axis", Attr::Int(axis)), &[x])?;
    let y = f(&mut b, g, flat)?;
    let shape = b.op(g, OpKind::Shape, &[x])?;
    b.last(g, OpKind::Reshape, &[y, shape])
}

/// [LogSoftmax](https://onnx.ai/onnx/operators/onnx__LogSoftmax.html),
/// opsets 13–28 (`axis` −1): `s − log(reduce_sum(exp(s)))` along `axis`
/// with `s = x − reduce_max(x)`, which keeps the large and the very
/// negative logits exact where `log(softmax(x))` would give −∞.
pub(crate) fn log_softmax(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    if n.opset < 13 {
        return coerced_2d(g, n, |b, g, x| log_softmax_along(b, g, x, -1));
    }
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let y = log_softmax_along(&mut b, g, x, n.attr_int("axis")?.unwrap_or(-1))?;
    b.last(g, OpKind::Identity, &[y])
}

/// LogSoftmax of `x` along `axis`.
pub(crate) fn log_softmax_along(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, axis: i64) -> Result<Value> {
    b.require_float(g, x, "input")?;
    let (axis, _) = known_axis(b, g, x, axis)?;
    let kept = Attrs::new().with("axes", Attr::Ints(vec![axis as i64])).with("keepdims", Attr::Int(1));
    let max = b.op_with(g, OpKind::ReduceMax, kept.clone(), &[x])?;
    let shifted = b.op(g, OpKind::Sub, &[x, max])?;
    let exp = b.op(g, OpKind::Exp, &[shifted])?;
    let sum = b.op_with(g, OpKind::ReduceSum, kept, &[exp])?;
    let log = b.op(g, OpKind::Log, &[sum])?;
    b.op(g, OpKind::Sub, &[shifted, log])
}

/// [Hardmax](https://onnx.ai/onnx/operators/onnx__Hardmax.html), opsets
/// 13–28 (`axis` −1): 1 at the first maximum along `axis`, 0 elsewhere —
/// `cast(iota == argmax(x))`.
pub(crate) fn hardmax(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    if n.opset < 13 {
        return coerced_2d(g, n, |b, g, x| hardmax_along(b, g, x, -1));
    }
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let y = hardmax_along(&mut b, g, x, n.attr_int("axis")?.unwrap_or(-1))?;
    b.last(g, OpKind::Identity, &[y])
}

/// Hardmax of `x` along `axis`.
fn hardmax_along(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, axis: i64) -> Result<Value> {
    b.require_float(g, x, "input")?;
    let (axis, size) = known_axis(b, g, x, axis)?;
    let index = arg_extreme(b, g, x, axis as i64, Extreme::Max, false, true)?;
    let indices = iota(b, g, g.value_type(x).rank(), axis, size);
    let hit = b.op(g, OpKind::Equal, &[indices, index])?;
    let to_float = Attrs::new().with("to", Attr::Str(DType::F32.name().to_string()));
    b.op_with(g, OpKind::Cast, to_float, &[hit])
}
