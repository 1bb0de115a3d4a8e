//! [Squeeze](https://onnx.ai/onnx/operators/onnx__Squeeze.html) and
//! [Unsqueeze](https://onnx.ai/onnx/operators/onnx__Unsqueeze.html),
//! opsets 11–28 (versions 11, 13, 21, 23, 24, 25; after 13 only types change).
//!
//! Since opset 13 `axes` is an input (optional for Squeeze, required for
//! Unsqueeze); before, it is an attribute of the same meaning. Canonical form: `squeeze(data){axes}` / `unsqueeze(data){axes}`
//! with `axes` an Ints attribute; the input must be known at compile time.
//! Squeeze without axes (or with empty axes) removes every size-1 axis and
//! carries no `axes` attribute.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Attr, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let axes = if n.opset < 13 {
        if n.inputs.len() > 1 {
            return Err(n.err(format!("takes one input before opset 13, found {}", n.inputs.len())));
        }
        n.attr_ints("axes")?
    } else {
        if n.attr("axes").is_some() {
            return Err(n.attr_err("axes", format!("at opset {} the axes are an input, not an attribute", n.opset)));
        }
        n.const_ints(g, 1, "axes")?
    };
    let mut attrs = n.attrs_except(&["axes"])?;
    match axes {
        Some(axes) if kind == OpKind::Unsqueeze || !axes.is_empty() => {
            attrs.set("axes", Attr::Ints(axes));
        }
        None if kind == OpKind::Unsqueeze => return Err(n.err("the axes input is required")),
        _ => {}
    }
    n.add(g, kind, attrs, &[n.input(0)], 1)
}
