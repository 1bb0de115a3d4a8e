//! Shape arithmetic sources:
//! [Shape](https://onnx.ai/onnx/operators/onnx__Shape.html) (opsets 13–25;
//! `start` and `end` from 15) and
//! [Range](https://onnx.ai/onnx/operators/onnx__Range.html)`(start, limit, delta)`
//! (version 11 only). Both are converted as is.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
