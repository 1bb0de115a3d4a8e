//! Normalisations:
//! [BatchNormalization](https://onnx.ai/onnx/operators/onnx__BatchNormalization.html)
//! (opsets 13–28: version 9 at opset 13, 14 adds `training_mode`, 15 types) and
//! [LayerNormalization](https://onnx.ai/onnx/operators/onnx__LayerNormalization.html)
//! (opsets 17–28; `axis` default -1, `epsilon`, `stash_type`).
//!
//! Inference only: BatchNormalization with `training_mode=1` is rejected, and
//! its optional extra outputs (running/saved statistics) are not produced; the
//! builder rejects the node only when one of them is used. LayerNormalization's
//! optional `Mean` and `InvStdDev` outputs are produced when the node names them.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn batch_normalization(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if n.attr_int("training_mode")?.unwrap_or(0) != 0 {
        return Err(n.unsupported("training mode (attribute 'training_mode' = 1; export the model in eval mode)"));
    }
    n.direct(g, kind)
}

pub(crate) fn layer_normalization(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let n_outputs = n.proto.output.iter().rposition(|o| !o.is_empty()).map_or(1, |last| last + 1);
    let attrs = n.attrs_except(&[])?;
    n.add(g, kind, attrs, &n.inputs, n_outputs)
}
