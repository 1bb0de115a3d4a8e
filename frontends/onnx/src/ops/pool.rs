//! Pooling:
//! [AveragePool](https://onnx.ai/onnx/operators/onnx__AveragePool.html)
//! (opsets 13–28: versions 11, 19 adds `dilations`, 22 adds types),
//! [MaxPool](https://onnx.ai/onnx/operators/onnx__MaxPool.html)
//! (versions 12 and 22) and
//! [GlobalAveragePool](https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html)
//! (versions 1 and 22).
//!
//! Converted as is (after checking that sizes are positive and pads
//! non-negative), one output. MaxPool's optional `Indices` output is not
//! supported: the builder rejects the node only when that output is used.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::{Attr, Graph, OpKind, Value};

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, kind: OpKind) -> Result<Vec<Value>> {
    n.check_window(g, None)?;
    n.direct(g, kind)
}

/// [GlobalMaxPool](https://onnx.ai/onnx/operators/onnx__GlobalMaxPool.html),
/// opsets 11–28: `reduce_max` over the spatial axes, kept.
pub(crate) fn global_max_pool(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "X")?;
    let rank = g.value_type(x).rank() as i64;
    if rank < 3 {
        return Err(n.err(format!("X must be N×C×D1×… (rank ≥ 3), found rank {rank}")));
    }
    let attrs = vitc_ir::Attrs::new().with("axes", Attr::Ints((2..rank).collect())).with("keepdims", Attr::Int(1));
    b.last_with(g, OpKind::ReduceMax, attrs, &[x])
}

/// [LpPool](https://onnx.ai/onnx/operators/onnx__LpPool.html), opsets 11–28
/// (`p` 2; `dilations` and `ceil_mode` from 18): `(Σ |x|^p)^(1/p)` over each
/// window, as an AveragePool of `|x|^p` that counts the zero padding, times
/// the window's size.
pub(crate) fn lp_pool(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    n.check_window(g, None)?;
    let mut b = Compose::new(n);
    let x = b.required(0, "X")?;
    b.require_float(g, x, "X")?;
    let p = n.attr_int("p")?.unwrap_or(2);
    if p < 1 {
        return Err(n.attr_err("p", format!("{p} is not a positive integer")));
    }
    let kernel = n.attr_ints("kernel_shape")?.ok_or_else(|| n.attr_err("kernel_shape", "is required"))?;
    let area: i64 = kernel.iter().product();
    let mut attrs = n.attrs_except(&["p"])?;
    attrs.set("count_include_pad", Attr::Int(1));
    let magnitude = b.op(g, OpKind::Abs, &[x])?;
    let power = b.scalar(g, p as f32);
    let powered = b.op(g, OpKind::Pow, &[magnitude, power])?;
    let mean = b.op_with(g, OpKind::AveragePool, attrs, &[powered])?;
    let area = b.scalar(g, area as f32);
    let sum = b.op(g, OpKind::Mul, &[mean, area])?;
    let root = b.scalar(g, 1.0 / p as f32);
    b.last(g, OpKind::Pow, &[sum, root])
}
