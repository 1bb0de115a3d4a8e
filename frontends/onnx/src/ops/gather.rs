//! [Gather](https://onnx.ai/onnx/operators/onnx__Gather.html)`(data, indices)`,
//! opsets 13–28 (version 13 only; `axis`, default 0; negative indices allowed).

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}
