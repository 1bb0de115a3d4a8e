//! [CumSum](https://onnx.ai/onnx/operators/onnx__CumSum.html)`(x, axis)`,
//! opsets 11–28, and [CumProd](https://onnx.ai/onnx/operators/onnx__CumProd.html),
//! opset 26 (`exclusive`, `reverse`), imported as one matrix product: the
//! axis moved last, multiplied by the constant `L × L` 0/1 matrix `T`
//! (`T[i][j] = 1` where `i ≤ j`; `i < j` exclusive; `i ≥ j`, `i > j`
//! reversed), moved back. CumProd sums logarithms: `sign · exp(cumsum(log
//! |x|))`, a zero as log −10^30 (so its products are 0), the sign from the
//! running count of negative factors. Integers are computed in float32
//! (exact while the sums stay below 2^24; products rounded) and cast back.
//! `axis` and the axis length must be known at compile time.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{DType, Graph, OpKind, Tensor, Value};

/// The running sums of float `x` along `axis` (of length `len`).
fn running_sum(
    b: &mut Compose<'_, '_>,
    g: &mut Graph,
    x: Value,
    axis: usize,
    len: usize,
    exclusive: bool,
    reverse: bool,
) -> Result<Value> {
    let rank = g.value_type(x).rank() as i64;
    let triangle = ArrayD::from_shape_fn(IxDyn(&[len, len]), |ix| {
        let (i, j) = (ix[0], ix[1]);
        let keep = match (reverse, exclusive) {
            (false, false) => i <= j,
            (false, true) => i < j,
            (true, false) => i >= j,
            (true, true) => i > j,
        };
        f32::from(u8::from(keep))
    });
    let triangle = b.constant(g, Tensor::F32(triangle));
    let mut perm: Vec<i64> = (0..rank).filter(|&a| a != axis as i64).collect();
    perm.push(axis as i64);
    let mut inverse = vec![0i64; perm.len()];
    for (k, &p) in perm.iter().enumerate() {
        inverse[p as usize] = k as i64;
    }
    let moved = b.transpose(g, x, &perm)?;
    let summed = b.op(g, OpKind::MatMul, &[moved, triangle])?;
    b.transpose(g, summed, &inverse)
}

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "x")?;
    let axis = match n.const_ints(g, 1, "axis")? {
        Some(v) if v.len() == 1 => v[0],
        _ => return Err(n.err("input 1 (axis) must be one value")),
    };
    let ty = g.value_type(x).clone();
    let axis = vitc_ir::geometry::normalize_axis(axis, ty.rank()).map_err(|m| n.err(format!("input 1: {m}")))?;
    let len = ty.shape[axis].known().ok_or_else(|| n.err(format!("the length of axis {axis} must be known")))?;
    let (exclusive, reverse) = (n.attr_int("exclusive")?.unwrap_or(0) != 0, n.attr_int("reverse")?.unwrap_or(0) != 0);
    let float = b.cast(g, x, DType::F32)?;
    let y = if n.op_type() == "CumProd" {
        let magnitude = b.op(g, OpKind::Abs, &[float])?;
        let logs = b.op(g, OpKind::Log, &[magnitude])?;
        let zero = b.scalar(g, 0.0);
        let is_zero = b.op(g, OpKind::Equal, &[float, zero])?;
        let tiny = b.scalar(g, -1e30);
        let logs = b.op(g, OpKind::Where, &[is_zero, tiny, logs])?;
        let sum = running_sum(&mut b, g, logs, axis, len, exclusive, reverse)?;
        let product = b.op(g, OpKind::Exp, &[sum])?;
        let negative = b.op(g, OpKind::Less, &[float, zero])?;
        let negative = b.cast(g, negative, DType::F32)?;
        let count = running_sum(&mut b, g, negative, axis, len, exclusive, reverse)?;
        let two = b.scalar(g, 2.0);
        let odd = b.op(g, OpKind::Mod, &[count, two])?;
        let (minus_two, one) = (b.scalar(g, -2.0), b.scalar(g, 1.0));
        let flip = b.op(g, OpKind::Mul, &[odd, minus_two])?;
        let sign = b.op(g, OpKind::Add, &[flip, one])?;
        let y = b.op(g, OpKind::Mul, &[sign, product])?;
        if ty.dtype == DType::F32 { y } else { b.op(g, OpKind::Round, &[y])? }
    } else {
        running_sum(&mut b, g, float, axis, len, exclusive, reverse)?
    };
    let y = b.cast(g, y, ty.dtype)?;
    b.last(g, OpKind::Identity, &[y])
}
