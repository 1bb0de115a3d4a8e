//! [MatMul](https://onnx.ai/onnx/operators/onnx__MatMul.html) (opsets 13–28,
//! numpy semantics, batched) and
//! [Gemm](https://onnx.ai/onnx/operators/onnx__Gemm.html) (opsets 13–28,
//! `alpha`, `beta`, `transA`, `transB`; `C` optional and broadcast).
//!
//! Both are converted as is.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
