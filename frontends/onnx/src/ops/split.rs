//! [Split](https://onnx.ai/onnx/operators/onnx__Split.html), opsets 11–28
//! (versions 11, 13 and 18).
//!
//! - Opset 13 moved `split` (the part sizes) from an attribute to an optional
//!   second input.
//! - Opset 18 added `num_outputs` for equal parts without a `split` input; when
//!   the axis does not divide evenly, the last part is smaller
//!   (possibly empty).
//!
//! Canonical form: `split(input){axis, split?}` with one output per ONNX
//! output. The `split` input (which must be known at compile time) becomes the
//! `split` Ints attribute. `num_outputs` is dropped: the IR splits into equal
//! parts, one per output; for an uneven split of a known axis the frontend
//! writes the ONNX-18 part sizes into `split`.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{Attr, Dim, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let outputs = n.proto.output.len();
    if outputs == 0 {
        return Err(n.err("Split has no outputs"));
    }
    if n.attr("split").is_some() && n.opset >= 13 {
        return Err(n.attr_err("split", format!("at opset {} the part sizes are an input, not an attribute", n.opset)));
    }
    let mut attrs = n.attrs_except(&["num_outputs", "split"])?;
    let num_outputs = n.attr_int("num_outputs")?;
    if let Some(k) = num_outputs {
        if n.opset < 18 {
            return Err(n.attr_err("num_outputs", "the attribute exists from opset 18"));
        }
        if usize::try_from(k).ok() != Some(outputs) {
            return Err(n.attr_err("num_outputs", format!("is {k} but the node has {outputs} outputs")));
        }
    }
    if n.opset < 13 && n.inputs.len() > 1 {
        return Err(n.err(format!("takes one input before opset 13, found {}", n.inputs.len())));
    }
    let split = if n.opset < 13 { n.attr_ints("split")? } else { n.const_ints(g, 1, "split")? };
    if let Some(split) = split {
        if num_outputs.is_some() {
            return Err(n.err("give either the split input or num_outputs, not both"));
        }
        if split.len() != outputs {
            return Err(n.err(format!("split has {} sizes but the node has {outputs} outputs", split.len())));
        }
        attrs.set("split", Attr::Ints(split));
    } else if let Some(split) = uneven_parts(g, n, outputs)? {
        attrs.set("split", Attr::Ints(split));
    }
    n.add(g, kind, attrs, &[n.input(0)], outputs)
}

/// ONNX-18 part sizes when the (known) axis does not divide into `parts`
/// equal parts: `ceil(d / parts)` each, the last one smaller (possibly empty,
/// as in the ONNX reference: 4 into 3 is `[2, 2, 0]`).
fn uneven_parts(g: &Graph, n: &NodeCtx<'_>, parts: usize) -> Result<Option<Vec<i64>>> {
    let Some(x) = n.input(0) else { return Ok(None) };
    let shape = &g.value_type(x).shape;
    let axis = n.attr_int("axis")?.unwrap_or(0);
    let axis = normalize_axis(axis, shape.len()).map_err(|m| n.attr_err("axis", m))?;
    let Some(Dim::Known(d)) = shape.get(axis) else { return Ok(None) };
    let d = *d;
    if d % parts == 0 {
        return Ok(None);
    }
    let chunk = d.div_ceil(parts);
    let last = d.checked_sub(chunk * (parts - 1)).ok_or_else(|| {
        n.err(format!("axis {axis} of size {d} cannot be split into {parts} parts of {chunk} with a smaller last part"))
    })?;
    let mut sizes = vec![chunk as i64; parts - 1];
    sizes.push(last as i64);
    Ok(Some(sizes))
}
