//! [ArgMax](https://onnx.ai/onnx/operators/onnx__ArgMax.html) and
//! [ArgMin](https://onnx.ai/onnx/operators/onnx__ArgMin.html), opsets 13–28
//! (`axis` 0, `keepdims` 1, `select_last_index` 0), imported as reductions:
//!
//! `m = reduce_max(x)` along `axis` (kept), `hit = (x == m)`, or where `m` is
//! NaN, `hit = isnan(x)` (numpy's rule: the first NaN wins); then the first
//! index is `reduce_min(where(hit, iota, n))` and the last
//! `reduce_max(where(hit, iota, −1))`, with `iota` the constant indices
//! `0..n` along `axis`. The size of `axis` must be known at compile time.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, Graph, OpKind, Tensor, Value};

/// Which extreme an arg-reduction looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extreme {
    Max,
    Min,
}

/// ArgMax and ArgMin (told apart by the op type).
pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "data")?;
    let axis = n.attr_int("axis")?.unwrap_or(0);
    let keepdims = n.attr_int("keepdims")?.unwrap_or(1) != 0;
    let last = n.attr_int("select_last_index")?.unwrap_or(0) != 0;
    let extreme = if n.op_type() == "ArgMin" { Extreme::Min } else { Extreme::Max };
    let index = arg_extreme(&mut b, g, x, axis, extreme, last, keepdims)?;
    b.last(g, OpKind::Identity, &[index])
}

/// The normalised `axis` of `x` and its size, which must be known.
pub(crate) fn known_axis(b: &Compose<'_, '_>, g: &Graph, x: Value, axis: i64) -> Result<(usize, usize)> {
    let shape = &g.value_type(x).shape;
    let axis = b.axis(axis, shape.len())?;
    let size = shape[axis]
        .known()
        .ok_or_else(|| b.n.err(format!("the size of axis {axis} ({}) must be known at compile time", shape[axis])))?;
    Ok((axis, size))
}

/// The constant indices `0..size` along `axis` of a rank-`rank` tensor
/// (size 1 on every other axis), as i64.
pub(crate) fn iota(b: &mut Compose<'_, '_>, g: &mut Graph, rank: usize, axis: usize, size: usize) -> Value {
    let mut dims = vec![1; rank];
    dims[axis] = size;
    let values: Vec<i64> = (0..size as i64).collect();
    let array = ArrayD::from_shape_vec(IxDyn(&dims), values).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&dims)));
    b.constant(g, Tensor::I64(array))
}

/// The i64 index of the first (or last) maximum or minimum of `x` along
/// `axis`, as the module docs say.
pub(crate) fn arg_extreme(
    b: &mut Compose<'_, '_>,
    g: &mut Graph,
    x: Value,
    axis: i64,
    extreme: Extreme,
    last: bool,
    keepdims: bool,
) -> Result<Value> {
    let (axis, size) = known_axis(b, g, x, axis)?;
    let rank = g.value_type(x).rank();
    let along = Attrs::new().with("axes", Attr::Ints(vec![axis as i64]));
    let kept = along.clone().with("keepdims", Attr::Int(1));
    let reduce = if extreme == Extreme::Max { OpKind::ReduceMax } else { OpKind::ReduceMin };
    let m = b.op_with(g, reduce, kept, &[x])?;
    let equal = b.op(g, OpKind::Equal, &[x, m])?;
    // Where the extreme is NaN (a NaN in the row), the NaNs are the hits.
    let x_is_nan = not_equal_self(b, g, x)?;
    let m_is_nan = not_equal_self(b, g, m)?;
    let hit = b.op(g, OpKind::Where, &[m_is_nan, x_is_nan, equal])?;
    let indices = iota(b, g, rank, axis, size);
    let (miss, pick) = if last { (-1.0, OpKind::ReduceMax) } else { (size as f64, OpKind::ReduceMin) };
    let miss = b.scalar_of(g, vitc_ir::DType::I64, miss);
    let candidates = b.op(g, OpKind::Where, &[hit, indices, miss])?;
    let attrs = along.with("keepdims", Attr::Int(i64::from(keepdims)));
    b.op_with(g, pick, attrs, &[candidates])
}

/// `v != v`: true where `v` is NaN.
fn not_equal_self(b: &mut Compose<'_, '_>, g: &mut Graph, v: Value) -> Result<Value> {
    let same = b.op(g, OpKind::Equal, &[v, v])?;
    let no = b.scalar_of(g, vitc_ir::DType::Bool, 0.0);
    b.op(g, OpKind::Equal, &[same, no])
}
