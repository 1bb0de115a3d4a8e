//! Pooling:
//! [AveragePool](https://onnx.ai/onnx/operators/onnx__AveragePool.html)
//! (opsets 13–28: versions 11, 19 adds `dilations`, 22 adds types),
//! [MaxPool](https://onnx.ai/onnx/operators/onnx__MaxPool.html)
//! (versions 12 and 22) and
//! [GlobalAveragePool](https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html)
//! (versions 1 and 22).
//!
//! Converted as is (after checking that sizes are positive and pads
//! non-negative), one output. MaxPool's optional `Indices` output is not
//! supported: the builder rejects the node only when that output is used.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.check_window(g, None)?;
    n.direct(g, kind)
}
