//! [Pad](https://onnx.ai/onnx/operators/onnx__Pad.html)`(data, pads, constant_value?, axes?)`,
//! opsets 13–28: version 13; 18 adds the `axes` input; 19 adds `mode=wrap`;
//! 21+ add types. `mode` (`constant`, `reflect`, `edge`, `wrap`) stays an
//! attribute; the operands are the IR's form as they are.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.opset < 18 && n.inputs.len() > 3 {
        return Err(n.err(format!("Pad takes at most 3 inputs before opset 18, found {}", n.inputs.len())));
    }
    if let Some(mode) = n.attr_str("mode")? {
        let known = matches!(mode.as_str(), "constant" | "reflect" | "edge") || (mode == "wrap" && n.opset >= 19);
        if !known {
            return Err(n.attr_err("mode", format!("unsupported padding mode '{mode}' at opset {}", n.opset)));
        }
    }
    n.direct(g, kind)
}
