//! [Gather](https://onnx.ai/onnx/operators/onnx__Gather.html)`(data, indices)`,
//! opsets 13–28 (version 13 only; `axis`, default 0; negative indices allowed).

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}

/// [ScatterND](https://onnx.ai/onnx/operators/onnx__ScatterND.html) as is:
/// `reduction` exists from opset 16 (none, add, mul) and takes max and min
/// from 18.
pub(crate) fn scatter_nd(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let allowed: &[&str] = match n.opset {
        ..16 => &["none"],
        16 | 17 => &["none", "add", "mul"],
        _ => &["none", "add", "mul", "max", "min"],
    };
    if let Some(r) = n.attr_str("reduction")?
        && !allowed.contains(&r.as_str())
    {
        return Err(n.attr_err("reduction", format!("'{r}' is not allowed at opset {} ({allowed:?})", n.opset)));
    }
    n.direct(g, kind)
}
