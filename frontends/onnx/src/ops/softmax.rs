//! [Softmax](https://onnx.ai/onnx/operators/onnx__Softmax.html), opsets 13–28.
//!
//! Opset 13 changed Softmax from "flatten to 2-D at `axis`, default 1" to a
//! softmax along the single axis `axis`, default -1. Only opsets ≥ 13 are
//! accepted, so the node is converted as is: the IR op has the opset-13
//! semantics and an absent `axis` means -1.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
