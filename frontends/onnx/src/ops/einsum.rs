//! [Einsum](https://onnx.ai/onnx/operators/onnx__Einsum.html), opsets 13–28
//! (versions 12 and 28; 28 only adds bfloat16). The `equation` attribute is
//! required and kept as a string; the IR parses it.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.attr_str("equation")?.is_none() {
        return Err(n.attr_err("equation", "the attribute is required"));
    }
    n.direct(g, kind)
}
