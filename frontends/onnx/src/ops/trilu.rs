//! [Trilu](https://onnx.ai/onnx/operators/onnx__Trilu.html)`(input, k?)`,
//! opsets 14–28 (`upper` 1): the upper (or lower) triangle of the last two
//! axes, from diagonal `k`, kept and the rest zeroed —
//! `where(mask, input, 0)` with `mask[i][j] = j − i ≥ k` (upper) or
//! `j − i ≤ k` (lower) a constant. `k` and the last two dims must be known
//! at compile time.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Graph, OpKind, Tensor, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let upper = n.attr_int("upper")?.unwrap_or(1) != 0;
    let k = match n.const_ints(g, 1, "k")? {
        None => 0,
        Some(v) if v.len() == 1 => v[0],
        Some(v) => return Err(n.err(format!("input 1 (k) must be a scalar, found {} values", v.len()))),
    };
    let ty = g.value_type(x).clone();
    let rank = ty.rank();
    if rank < 2 {
        return Err(n.err(format!("input 0 must have rank ≥ 2, found rank {rank}")));
    }
    let (rows, cols) = match (ty.shape[rank - 2].known(), ty.shape[rank - 1].known()) {
        (Some(r), Some(c)) => (r, c),
        _ => return Err(n.err("the last two dims of input 0 must be known at compile time")),
    };
    let mask = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |ix| {
        let offset = ix[1] as i64 - ix[0] as i64;
        if upper { offset >= k } else { offset <= k }
    });
    let mask = b.constant(g, Tensor::Bool(mask));
    let zero = b.scalar_of(g, ty.dtype, 0.0);
    b.last(g, OpKind::Where, &[mask, x, zero])
}
