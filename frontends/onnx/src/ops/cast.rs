//! [Cast](https://onnx.ai/onnx/operators/onnx__Cast.html), opsets 13–28
//! (versions 13, 19 adds `saturate`, 21, 23, 24, 25, 28 add types and
//! `round_mode`; both only concern float8/float6/float4 targets).
//!
//! Canonical form: `cast(x){to="f32"|"i64"|"i32"|"bool"}` — the integer
//! `TensorProto.DataType` code becomes the IR dtype name. Any other target is
//! an unsupported-dtype error naming the node.

use super::NodeCtx;
use crate::error::{OnnxError, Result};
use crate::tensor::{dtype_name, dtype_of};
use vitc_ir::{Attr, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let to = n.attr_int("to")?.ok_or_else(|| n.attr_err("to", "the attribute is required"))?;
    let code = i32::try_from(to).map_err(|_| n.attr_err("to", format!("{to} is not a data type code")))?;
    let dtype = dtype_of(code).ok_or_else(|| OnnxError::UnsupportedDtype {
        what: format!("node '{}' (Cast) target type", n.name),
        dtype: dtype_name(code),
    })?;
    let mut attrs = n.attrs_except(&["to"])?;
    attrs.set("to", Attr::Str(dtype.name().to_string()));
    n.add(g, kind, attrs, &[n.input(0)], 1)
}
