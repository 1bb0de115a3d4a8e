//! Layout ops converted as is:
//! [Reshape](https://onnx.ai/onnx/operators/onnx__Reshape.html)`(data, shape)`
//! (opsets 13–28; `allowzero` from 14),
//! [Flatten](https://onnx.ai/onnx/operators/onnx__Flatten.html) (`axis`, default 1),
//! [Transpose](https://onnx.ai/onnx/operators/onnx__Transpose.html) (`perm`, default reversed),
//! [Expand](https://onnx.ai/onnx/operators/onnx__Expand.html)`(input, shape)`.
//!
//! The shape operands stay operands (the IR's input form); when they are
//! computed from static shapes, the IR's shape inference sees through them.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
