//! [Constant](https://onnx.ai/onnx/operators/onnx__Constant.html) (opsets
//! 13–28: versions 13, 19, 21, 23, 24, 25 — later ones only add types) and
//! [ConstantOfShape](https://onnx.ai/onnx/operators/onnx__ConstantOfShape.html)
//! (versions 9, 20, 21, 23, 24, 25).
//!
//! A Constant node becomes a weight-table entry (`Graph::add_const`) named
//! after its output, from exactly one of `value` (a tensor), `value_float`,
//! `value_floats`, `value_int` or `value_ints`. String and sparse constants
//! are not supported.
//!
//! Canonical ConstantOfShape: `constant_of_shape(shape){value, dtype}` where
//! the one-element `value` tensor attribute becomes a Float (f32) or Int (i64,
//! i32, bool as 0/1) attribute and `dtype` names the IR dtype; without
//! `value` the output is f32 zeros (`value=0.0, dtype="f32"`).

use super::NodeCtx;
use crate::error::{OnnxError, Result};
use crate::tensor::decode_tensor;
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;
use vitc_ir::{Attr, Graph, OpKind, Tensor, Value};

/// The attributes a Constant may carry its value in.
const VALUE_ATTRS: [&str; 8] = [
    "value",
    "value_float",
    "value_floats",
    "value_int",
    "value_ints",
    "value_string",
    "value_strings",
    "sparse_value",
];

pub(crate) fn constant(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let given: Vec<&str> = VALUE_ATTRS.iter().copied().filter(|a| n.attr(a).is_some()).collect();
    let [which] = given.as_slice() else {
        return Err(n.err(format!("exactly one value attribute must be given, found {given:?}")));
    };
    let out = n.proto.output.first().map_or("", String::as_str);
    if out.is_empty() {
        return Err(n.err("the node has no output"));
    }
    let tensor = match *which {
        "value" => {
            let t = n.attr_tensor("value")?.ok_or_else(|| n.attr_err("value", "missing tensor"))?;
            decode_tensor(t, out, n.base_dir)?
        }
        "value_float" => match n.attr_value(which)? {
            Some(Attr::Float(v)) => Tensor::f32_scalar(v),
            other => return Err(n.attr_err(which, format!("must be a float, found {other:?}"))),
        },
        "value_floats" => match n.attr_value(which)? {
            Some(Attr::Floats(v)) => vector(v, Tensor::F32),
            other => return Err(n.attr_err(which, format!("must be a list of floats, found {other:?}"))),
        },
        "value_int" => Tensor::I64(ArrayD::from_elem(IxDyn(&[]), n.attr_int(which)?.unwrap_or(0))),
        "value_ints" => Tensor::i64_vec(&n.attr_ints(which)?.unwrap_or_default()),
        "sparse_value" => return Err(n.unsupported("sparse constants (attribute 'sparse_value')")),
        _ => {
            return Err(OnnxError::UnsupportedDtype {
                what: format!("node '{}' (Constant)", n.name),
                dtype: "string".into(),
            });
        }
    };
    Ok(vec![g.add_const(out, Arc::new(tensor))])
}

/// A rank-1 tensor of `values`.
fn vector<T>(values: Vec<T>, wrap: fn(ArrayD<T>) -> Tensor) -> Tensor {
    let n = values.len();
    wrap(ArrayD::from_shape_vec(IxDyn(&[n]), values).expect("a rank-1 shape of the vector's length fits"))
}

pub(crate) fn constant_of_shape(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    let (value, dtype) = match n.attr_tensor("value")? {
        None => (Attr::Float(0.0), "f32"),
        Some(t) => {
            let label = format!("{}.value", n.name);
            let t = decode_tensor(t, &label, n.base_dir)?;
            if t.len() != 1 {
                return Err(n.attr_err("value", format!("must hold one element, found {}", t.len())));
            }
            let value = match &t {
                Tensor::F32(a) => a.iter().next().map(|&v| Attr::Float(v)),
                other => other.to_i64_vec().first().map(|&v| Attr::Int(v)),
            };
            (value.ok_or_else(|| n.attr_err("value", "must hold one element"))?, t.dtype().name())
        }
    };
    let mut attrs = n.attrs_except(&["value"])?;
    attrs.set("value", value);
    attrs.set("dtype", Attr::Str(dtype.to_string()));
    n.add(g, kind, attrs, &[n.input(0)], 1)
}
