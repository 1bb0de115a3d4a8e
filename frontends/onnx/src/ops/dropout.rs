//! [Dropout](https://onnx.ai/onnx/operators/onnx__Dropout.html)`(data, ratio?, training_mode?)`,
//! opsets 7–28 (versions 7, 10, 12, 13 and 22; before 12 `ratio` is an
//! attribute), converted to `identity(data)`.
//!
//! Inference only: a `training_mode` input must be a constant false. The
//! optional `mask` output is not produced; the builder rejects the node only
//! when the mask is used.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Attrs, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if let Some(mode) = n.input(2) {
        let training = g.const_tensor(mode).map(|t| t.to_i64_vec().iter().any(|&v| v != 0));
        match training {
            Some(false) => {}
            Some(true) => return Err(n.unsupported("training mode (export the model in eval mode)")),
            None => return Err(n.unsupported("a training_mode input that is not a constant false")),
        }
    }
    n.add(g, kind, Attrs::new(), &[n.input(0)], 1)
}
