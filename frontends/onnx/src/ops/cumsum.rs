//! [CumSum](https://onnx.ai/onnx/operators/onnx__CumSum.html)`(x, axis)`,
//! opsets 11–28 (`exclusive`, `reverse`), imported as one matrix product:
//! the axis moved last, multiplied by the constant `L × L` 0/1 matrix `T`
//! (`T[i][j] = 1` where `i ≤ j`; `i < j` exclusive; `i ≥ j`, `i > j`
//! reversed), moved back. Integers are summed in float32 (exact while the
//! sums stay below 2^24) and cast back. `axis` and the axis length must be
//! known at compile time.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value};

fn cast(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, to: DType) -> Result<Value> {
    b.op_with(g, OpKind::Cast, Attrs::new().with("to", Attr::Str(to.name().to_string())), &[x])
}

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "x")?;
    let axis = match n.const_ints(g, 1, "axis")? {
        Some(v) if v.len() == 1 => v[0],
        _ => return Err(n.err("input 1 (axis) must be one value")),
    };
    let ty = g.value_type(x).clone();
    let rank = ty.rank() as i64;
    if axis < -rank || axis >= rank {
        return Err(n.err(format!("axis {axis} is out of range for rank {rank}")));
    }
    let axis = axis.rem_euclid(rank) as usize;
    let len = ty.shape[axis].known().ok_or_else(|| n.err(format!("the length of axis {axis} must be known")))?;
    let (exclusive, reverse) = (n.attr_int("exclusive")?.unwrap_or(0) != 0, n.attr_int("reverse")?.unwrap_or(0) != 0);
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
    let float = if ty.dtype == DType::F32 { x } else { cast(&mut b, g, x, DType::F32)? };
    let moved = b.op_with(g, OpKind::Transpose, Attrs::new().with("perm", Attr::Ints(perm)), &[float])?;
    let summed = b.op(g, OpKind::MatMul, &[moved, triangle])?;
    let back = b.op_with(g, OpKind::Transpose, Attrs::new().with("perm", Attr::Ints(inverse)), &[summed])?;
    let y = if ty.dtype == DType::F32 { back } else { cast(&mut b, g, back, ty.dtype)? };
    b.last(g, OpKind::Identity, &[y])
}
