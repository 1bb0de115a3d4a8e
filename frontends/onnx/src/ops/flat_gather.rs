//! Element-indexed gathers imported as one `gather` from the flattened data,
//! with the flat indices computed by i64 arithmetic (exact, and folded to a
//! constant when the indices are constant). The shapes of the data and the
//! indices must be known at compile time. Opsets 13–28:
//!
//! - [GatherElements](https://onnx.ai/onnx/operators/onnx__GatherElements.html)
//!   (`axis` 0): `flat = i·stride[axis] + base`, `i` the index made
//!   non-negative and `base` the constant offset of every other coordinate
//!   of the output element; `gather(reshape(data, [−1]), flat)`.
//! - [GatherND](https://onnx.ai/onnx/operators/onnx__GatherND.html)
//!   (`batch_dims` b): indices `[..., q]` address the axes `b..b+q` of the
//!   data; `flat = reduce_sum(i·strides, last axis) + batch offset`, then
//!   `gather(reshape(data, [−1, rest…]), flat)`.
//!
//! Negative indices count from the end (`i + d` where `i < 0`).

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::ndarray::{ArrayD, Dimension, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value};

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// An i64 constant of shape `dims` whose element at each position is
/// `offset(position)`.
fn offsets(b: &mut Compose<'_, '_>, g: &mut Graph, dims: &[usize], offset: impl Fn(&[usize]) -> i64) -> Value {
    let array = ArrayD::from_shape_fn(IxDyn(dims), |ix| offset(ix.slice()));
    b.constant(g, Tensor::I64(array))
}

/// `i + size` where `i < 0`, else `i` (`size` broadcast against `i`).
fn wrap_negative(b: &mut Compose<'_, '_>, g: &mut Graph, i: Value, size: Value) -> Result<Value> {
    let zero = b.scalar_of(g, DType::I64, 0.0);
    let negative = b.op(g, OpKind::Less, &[i, zero])?;
    let wrapped = b.op(g, OpKind::Add, &[i, size])?;
    b.op(g, OpKind::Where, &[negative, wrapped, i])
}

/// The indices as i64 (int32 indices are widened).
fn indices_i64(b: &mut Compose<'_, '_>, g: &mut Graph, i: Value) -> Result<Value> {
    match g.value_type(i).dtype {
        DType::I64 => Ok(i),
        DType::I32 => b.cast(g, i, DType::I64),
        other => Err(b.n.err(format!("indices must be int32 or int64, found {other}"))),
    }
}

fn as_i64(b: &Compose<'_, '_>, v: usize) -> Result<i64> {
    i64::try_from(v).map_err(|_| b.n.err("a size overflows int64"))
}

/// GatherElements, as the module docs say.
pub(crate) fn gather_elements(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let data = b.required(0, "data")?;
    let indices = b.required(1, "indices")?;
    let axis = n.attr_int("axis")?.unwrap_or(0);
    let y = gather_along(&mut b, g, data, indices, axis)?;
    b.last(g, OpKind::Identity, &[y])
}

/// `data` gathered element by element along `axis` at `indices` (same rank
/// as `data`): ONNX GatherElements.
pub(crate) fn gather_along(
    b: &mut Compose<'_, '_>,
    g: &mut Graph,
    data: Value,
    indices: Value,
    axis: i64,
) -> Result<Value> {
    let data_dims = b.static_dims(g, data, "data")?;
    let index_dims = b.static_dims(g, indices, "indices")?;
    let rank = data_dims.len();
    if rank == 0 || index_dims.len() != rank {
        return Err(b
            .n
            .err(format!("data (rank {rank}) and indices (rank {}) must have the same rank ≥ 1", index_dims.len())));
    }
    let axis = b.axis(axis, rank)?;
    let stride = strides(&data_dims);
    let base = offsets(b, g, &index_dims, |ix| {
        ix.iter().enumerate().filter(|&(k, _)| k != axis).map(|(k, &c)| (c * stride[k]) as i64).sum()
    });
    let i = indices_i64(b, g, indices)?;
    let size = b.scalar_of(g, DType::I64, as_i64(b, data_dims[axis])? as f64);
    let i = wrap_negative(b, g, i, size)?;
    let step = b.scalar_of(g, DType::I64, as_i64(b, stride[axis])? as f64);
    let scaled = b.op(g, OpKind::Mul, &[i, step])?;
    let flat_index = b.op(g, OpKind::Add, &[scaled, base])?;
    let all = b.ints(g, &[-1]);
    let flat_data = b.op(g, OpKind::Reshape, &[data, all])?;
    b.op(g, OpKind::Gather, &[flat_data, flat_index])
}

/// GatherND, as the module docs say.
pub(crate) fn gather_nd(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let data = b.required(0, "data")?;
    let indices = b.required(1, "indices")?;
    let data_dims = b.static_dims(g, data, "data")?;
    let index_dims = b.static_dims(g, indices, "indices")?;
    let batch = usize::try_from(n.attr_int("batch_dims")?.unwrap_or(0))
        .map_err(|_| n.attr_err("batch_dims", "must be non-negative"))?;
    let Some(&q) = index_dims.last() else {
        return Err(n.err("indices must have rank ≥ 1"));
    };
    if batch >= data_dims.len().min(index_dims.len())
        || batch + q > data_dims.len()
        || index_dims[..batch] != data_dims[..batch]
    {
        return Err(n.err(format!("indices {index_dims:?} do not address data {data_dims:?} with batch_dims {batch}")));
    }
    let addressed = &data_dims[batch..batch + q];
    let rest = &data_dims[batch + q..];
    let addressed_count: usize = addressed.iter().product();
    let i = indices_i64(&mut b, g, indices)?;
    let sizes: Vec<i64> = addressed.iter().map(|&d| as_i64(&b, d)).collect::<Result<_>>()?;
    let sizes = b.ints(g, &sizes);
    let i = wrap_negative(&mut b, g, i, sizes)?;
    let step: Vec<i64> = strides(addressed).iter().map(|&s| as_i64(&b, s)).collect::<Result<_>>()?;
    let step = b.ints(g, &step);
    let scaled = b.op(g, OpKind::Mul, &[i, step])?;
    let last_axis =
        Attrs::new().with("axes", Attr::Ints(vec![index_dims.len() as i64 - 1])).with("keepdims", Attr::Int(0));
    let mut flat_index = b.op_with(g, OpKind::ReduceSum, last_axis, &[scaled])?;
    if batch > 0 {
        // The offset of each batch's block: its flat batch number times the block.
        let mut batch_dims = index_dims[..index_dims.len() - 1].to_vec();
        batch_dims[batch..].iter_mut().for_each(|d| *d = 1);
        let batch_strides = strides(&data_dims[..batch]);
        let offset = offsets(&mut b, g, &batch_dims, |ix| {
            ix[..batch].iter().zip(&batch_strides).map(|(&c, &s)| (c * s * addressed_count) as i64).sum()
        });
        flat_index = b.op(g, OpKind::Add, &[flat_index, offset])?;
    }
    let mut shape = vec![-1];
    for &d in rest {
        shape.push(as_i64(&b, d)?);
    }
    let shape = b.ints(g, &shape);
    let flat_data = b.op(g, OpKind::Reshape, &[data, shape])?;
    b.last(g, OpKind::Gather, &[flat_data, flat_index])
}

/// [ScatterElements](https://onnx.ai/onnx/operators/onnx__ScatterElements.html)
/// `(data, indices, updates)`, opsets 11–28 (`axis` 0; `reduction` none, add,
/// mul from 16, max, min from 18), and the deprecated
/// [Scatter](https://onnx.ai/onnx/operators/onnx__Scatter.html) (opsets
/// 9–10, no reduction): a `scatter_nd` whose index tuples are each
/// update's coordinates with the `axis` one replaced by the index — constant
/// coordinates concatenated with the (non-negative) indices along a new
/// last axis. With constant indices canonicalisation turns it into gathers.
pub(crate) fn scatter_elements(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (data, indices, updates) = (b.required(0, "data")?, b.required(1, "indices")?, b.required(2, "updates")?);
    let data_dims = b.static_dims(g, data, "data")?;
    let index_dims = b.static_dims(g, indices, "indices")?;
    let rank = data_dims.len();
    if rank == 0 || index_dims.len() != rank {
        return Err(
            n.err(format!("data (rank {rank}) and indices (rank {}) must have the same rank ≥ 1", index_dims.len()))
        );
    }
    let axis = b.axis(n.attr_int("axis")?.unwrap_or(0), rank)?;
    let reduction = n.attr_str("reduction")?.unwrap_or_else(|| "none".to_string());
    let allowed: &[&str] = match n.opset {
        ..16 => &["none"],
        16 | 17 => &["none", "add", "mul"],
        _ => &["none", "add", "mul", "max", "min"],
    };
    if !allowed.contains(&reduction.as_str()) {
        return Err(n.attr_err("reduction", format!("'{reduction}' is not allowed at opset {} ({allowed:?})", n.opset)));
    }
    let i = indices_i64(&mut b, g, indices)?;
    let size = b.scalar_of(g, DType::I64, as_i64(&b, data_dims[axis])? as f64);
    let i = wrap_negative(&mut b, g, i, size)?;
    let last = Attrs::new().with("axes", Attr::Ints(vec![rank as i64]));
    let mut parts = Vec::with_capacity(rank);
    for k in 0..rank {
        parts.push(if k == axis {
            b.op_with(g, OpKind::Unsqueeze, last.clone(), &[i])?
        } else {
            let mut d = index_dims.clone();
            d.push(1);
            offsets(&mut b, g, &d, |ix| ix[k] as i64)
        });
    }
    let coordinates = b.op_with(g, OpKind::Concat, Attrs::new().with("axis", Attr::Int(rank as i64)), &parts)?;
    let attrs = Attrs::new().with("reduction", Attr::Str(reduction));
    b.last_with(g, OpKind::ScatterND, attrs, &[data, coordinates, updates])
}
