//! Shape arithmetic sources:
//! [Shape](https://onnx.ai/onnx/operators/onnx__Shape.html) (opsets 13–28;
//! `start` and `end` from 15) and
//! [Range](https://onnx.ai/onnx/operators/onnx__Range.html)`(start, limit, delta)`
//! (versions 11 and 27; 27 adds `stash_type`, which only concerns
//! float16/bfloat16). Both are converted as is.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::dim::shape_sizes;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{DType, Graph, OpKind, Tensor, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.direct(g, kind)
}

/// [Size](https://onnx.ai/onnx/operators/onnx__Size.html), opsets 13–28 (19
/// and 21 add types): the element count as an i64 scalar — a constant when
/// every dim is known, else the product of the `shape` elements.
pub(crate) fn size(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "data")?;
    let dims = g.value_type(x).shape.clone();
    if let Some(sizes) = shape_sizes(&dims) {
        let count = sizes.iter().try_fold(1i64, |acc, &d| acc.checked_mul(i64::try_from(d).ok()?));
        let count = count.ok_or_else(|| n.err("the element count overflows int64"))?;
        let scalar = Tensor::I64(ArrayD::from_elem(IxDyn(&[]), count));
        let count = b.constant(g, scalar);
        return b.last(g, OpKind::Identity, &[count]);
    }
    let shape = b.op(g, OpKind::Shape, &[x])?;
    let mut total = b.scalar_of(g, DType::I64, 1.0);
    for axis in 0..dims.len() {
        let index = b.scalar_of(g, DType::I64, axis as f64);
        let dim = b.op(g, OpKind::Gather, &[shape, index])?;
        total = b.op(g, OpKind::Mul, &[total, dim])?;
    }
    b.last(g, OpKind::Identity, &[total])
}
