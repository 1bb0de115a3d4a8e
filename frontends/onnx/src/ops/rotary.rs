//! [RotaryEmbedding](https://onnx.ai/onnx/operators/onnx__RotaryEmbedding.html)`(X,
//! cos_cache, sin_cache, position_ids?)`, opsets 23–28 (`interleaved` 0,
//! `rotary_embedding_dim` 0 = the head size, `num_heads` for 3-D inputs),
//! imported as slices, products and concatenations, as the spec's
//! reference: X as `[B, S, heads, head]`, the first `rotary_embedding_dim`
//! features rotated pairwise (halves, or even/odd features when
//! interleaved) by the caches gathered at `position_ids`, the rest kept.
//! Shapes must be known at compile time.

use super::NodeCtx;
use super::compose::Compose;
use crate::error::Result;
use vitc_ir::dim::shape_sizes;
use vitc_ir::{Attr, Attrs, Graph, OpKind, Value};

fn perm(p: &[i64]) -> Attrs {
    Attrs::new().with("perm", Attr::Ints(p.to_vec()))
}

/// `x[..., start..end:step]` along the last axis (axis 3).
fn features(b: &mut Compose<'_, '_>, g: &mut Graph, x: Value, start: usize, end: usize, step: usize) -> Result<Value> {
    let (s, e, a, st) =
        (b.ints(g, &[start as i64]), b.ints(g, &[end as i64]), b.ints(g, &[3]), b.ints(g, &[step as i64]));
    b.op(g, OpKind::Slice, &[x, s, e, a, st])
}

pub(crate) fn convert(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let (x, cos, sin) = (b.required(0, "X")?, b.required(1, "cos_cache")?, b.required(2, "sin_cache")?);
    b.require_float(g, x, "X")?;
    let dims = shape_sizes(&g.value_type(x).shape).ok_or_else(|| n.err("X's shape must be known at compile time"))?;
    let (x4, head) = match dims[..] {
        [_, _, _, d] => (b.op_with(g, OpKind::Transpose, perm(&[0, 2, 1, 3]), &[x])?, d),
        [bn, s, hidden] => {
            let heads = n.attr_int("num_heads")?.unwrap_or(0);
            let heads = usize::try_from(heads).ok().filter(|&h| h > 0 && hidden % h == 0).ok_or_else(|| {
                n.attr_err("num_heads", format!("{heads} must be a positive divisor of the hidden size {hidden}"))
            })?;
            let shape = b.ints(g, &[bn as i64, s as i64, heads as i64, (hidden / heads) as i64]);
            (b.op(g, OpKind::Reshape, &[x, shape])?, hidden / heads)
        }
        _ => return Err(n.err(format!("X must be 3-D or 4-D, found rank {}", dims.len()))),
    };
    let rot = match n.attr_int("rotary_embedding_dim")?.unwrap_or(0) {
        0 => head,
        r => usize::try_from(r).ok().filter(|&r| r <= head && r % 2 == 0).ok_or_else(|| {
            n.attr_err("rotary_embedding_dim", format!("{r} must be even and at most the head size {head}"))
        })?,
    };
    let (mut cos, mut sin) = (cos, sin);
    if let Some(positions) = n.input(3) {
        cos = b.op(g, OpKind::Gather, &[cos, positions])?;
        sin = b.op(g, OpKind::Gather, &[sin, positions])?;
    }
    let heads_axis = Attrs::new().with("axes", Attr::Ints(vec![2]));
    let cos = b.op_with(g, OpKind::Unsqueeze, heads_axis.clone(), &[cos])?;
    let sin = b.op_with(g, OpKind::Unsqueeze, heads_axis, &[sin])?;
    let interleaved = n.attr_int("interleaved")?.unwrap_or(0) != 0;
    let half = rot / 2;
    let (x1, x2) = if interleaved {
        (features(&mut b, g, x4, 0, rot, 2)?, features(&mut b, g, x4, 1, rot, 2)?)
    } else {
        (features(&mut b, g, x4, 0, half, 1)?, features(&mut b, g, x4, half, rot, 1)?)
    };
    let (c1, s2) = (b.op(g, OpKind::Mul, &[cos, x1])?, b.op(g, OpKind::Mul, &[sin, x2])?);
    let real = b.op(g, OpKind::Sub, &[c1, s2])?;
    let (s1, c2) = (b.op(g, OpKind::Mul, &[sin, x1])?, b.op(g, OpKind::Mul, &[cos, x2])?);
    let imag = b.op(g, OpKind::Add, &[s1, c2])?;
    let last = Attrs::new().with("axis", Attr::Int(-1));
    let mut rotated = if interleaved {
        let pair = Attrs::new().with("axes", Attr::Ints(vec![-1]));
        let real = b.op_with(g, OpKind::Unsqueeze, pair.clone(), &[real])?;
        let imag = b.op_with(g, OpKind::Unsqueeze, pair, &[imag])?;
        let pairs = b.op_with(g, OpKind::Concat, last.clone(), &[real, imag])?;
        let d4 = shape_sizes(&g.value_type(x4).shape).unwrap_or_default();
        let shape = b.ints(g, &[d4[0] as i64, d4[1] as i64, d4[2] as i64, rot as i64]);
        b.op(g, OpKind::Reshape, &[pairs, shape])?
    } else {
        b.op_with(g, OpKind::Concat, last.clone(), &[real, imag])?
    };
    if rot < head {
        let kept = features(&mut b, g, x4, rot, head, 1)?;
        rotated = b.op_with(g, OpKind::Concat, last, &[rotated, kept])?;
    }
    if dims.len() == 4 {
        b.last_with(g, OpKind::Transpose, perm(&[0, 2, 1, 3]), &[rotated])
    } else {
        let shape = b.ints(g, &dims.iter().map(|&d| d as i64).collect::<Vec<_>>());
        b.last(g, OpKind::Reshape, &[rotated, shape])
    }
}
