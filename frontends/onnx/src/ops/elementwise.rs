//! Element-wise ops, converted one to one (all operands, all attributes).
//!
//! Unary, opsets 11–28:
//! [Abs](https://onnx.ai/onnx/operators/onnx__Abs.html),
//! [Neg](https://onnx.ai/onnx/operators/onnx__Neg.html),
//! [Sqrt](https://onnx.ai/onnx/operators/onnx__Sqrt.html),
//! [Exp](https://onnx.ai/onnx/operators/onnx__Exp.html),
//! [Log](https://onnx.ai/onnx/operators/onnx__Log.html),
//! [Erf](https://onnx.ai/onnx/operators/onnx__Erf.html),
//! [Tanh](https://onnx.ai/onnx/operators/onnx__Tanh.html),
//! [Reciprocal](https://onnx.ai/onnx/operators/onnx__Reciprocal.html),
//! [Relu](https://onnx.ai/onnx/operators/onnx__Relu.html),
//! [Sigmoid](https://onnx.ai/onnx/operators/onnx__Sigmoid.html),
//! [HardSigmoid](https://onnx.ai/onnx/operators/onnx__HardSigmoid.html) (`alpha`, `beta`),
//! [HardSwish](https://onnx.ai/onnx/operators/onnx__HardSwish.html) (opset 14+),
//! [Gelu](https://onnx.ai/onnx/operators/onnx__Gelu.html) (opset 20+, `approximate` = `none` | `tanh`),
//! [Identity](https://onnx.ai/onnx/operators/onnx__Identity.html) (tensors only),
//! the rounding ops [Floor](https://onnx.ai/onnx/operators/onnx__Floor.html),
//! [Ceil](https://onnx.ai/onnx/operators/onnx__Ceil.html),
//! [Round](https://onnx.ai/onnx/operators/onnx__Round.html) (ties to even),
//! [Sign](https://onnx.ai/onnx/operators/onnx__Sign.html),
//! the trigonometric [Sin](https://onnx.ai/onnx/operators/onnx__Sin.html),
//! Cos, Tan, Asin, Acos, Atan and hyperbolic Sinh, Cosh, Asinh, Acosh, Atanh,
//! and [IsNaN](https://onnx.ai/onnx/operators/onnx__IsNaN.html),
//! [IsInf](https://onnx.ai/onnx/operators/onnx__IsInf.html) (`detect_negative`,
//! `detect_positive`; bool results).
//!
//! Binary with multidirectional broadcasting, opsets 13–28:
//! [Add](https://onnx.ai/onnx/operators/onnx__Add.html),
//! [Sub](https://onnx.ai/onnx/operators/onnx__Sub.html),
//! [Mul](https://onnx.ai/onnx/operators/onnx__Mul.html),
//! [Div](https://onnx.ai/onnx/operators/onnx__Div.html),
//! [Pow](https://onnx.ai/onnx/operators/onnx__Pow.html),
//! [Mod](https://onnx.ai/onnx/operators/onnx__Mod.html) (`fmod` = 0 | 1; with 0 on floats, the floored modulo),
//! [Equal](https://onnx.ai/onnx/operators/onnx__Equal.html),
//! [Less](https://onnx.ai/onnx/operators/onnx__Less.html),
//! [Greater](https://onnx.ai/onnx/operators/onnx__Greater.html);
//! and [Where](https://onnx.ai/onnx/operators/onnx__Where.html)`(cond, x, y)`.
//!
//! The opset revisions in this range (Add-14, Pow-15, Where-16, Equal-19,
//! Relu-14, Identity-14/16/19/21, ...) only widen the accepted types.

use super::NodeCtx;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    if kind == OpKind::Gelu
        && let Some(mode) = n.attr_str("approximate")?
        && !matches!(mode.as_str(), "none" | "tanh")
    {
        return Err(n.attr_err("approximate", format!("must be 'none' or 'tanh', found '{mode}'")));
    }
    if kind == OpKind::Mod
        && let Some(fmod) = n.attr_int("fmod")?
        && !matches!(fmod, 0 | 1)
    {
        return Err(n.attr_err("fmod", format!("must be 0 or 1, found {fmod}")));
    }
    n.direct(g, kind)
}
