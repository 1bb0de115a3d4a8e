//! Normalisations:
//! [BatchNormalization](https://onnx.ai/onnx/operators/onnx__BatchNormalization.html)
//! (opsets 13–28: version 9 at opset 13, 14 adds `training_mode`, 15 types) and
//! [LayerNormalization](https://onnx.ai/onnx/operators/onnx__LayerNormalization.html)
//! (opsets 17–28; `axis` default -1, `epsilon`, `stash_type`).
//!
//! Inference only: BatchNormalization with `training_mode=1` is rejected, and
//! the optional extra outputs (BatchNormalization's running/saved statistics,
//! LayerNormalization's `Mean` and `InvStdDev`) are not produced; the builder
//! rejects the node only when one of them is used.

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
    n.direct(g, kind)
}
