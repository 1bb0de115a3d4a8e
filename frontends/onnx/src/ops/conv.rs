//! [Conv](https://onnx.ai/onnx/operators/onnx__Conv.html) and
//! [ConvTranspose](https://onnx.ai/onnx/operators/onnx__ConvTranspose.html),
//! opsets 13–28 (versions 11 and 22; 22 only adds types).
//!
//! Converted as is: `X`, `W`, optional `B`; the attributes (`auto_pad`,
//! `dilations`, `group`, `kernel_shape`, `pads`, `strides`, and for
//! ConvTranspose `output_padding`, `output_shape`) keep their ONNX names and
//! defaults and are interpreted by the IR's window geometry. The frontend
//! only checks that sizes are positive and pads non-negative.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.check_window(g, n.input(1))?;
    n.direct(g, kind)
}
