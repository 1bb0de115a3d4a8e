//! [Resize](https://onnx.ai/onnx/operators/onnx__Resize.html)`(X, roi?, scales?, sizes?)`,
//! opsets 13–28: versions 13; 18 adds `antialias`, `axes`,
//! `keep_aspect_ratio_policy`; 19 adds the `half_pixel_symmetric`
//! coordinate mode.
//!
//! The input form is the IR's form. The frontend drops an empty constant
//! `roi` or `scales` (exporters pass `""`-equivalent empty tensors for "not
//! given") and checks that exactly one of `scales` and `sizes` remains. All
//! attributes keep their ONNX names and defaults.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let mut operands = n.inputs.clone();
    operands.resize(4, None);
    for slot in [1, 2] {
        if n.is_empty_const(g, slot) {
            operands[slot] = None;
        }
    }
    while operands.last() == Some(&None) {
        operands.pop();
    }
    let scales = operands.get(2).copied().flatten();
    let sizes = operands.get(3).copied().flatten();
    if scales.is_some() == sizes.is_some() {
        return Err(n.err("exactly one of the scales and sizes inputs must be given"));
    }
    let attrs = n.attrs_except(&[])?;
    n.add(g, kind, attrs, &operands, 1)
}

/// [Upsample](https://onnx.ai/onnx/operators/onnx__Upsample.html)`(X,
/// scales)`, opset 9 (deprecated from 10 for Resize): a `resize` with the
/// same scales, `asymmetric` coordinates and, for `nearest` (the default),
/// `floor` rounding; `linear`/`bilinear` as linear.
pub(crate) fn upsample(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let mode = match n.attr_str("mode")?.as_deref() {
        None | Some("nearest") => "nearest",
        Some("linear" | "bilinear") => "linear",
        Some(other) => return Err(n.attr_err("mode", format!("'{other}' is not nearest or linear"))),
    };
    let attrs = Attrs::new()
        .with("mode", Attr::Str(mode.into()))
        .with("coordinate_transformation_mode", Attr::Str("asymmetric".into()))
        .with("nearest_mode", Attr::Str("floor".into()));
    n.add(g, kind, attrs, &[n.input(0), None, n.input(1)], 1)
}
