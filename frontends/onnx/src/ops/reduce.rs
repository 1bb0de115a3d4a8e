//! Reductions:
//! [ReduceMean](https://onnx.ai/onnx/operators/onnx__ReduceMean.html),
//! [ReduceSum](https://onnx.ai/onnx/operators/onnx__ReduceSum.html),
//! [ReduceMax](https://onnx.ai/onnx/operators/onnx__ReduceMax.html),
//! [ReduceMin](https://onnx.ai/onnx/operators/onnx__ReduceMin.html), opsets 11–28,
//! and the ones imported as compositions of those:
//! [ReduceL1](https://onnx.ai/onnx/operators/onnx__ReduceL1.html) `reduce_sum(|x|)`,
//! [ReduceL2](https://onnx.ai/onnx/operators/onnx__ReduceL2.html) `sqrt(reduce_sum(x·x))`,
//! [ReduceSumSquare](https://onnx.ai/onnx/operators/onnx__ReduceSumSquare.html) `reduce_sum(x·x)`,
//! [ReduceLogSum](https://onnx.ai/onnx/operators/onnx__ReduceLogSum.html) `log(reduce_sum(x))`,
//! [ReduceProd](https://onnx.ai/onnx/operators/onnx__ReduceProd.html) `sign · exp(reduce_sum(log|x|))`
//! (float data; the sign from the count of negative factors) and
//! [ReduceLogSumExp](https://onnx.ai/onnx/operators/onnx__ReduceLogSumExp.html)
//! `log(reduce_sum(exp(x − m))) + m` with `m` the maximum clamped to the
//! finite floats (exact where `exp(x)` would overflow; −∞ for an empty set).
//!
//! Where the axes come from changed over the range:
//! - ReduceSum-13 and every Reduce*-18+ take `axes` as an optional second input;
//! - the others before 18, and ReduceSum-11, take an `axes` attribute.
//!
//! Canonical form: `reduce_*(data){axes, keepdims, noop_with_empty_axes}` with
//! `axes` an Ints attribute. An axes input must be known at compile time. An
//! absent or empty `axes` leaves the attribute out ("all axes", or nothing
//! with `noop_with_empty_axes=1`, as in ONNX).

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let attrs = reduce_attrs(g, n, kind == OpKind::ReduceSum && n.opset >= 13)?;
    n.add(g, kind, attrs, &[n.input(0)], 1)
}

/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp
/// (told apart by the op type), as the module docs say.
pub(crate) fn composed(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let attrs = reduce_attrs(g, n, false)?;
    let mut b = Compose::new(n);
    let x = b.required(0, "data")?;
    let square = |b: &mut Compose<'_, '_>, g: &mut Graph| b.op(g, OpKind::Mul, &[x, x]);
    match n.op_type() {
        "ReduceL1" => {
            let magnitude = b.op(g, OpKind::Abs, &[x])?;
            b.last_with(g, OpKind::ReduceSum, attrs, &[magnitude])
        }
        "ReduceL2" => {
            b.require_float(g, x, "data")?;
            let squares = square(&mut b, g)?;
            let sum = b.op_with(g, OpKind::ReduceSum, attrs, &[squares])?;
            b.last(g, OpKind::Sqrt, &[sum])
        }
        "ReduceSumSquare" => {
            let squares = square(&mut b, g)?;
            b.last_with(g, OpKind::ReduceSum, attrs, &[squares])
        }
        "ReduceLogSum" => {
            b.require_float(g, x, "data")?;
            let sum = b.op_with(g, OpKind::ReduceSum, attrs, &[x])?;
            b.last(g, OpKind::Log, &[sum])
        }
        "ReduceProd" => {
            // sign · exp(Σ log|x|): a zero gives log 0 = −∞ and a product of 0;
            // the sign is odd when an odd number of factors is negative.
            b.require_float(g, x, "data")?;
            let magnitude = b.op(g, OpKind::Abs, &[x])?;
            let logs = b.op(g, OpKind::Log, &[magnitude])?;
            let sum = b.op_with(g, OpKind::ReduceSum, attrs.clone(), &[logs])?;
            let product = b.op(g, OpKind::Exp, &[sum])?;
            let zero = b.scalar(g, 0.0);
            let negative = b.op(g, OpKind::Less, &[x, zero])?;
            let to_float = Attrs::new().with("to", Attr::Str(vitc_ir::DType::F32.name().to_string()));
            let negative = b.op_with(g, OpKind::Cast, to_float, &[negative])?;
            let count = b.op_with(g, OpKind::ReduceSum, attrs, &[negative])?;
            let two = b.scalar(g, 2.0);
            let odd = b.op(g, OpKind::Mod, &[count, two])?;
            let minus_two = b.scalar(g, -2.0);
            let one = b.scalar(g, 1.0);
            let flip = b.op(g, OpKind::Mul, &[odd, minus_two])?;
            let sign = b.op(g, OpKind::Add, &[flip, one])?;
            b.last(g, OpKind::Mul, &[sign, product])
        }
        "ReduceLogSumExp" => {
            b.require_float(g, x, "data")?;
            let mut kept = attrs.clone();
            kept.set("keepdims", Attr::Int(1));
            let max = b.op_with(g, OpKind::ReduceMax, kept, &[x])?;
            let (lowest, highest) = (b.scalar(g, f32::MIN), b.scalar(g, f32::MAX));
            let max = b.op(g, OpKind::Max, &[max, lowest])?;
            let max = b.op(g, OpKind::Min, &[max, highest])?;
            let shifted = b.op(g, OpKind::Sub, &[x, max])?;
            let exp = b.op(g, OpKind::Exp, &[shifted])?;
            let sum = b.op_with(g, OpKind::ReduceSum, attrs.clone(), &[exp])?;
            let log = b.op(g, OpKind::Log, &[sum])?;
            // The clamped maximum in the output's shape (size 1 on the reduced axes).
            let max = b.op_with(g, OpKind::ReduceMax, attrs, &[max])?;
            b.last(g, OpKind::Add, &[log, max])
        }
        other => Err(n.err(format!("{other} is not a reduction this converter knows"))),
    }
}

/// The canonical attributes of a reduction: `axes` (from the input at
/// opset 18 and later, and always for ReduceSum), `keepdims`,
/// `noop_with_empty_axes`.
fn reduce_attrs(g: &Graph, n: &NodeCtx<'_>, axes_always_input: bool) -> Result<Attrs> {
    let axes_input = axes_always_input || n.opset >= 18;
    let axes = if axes_input {
        if n.attr("axes").is_some() {
            return Err(n.attr_err("axes", format!("at opset {} the axes are an input, not an attribute", n.opset)));
        }
        n.const_ints(g, 1, "axes")?
    } else {
        if n.inputs.len() > 1 {
            return Err(n.err(format!("takes one input before opset 18, found {}", n.inputs.len())));
        }
        n.attr_ints("axes")?
    };
    let mut attrs = n.attrs_except(&["axes"])?;
    if let Some(axes) = axes.filter(|a| !a.is_empty()) {
        attrs.set("axes", Attr::Ints(axes));
    }
    Ok(attrs)
}
