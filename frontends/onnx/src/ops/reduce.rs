//! Reductions:
//! [ReduceMean](https://onnx.ai/onnx/operators/onnx__ReduceMean.html),
//! [ReduceSum](https://onnx.ai/onnx/operators/onnx__ReduceSum.html),
//! [ReduceMax](https://onnx.ai/onnx/operators/onnx__ReduceMax.html),
//! [ReduceMin](https://onnx.ai/onnx/operators/onnx__ReduceMin.html), opsets 13–28.
//!
//! Where the axes come from changed over the range:
//! - ReduceSum-13 and every Reduce*-18+ take `axes` as an optional second input;
//! - ReduceMean/Max/Min before 18 take an `axes` attribute.
//!
//! Canonical form: `reduce_*(data){axes, keepdims, noop_with_empty_axes}` with
//! `axes` an Ints attribute. An axes input must be known at compile time. An
//! absent or empty `axes` leaves the attribute out ("all axes", or nothing
//! with `noop_with_empty_axes=1`, as in ONNX).

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Attr, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let axes_input = kind == OpKind::ReduceSum || n.opset >= 18;
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
    n.add(g, kind, attrs, &[n.input(0)], 1)
}
