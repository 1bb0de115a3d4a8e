//! Normalisations imported as compositions of reductions and element-wise
//! ops (shapes known at compile time where noted):
//!
//! - [RMSNormalization](https://onnx.ai/onnx/operators/onnx__RMSNormalization.html)
//!   `(X, scale)`, opset 23 (`axis` −1, `epsilon` 1e-5):
//!   `X / sqrt(mean(X², axes axis…) + epsilon) · scale`.
//! - [LpNormalization](https://onnx.ai/onnx/operators/onnx__LpNormalization.html),
//!   opsets 11–28 (`axis` −1, `p` 2 or 1): `X / ‖X‖_p` along `axis`, 0 where
//!   the norm is 0.
//! - [GroupNormalization](https://onnx.ai/onnx/operators/onnx__GroupNormalization.html)
//!   `(X, scale, bias)`, opsets 18–28 (`num_groups`, `epsilon` 1e-5): a
//!   LayerNormalization of `X` reshaped to `[N, G, −1]`, back to X's shape,
//!   then per-channel `scale` and `bias` (`[C]`; opsets 18–20 give them per
//!   group, `[G]`, repeated over the group's channels).
//! - [LRN](https://onnx.ai/onnx/operators/onnx__LRN.html), opsets 11–28
//!   (`size`, `alpha` 1e-4, `beta` 0.75, `bias` 1): `X / (bias + alpha/size ·
//!   Σ X²)^beta` with the sum over the `size` channels around each channel:
//!   the squares padded with zeros along the channel axis and `size` slices
//!   added.

use super::NodeCtx;
use super::compose::{Compose, i64s};
use crate::error::Result;
use vitc_ir::ndarray::ArrayD;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Tensor, Value};

/// RMSNormalization.
pub(crate) fn rms_normalization(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (x, scale) = (b.required(0, "X")?, b.required(1, "scale")?);
    b.require_float(g, x, "X")?;
    let rank = g.value_type(x).rank();
    let axis = b.axis(n.attr_int("axis")?.unwrap_or(-1), rank)? as i64;
    let epsilon = n.attr_float("epsilon")?.unwrap_or(1e-5);
    let square = b.op(g, OpKind::Mul, &[x, x])?;
    let axes = Attrs::new().with("axes", Attr::Ints((axis..rank as i64).collect())).with("keepdims", Attr::Int(1));
    let mean = b.op_with(g, OpKind::ReduceMean, axes, &[square])?;
    let eps = b.scalar(g, epsilon);
    let shifted = b.op(g, OpKind::Add, &[mean, eps])?;
    let rms = b.op(g, OpKind::Sqrt, &[shifted])?;
    let normed = b.op(g, OpKind::Div, &[x, rms])?;
    b.last(g, OpKind::Mul, &[normed, scale])
}

/// LpNormalization.
pub(crate) fn lp_normalization(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    b.require_float(g, x, "input")?;
    let axis = n.attr_int("axis")?.unwrap_or(-1);
    let kept = Attrs::new().with("axes", Attr::Ints(vec![axis])).with("keepdims", Attr::Int(1));
    let norm = match n.attr_int("p")?.unwrap_or(2) {
        1 => {
            let magnitude = b.op(g, OpKind::Abs, &[x])?;
            b.op_with(g, OpKind::ReduceSum, kept, &[magnitude])?
        }
        2 => {
            let square = b.op(g, OpKind::Mul, &[x, x])?;
            let sum = b.op_with(g, OpKind::ReduceSum, kept, &[square])?;
            b.op(g, OpKind::Sqrt, &[sum])?
        }
        p => return Err(n.attr_err("p", format!("{p} is not 1 or 2"))),
    };
    let y = b.op(g, OpKind::Div, &[x, norm])?;
    let zero = b.scalar(g, 0.0);
    let null = b.op(g, OpKind::Equal, &[norm, zero])?;
    b.last(g, OpKind::Where, &[null, zero, y])
}

/// GroupNormalization.
pub(crate) fn group_normalization(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (x, scale, bias) = (b.required(0, "X")?, b.required(1, "scale")?, b.required(2, "bias")?);
    b.require_float(g, x, "X")?;
    let d = b.static_dims(g, x, "the input")?;
    if d.len() < 3 {
        return Err(n.err(format!("X must be N×C×D1×… (rank ≥ 3), found rank {}", d.len())));
    }
    let groups = n.attr_int("num_groups")?.ok_or_else(|| n.attr_err("num_groups", "is required"))?;
    let groups = usize::try_from(groups)
        .ok()
        .filter(|&g| g > 0 && d[1] % g == 0)
        .ok_or_else(|| n.attr_err("num_groups", format!("{groups} does not divide the {} channels", d[1])))?;
    let epsilon = n.attr_float("epsilon")?.unwrap_or(1e-5);
    let per_group = d[1] / groups * d[2..].iter().product::<usize>();
    let rows = b.ints(g, &i64s(&[d[0], groups, per_group]));
    let rows = b.op(g, OpKind::Reshape, &[x, rows])?;
    let ones = b.constant(g, Tensor::F32(ArrayD::ones(vec![per_group])));
    let norm = Attrs::new().with("axis", Attr::Int(-1)).with("epsilon", Attr::Float(epsilon));
    let normed = b.op_with(g, OpKind::LayerNormalization, norm, &[rows, ones])?;
    let image = b.ints(g, &i64s(&d));
    let y = b.op(g, OpKind::Reshape, &[normed, image])?;
    // Per channel: [C, 1, …]; per group (opsets 18–20): [G, 1] repeated C/G times.
    let per_channel = |b: &mut Compose<'_, '_>, g: &mut Graph, v: Value| -> Result<Value> {
        let len = b.static_dims(g, v, "scale/bias")?.iter().product::<usize>();
        let v = if len == groups && groups != d[1] {
            let column = b.ints(g, &i64s(&[groups, 1]));
            let column = b.op(g, OpKind::Reshape, &[v, column])?;
            let wide = b.ints(g, &i64s(&[groups, d[1] / groups]));
            b.op(g, OpKind::Expand, &[column, wide])?
        } else {
            v
        };
        let mut shape = vec![d[1]];
        shape.extend(std::iter::repeat_n(1, d.len() - 2));
        let shape = b.ints(g, &i64s(&shape));
        b.op(g, OpKind::Reshape, &[v, shape])
    };
    let scale = per_channel(&mut b, g, scale)?;
    let bias = per_channel(&mut b, g, bias)?;
    let y = b.op(g, OpKind::Mul, &[y, scale])?;
    b.last(g, OpKind::Add, &[y, bias])
}

/// LRN.
pub(crate) fn lrn(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "X")?;
    b.require_float(g, x, "X")?;
    let d = b.static_dims(g, x, "the input")?;
    if d.len() < 3 {
        return Err(n.err(format!("X must be N×C×D1×… (rank ≥ 3), found rank {}", d.len())));
    }
    let size = n.attr_int("size")?.ok_or_else(|| n.attr_err("size", "is required"))?;
    let size = usize::try_from(size).ok().filter(|&s| s > 0).ok_or_else(|| n.attr_err("size", "must be positive"))?;
    let (alpha, beta, bias) = (
        n.attr_float("alpha")?.unwrap_or(1e-4),
        n.attr_float("beta")?.unwrap_or(0.75),
        n.attr_float("bias")?.unwrap_or(1.0),
    );
    let (before, after) = ((size - 1) / 2, size - 1 - (size - 1) / 2);
    let square = b.op(g, OpKind::Mul, &[x, x])?;
    let rank = d.len();
    let mut pads = vec![0i64; 2 * rank];
    pads[1] = before as i64;
    pads[rank + 1] = after as i64;
    let pads = b.ints(g, &pads);
    let padded = b.op(g, OpKind::Pad, &[square, pads])?;
    let mut sum: Option<Value> = None;
    for k in 0..size {
        let (start, end, axis) = (b.ints(g, &[k as i64]), b.ints(g, &[(k + d[1]) as i64]), b.ints(g, &[1]));
        let part = b.op(g, OpKind::Slice, &[padded, start, end, axis])?;
        sum = Some(match sum {
            Some(s) => b.op(g, OpKind::Add, &[s, part])?,
            None => part,
        });
    }
    let sum = sum.unwrap_or(square);
    let k = b.scalar(g, alpha / size as f32);
    let bias = b.scalar(g, bias);
    let scaled = b.op(g, OpKind::Mul, &[sum, k])?;
    let base = b.op(g, OpKind::Add, &[scaled, bias])?;
    let beta = b.scalar(g, beta);
    let denominator = b.op(g, OpKind::Pow, &[base, beta])?;
    b.last(g, OpKind::Div, &[x, denominator])
}
