//! Logical ops and the non-strict comparisons, imported as the IR's
//! `equal`, `less`, `greater` and `where` on bools (exact, and NaN compares
//! false as the spec says). Opsets 13–28:
//!
//! - [Not](https://onnx.ai/onnx/operators/onnx__Not.html): `x == false`.
//! - [And](https://onnx.ai/onnx/operators/onnx__And.html): `where(a, b, false)`.
//! - [Or](https://onnx.ai/onnx/operators/onnx__Or.html): `where(a, true, b)`.
//! - [Xor](https://onnx.ai/onnx/operators/onnx__Xor.html): `(a == b) == false`.
//! - [LessOrEqual](https://onnx.ai/onnx/operators/onnx__LessOrEqual.html):
//!   `where(a < b, true, a == b)`;
//!   [GreaterOrEqual](https://onnx.ai/onnx/operators/onnx__GreaterOrEqual.html)
//!   likewise with `>`.

use super::NodeCtx;
use crate::error::Result;
use std::sync::Arc;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attrs, DType, Graph, OpKind, Tensor, Value};

/// A bool scalar constant named after the node.
fn boolean(g: &mut Graph, n: &NodeCtx<'_>, value: bool) -> Value {
    let tensor = Tensor::Bool(ArrayD::from_elem(IxDyn(&[]), value));
    g.add_const(&format!("{}/{value}", n.name), Arc::new(tensor))
}

fn operand(n: &NodeCtx<'_>, i: usize) -> Result<Value> {
    n.input(i).ok_or_else(|| n.err(format!("input {i} is required")))
}

/// Not, And, Or, Xor, LessOrEqual and GreaterOrEqual (told apart by the op type).
pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let a = operand(n, 0)?;
    let op = |g: &mut Graph, name: &str, kind: OpKind, operands: &[Value]| -> Result<Value> {
        let operands: Vec<Option<Value>> = operands.iter().map(|&v| Some(v)).collect();
        Ok(g.add_op1(name, kind, Attrs::new(), &operands)?)
    };
    let step = |what: &str| format!("{}/{what}", n.name);
    let logical = matches!(n.op_type(), "Not" | "And" | "Or" | "Xor");
    if logical && g.value_type(a).dtype != DType::Bool {
        return Err(n.err(format!("{} takes bool tensors, found {}", n.op_type(), g.value_type(a).dtype)));
    }
    let y = match n.op_type() {
        "Not" => {
            let no = boolean(g, n, false);
            op(g, n.name, OpKind::Equal, &[a, no])?
        }
        "And" => {
            let (b, no) = (operand(n, 1)?, boolean(g, n, false));
            op(g, n.name, OpKind::Where, &[a, b, no])?
        }
        "Or" => {
            let (b, yes) = (operand(n, 1)?, boolean(g, n, true));
            op(g, n.name, OpKind::Where, &[a, yes, b])?
        }
        "Xor" => {
            let b = operand(n, 1)?;
            let same = op(g, &step("same"), OpKind::Equal, &[a, b])?;
            let no = boolean(g, n, false);
            op(g, n.name, OpKind::Equal, &[same, no])?
        }
        "LessOrEqual" | "GreaterOrEqual" => {
            let b = operand(n, 1)?;
            let strict = if n.op_type() == "LessOrEqual" { OpKind::Less } else { OpKind::Greater };
            let strictly = op(g, &step("strictly"), strict, &[a, b])?;
            let equal = op(g, &step("equal"), OpKind::Equal, &[a, b])?;
            let yes = boolean(g, n, true);
            op(g, n.name, OpKind::Where, &[strictly, yes, equal])?
        }
        other => return Err(n.err(format!("{other} is not a logical op this converter knows"))),
    };
    Ok(vec![y])
}
