//! [Concat](https://onnx.ai/onnx/operators/onnx__Concat.html), opsets 13–28
//! (version 13 only). `axis` is required (negative counts from the end).

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.attr_int("axis")?.is_none() {
        return Err(n.attr_err("axis", "the attribute is required"));
    }
    n.direct(g, kind)
}
