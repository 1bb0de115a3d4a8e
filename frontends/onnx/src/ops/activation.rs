//! Activations and element-wise ops that ONNX defines as functions of other
//! ops, imported as those functions (the spec's function bodies, or an
//! equivalent that is exact in float32), so every backend runs them with the
//! kernels it already has. Opsets 13–28:
//!
//! - [Clip](https://onnx.ai/onnx/operators/onnx__Clip.html) (`min`, `max` inputs):
//!   `where(x < min, min, x)`, then `where(max < y, max, y)`; a missing bound
//!   is no bound; NaN stays NaN; `min > max` gives `max`, as the spec's body.
//! - [LeakyRelu](https://onnx.ai/onnx/operators/onnx__LeakyRelu.html) (`alpha` 0.01),
//!   [PRelu](https://onnx.ai/onnx/operators/onnx__PRelu.html) (`slope` broadcast to X):
//!   `where(x < 0, alpha·x, x)`.
//! - [ThresholdedRelu](https://onnx.ai/onnx/operators/onnx__ThresholdedRelu.html) (`alpha` 1):
//!   `where(x > alpha, x, 0)`.
//! - [Elu](https://onnx.ai/onnx/operators/onnx__Elu.html) (`alpha` 1),
//!   [Selu](https://onnx.ai/onnx/operators/onnx__Selu.html) (`alpha`, `gamma`),
//!   [Celu](https://onnx.ai/onnx/operators/onnx__Celu.html) (`alpha` 1):
//!   `where(x > 0, x, alpha·(exp(x/alpha) − 1))`, Selu scaled by `gamma`.
//! - [Softplus](https://onnx.ai/onnx/operators/onnx__Softplus.html): `log(exp(x) + 1)`,
//!   and `x` above 20, where the two agree in float32 and `exp` would overflow
//!   past 88.
//! - [Softsign](https://onnx.ai/onnx/operators/onnx__Softsign.html): `x / (1 + |x|)`.
//! - [Mish](https://onnx.ai/onnx/operators/onnx__Mish.html): `x · tanh(softplus(x))`.
//! - [Swish](https://onnx.ai/onnx/operators/onnx__Swish.html) (`alpha` 1): `x · sigmoid(alpha·x)`.
//! - [Shrink](https://onnx.ai/onnx/operators/onnx__Shrink.html) (`lambd` 0.5, `bias` 0):
//!   `x + bias` below `−lambd`, `x − bias` above `lambd`, else 0.
//! - [Sum](https://onnx.ai/onnx/operators/onnx__Sum.html),
//!   [Mean](https://onnx.ai/onnx/operators/onnx__Mean.html),
//!   [Max](https://onnx.ai/onnx/operators/onnx__Max.html),
//!   [Min](https://onnx.ai/onnx/operators/onnx__Min.html) (1 or more inputs,
//!   broadcast): combined left to right with the IR's binary `add`, `max` or
//!   `min`; Mean divided by the count.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

/// `alpha·(exp(x/alpha) − 1)`, the negative side of Elu, Selu and Celu.
fn exp_minus_one(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, alpha: f32, divide: bool) -> Result<Value> {
    let scaled = if divide {
        let a = b.scalar(g, alpha);
        b.op(g, OpKind::Div, &[x, a])?
    } else {
        x
    };
    let e = b.op(g, OpKind::Exp, &[scaled])?;
    let one = b.scalar(g, 1.0);
    let e1 = b.op(g, OpKind::Sub, &[e, one])?;
    let a = b.scalar(g, alpha);
    b.op(g, OpKind::Mul, &[a, e1])
}

/// `softplus(x)`: `log(exp(x) + 1)`, and `x` above 20.
fn softplus(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value) -> Result<Value> {
    let e = b.op(g, OpKind::Exp, &[x])?;
    let one = b.scalar(g, 1.0);
    let e1 = b.op(g, OpKind::Add, &[e, one])?;
    let log = b.op(g, OpKind::Log, &[e1])?;
    let twenty = b.scalar(g, 20.0);
    let large = b.op(g, OpKind::Greater, &[x, twenty])?;
    b.op(g, OpKind::Where, &[large, x, log])
}

/// Clip, LeakyRelu, PRelu, ThresholdedRelu, Elu, Selu, Celu, Softplus,
/// Softsign, Mish, Sum and Mean (told apart by the node's op type).
pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "X")?;
    let dtype = g.value_type(x).dtype;
    let float_input = || -> Result<()> {
        if dtype != vitc_ir::DType::F32 {
            return Err(n.err(format!("input X must be float32, found {dtype}")));
        }
        Ok(())
    };
    match n.op_type() {
        "Clip" => {
            let mut y = x;
            if let Some(low) = n.input(1) {
                let below = b.op(g, OpKind::Less, &[y, low])?;
                y = b.op(g, OpKind::Where, &[below, low, y])?;
            }
            if let Some(high) = n.input(2) {
                let above = b.op(g, OpKind::Less, &[high, y])?;
                y = b.op(g, OpKind::Where, &[above, high, y])?;
            }
            b.last(g, OpKind::Identity, &[y])
        }
        "LeakyRelu" | "PRelu" => {
            float_input()?;
            let slope = if n.op_type() == "PRelu" {
                b.required(1, "slope")?
            } else {
                let alpha = n.attr_float("alpha")?.unwrap_or(0.01);
                b.scalar(g, alpha)
            };
            let zero = b.scalar(g, 0.0);
            let negative = b.op(g, OpKind::Less, &[x, zero])?;
            let scaled = b.op(g, OpKind::Mul, &[slope, x])?;
            b.last(g, OpKind::Where, &[negative, scaled, x])
        }
        "ThresholdedRelu" => {
            float_input()?;
            let alpha = n.attr_float("alpha")?.unwrap_or(1.0);
            let (alpha, zero) = (b.scalar(g, alpha), b.scalar(g, 0.0));
            let above = b.op(g, OpKind::Greater, &[x, alpha])?;
            b.last(g, OpKind::Where, &[above, x, zero])
        }
        "Elu" | "Celu" => {
            float_input()?;
            let alpha = n.attr_float("alpha")?.unwrap_or(1.0);
            let negative_side = exp_minus_one(&mut b, g, x, alpha, n.op_type() == "Celu")?;
            let zero = b.scalar(g, 0.0);
            let positive = b.op(g, OpKind::Greater, &[x, zero])?;
            b.last(g, OpKind::Where, &[positive, x, negative_side])
        }
        "Selu" => {
            float_input()?;
            let alpha = n.attr_float("alpha")?.unwrap_or(1.673_263_2);
            let gamma = n.attr_float("gamma")?.unwrap_or(1.050_701);
            let negative_side = exp_minus_one(&mut b, g, x, alpha, false)?;
            let zero = b.scalar(g, 0.0);
            let positive = b.op(g, OpKind::Greater, &[x, zero])?;
            let y = b.op(g, OpKind::Where, &[positive, x, negative_side])?;
            let gamma = b.scalar(g, gamma);
            b.last(g, OpKind::Mul, &[gamma, y])
        }
        "Softplus" => {
            float_input()?;
            let y = softplus(&mut b, g, x)?;
            b.last(g, OpKind::Identity, &[y])
        }
        "Softsign" => {
            float_input()?;
            let magnitude = b.op(g, OpKind::Abs, &[x])?;
            let one = b.scalar(g, 1.0);
            let denominator = b.op(g, OpKind::Add, &[magnitude, one])?;
            b.last(g, OpKind::Div, &[x, denominator])
        }
        "Swish" => {
            float_input()?;
            let alpha = n.attr_float("alpha")?.unwrap_or(1.0);
            let alpha = b.scalar(g, alpha);
            let scaled = b.op(g, OpKind::Mul, &[x, alpha])?;
            let gate = b.op(g, OpKind::Sigmoid, &[scaled])?;
            b.last(g, OpKind::Mul, &[x, gate])
        }
        "Shrink" => {
            float_input()?;
            let (lambd, bias) = (n.attr_float("lambd")?.unwrap_or(0.5), n.attr_float("bias")?.unwrap_or(0.0));
            let (low, high, bias, zero) =
                (b.scalar(g, -lambd), b.scalar(g, lambd), b.scalar(g, bias), b.scalar(g, 0.0));
            let below = b.op(g, OpKind::Less, &[x, low])?;
            let above = b.op(g, OpKind::Greater, &[x, high])?;
            let up = b.op(g, OpKind::Add, &[x, bias])?;
            let down = b.op(g, OpKind::Sub, &[x, bias])?;
            let y = b.op(g, OpKind::Where, &[above, down, zero])?;
            b.last(g, OpKind::Where, &[below, up, y])
        }
        "Mish" => {
            float_input()?;
            let s = softplus(&mut b, g, x)?;
            let t = b.op(g, OpKind::Tanh, &[s])?;
            b.last(g, OpKind::Mul, &[x, t])
        }
        "Sum" | "Mean" | "Max" | "Min" => {
            let inputs: Vec<Value> = (0..n.inputs.len()).map(|i| b.required(i, "data")).collect::<Result<_>>()?;
            let combine = match n.op_type() {
                "Max" => OpKind::Max,
                "Min" => OpKind::Min,
                _ => OpKind::Add,
            };
            let mut total = inputs[0];
            for &next in &inputs[1..] {
                total = b.op(g, combine, &[total, next])?;
            }
            if n.op_type() == "Mean" {
                float_input()?;
                let count = b.scalar(g, inputs.len() as f32);
                b.last(g, OpKind::Div, &[total, count])
            } else {
                b.last(g, OpKind::Identity, &[total])
            }
        }
        other => Err(n.err(format!("{other} is not an activation this converter knows"))),
    }
}
