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

/// [CastLike](https://onnx.ai/onnx/operators/onnx__CastLike.html)`(input,
/// target_type)`, opsets 15–28 (19 and later add `saturate` and types, as
/// Cast): `cast(input){to}` with `to` the element type of `target_type`,
/// whose values are not read.
pub(crate) fn cast_like(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let target = n.input(1).ok_or_else(|| n.err("input 1 (target_type) is required"))?;
    let dtype = g.value_type(target).dtype;
    let mut attrs = n.attrs_except(&[])?;
    attrs.set("to", Attr::Str(dtype.name().to_string()));
    n.add(g, kind, attrs, &[n.input(0)], 1)
}
