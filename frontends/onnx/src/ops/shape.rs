//! Shape arithmetic sources:
//! [Shape](https://onnx.ai/onnx/operators/onnx__Shape.html) (opsets 13–28;
//! `start` and `end` from 15) and
//! [Range](https://onnx.ai/onnx/operators/onnx__Range.html)`(start, limit, delta)`
//! (versions 11 and 27; 27 adds `stash_type`, which only concerns
//! float16/bfloat16). Both are converted as is.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
