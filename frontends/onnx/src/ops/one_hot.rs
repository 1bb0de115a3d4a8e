//! Tensors built from comparisons with constant indices:
//!
//! - [OneHot](https://onnx.ai/onnx/operators/onnx__OneHot.html)`(indices,
//!   depth, values)`, opsets 11–28 (`axis` −1): `where(unsqueeze(i, axis) ==
//!   iota, on, off)` with `i` the indices as int64 (floats truncated),
//!   negative ones counted from `depth`, `iota` the constant `0..depth` along
//!   the new axis and `values = [off, on]`. `depth` must be known at compile
//!   time.
//! - [EyeLike](https://onnx.ai/onnx/operators/onnx__EyeLike.html), opsets
//!   11–28 (`k` 0, `dtype`): a constant of the 2-D input's shape, 1 where
//!   `j − i = k`.

use super::NodeCtx;
use super::argmax::iota;
use super::compose::Compose;
use crate::error::Result;
use crate::tensor::{dtype_name, dtype_of};
use vitc_ir::dim::shape_sizes;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value};

/// OneHot.
pub(crate) fn one_hot(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (indices, values) = (b.required(0, "indices")?, b.required(2, "values")?);
    let depth_input = b.required(1, "depth")?;
    let depth = match g.const_tensor(depth_input).map(|t| t.to_f64_vec()) {
        Some(v) if v.len() == 1 && v[0] >= 1.0 => v[0] as usize,
        Some(v) => return Err(n.err(format!("depth must be one positive value, found {v:?}"))),
        None => return Err(n.unsupported("a depth computed at run time; vitc needs it as a compile-time constant")),
    };
    let rank = g.value_type(indices).rank() + 1;
    let axis = b.axis(n.attr_int("axis")?.unwrap_or(-1), rank)?;
    let i = b.cast(g, indices, DType::I64)?;
    let (zero, size) = (b.scalar_of(g, DType::I64, 0.0), b.scalar_of(g, DType::I64, depth as f64));
    let negative = b.op(g, OpKind::Less, &[i, zero])?;
    let wrapped = b.op(g, OpKind::Add, &[i, size])?;
    let i = b.op(g, OpKind::Where, &[negative, wrapped, i])?;
    let i = b.op_with(g, OpKind::Unsqueeze, Attrs::new().with("axes", Attr::Ints(vec![axis as i64])), &[i])?;
    let positions = iota(&mut b, g, rank, axis, depth);
    let hit = b.op(g, OpKind::Equal, &[i, positions])?;
    let (off, on) = (b.scalar_of(g, DType::I64, 0.0), b.scalar_of(g, DType::I64, 1.0));
    let off = b.op(g, OpKind::Gather, &[values, off])?;
    let on = b.op(g, OpKind::Gather, &[values, on])?;
    b.last(g, OpKind::Where, &[hit, on, off])
}

/// EyeLike.
pub(crate) fn eye_like(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let ty = g.value_type(x).clone();
    let dims = shape_sizes(&ty.shape).ok_or_else(|| n.err("the input's shape must be known at compile time"))?;
    if dims.len() != 2 {
        return Err(n.err(format!("the input must be 2-D, found rank {}", dims.len())));
    }
    let dtype = match n.attr_int("dtype")? {
        None => ty.dtype,
        Some(code) => {
            let code = i32::try_from(code).unwrap_or(-1);
            dtype_of(code)
                .ok_or_else(|| n.attr_err("dtype", format!("{} is not a supported type", dtype_name(code))))?
        }
    };
    let k = n.attr_int("k")?.unwrap_or(0);
    let eye = |i: usize, j: usize| j as i64 - i as i64 == k;
    let tensor = match dtype {
        DType::F32 => Tensor::F32(ArrayD::from_shape_fn(IxDyn(&dims), |ix| f32::from(u8::from(eye(ix[0], ix[1]))))),
        DType::I64 => Tensor::I64(ArrayD::from_shape_fn(IxDyn(&dims), |ix| i64::from(eye(ix[0], ix[1])))),
        DType::I32 => Tensor::I32(ArrayD::from_shape_fn(IxDyn(&dims), |ix| i32::from(eye(ix[0], ix[1])))),
        DType::Bool => Tensor::Bool(ArrayD::from_shape_fn(IxDyn(&dims), |ix| eye(ix[0], ix[1]))),
    };
    let eye = b.constant(g, tensor);
    b.last(g, OpKind::Identity, &[eye])
}
