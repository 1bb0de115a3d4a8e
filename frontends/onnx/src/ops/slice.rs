//! [Slice](https://onnx.ai/onnx/operators/onnx__Slice.html)`(data, starts, ends, axes?, steps?)`,
//! opsets 13–28 (version 13 only). The input form is the IR's form, so the
//! node is converted as is; `starts`/`ends`/`axes`/`steps` stay operands.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
