//! Data movement imported as reshapes, transposes and expands (shapes and
//! operands known at compile time):
//!
//! - [DepthToSpace](https://onnx.ai/onnx/operators/onnx__DepthToSpace.html),
//!   opsets 11–28 (`blocksize`, `mode` DCR or CRD) and
//!   [SpaceToDepth](https://onnx.ai/onnx/operators/onnx__SpaceToDepth.html)
//!   (`blocksize`; `mode` from opset 24): reshape to 6-D, transpose,
//!   reshape, as the spec describes.
//! - CenterCropPad and ReverseSequence (see their functions).
//! - [Tile](https://onnx.ai/onnx/operators/onnx__Tile.html)`(input, repeats)`,
//!   opsets 11–28: `[d0, d1, …]` reshaped to `[1, d0, 1, d1, …]`, expanded
//!   to `[r0, d0, r1, d1, …]` and reshaped to `[r0·d0, r1·d1, …]`.

use super::NodeCtx;
use super::compose::{Compose, i64s};
use crate::error::Result;
use vitc_ir::{Graph, OpKind, Value};

/// `reshape(transpose(reshape(x, inner), perm), outer)`.
fn shuffle(
    b: &mut Compose<'_, '_>,
    g: &mut Graph,
    x: Value,
    inner: &[usize],
    perm: &[i64],
    outer: &[usize],
) -> Result<Vec<Value>> {
    let inner = b.ints(g, &i64s(inner));
    let x = b.op(g, OpKind::Reshape, &[x, inner])?;
    let x = b.transpose(g, x, perm)?;
    let outer = b.ints(g, &i64s(outer));
    b.last(g, OpKind::Reshape, &[x, outer])
}

/// The `blocksize` and the `[N, C, H, W]` dims of the input.
fn blocks(b: &Compose<'_, '_>, g: &Graph, x: Value) -> Result<(usize, [usize; 4])> {
    let n = b.n;
    let block = n.attr_int("blocksize")?.ok_or_else(|| n.attr_err("blocksize", "is required"))?;
    let block =
        usize::try_from(block).ok().filter(|&s| s > 0).ok_or_else(|| n.attr_err("blocksize", "must be positive"))?;
    match b.static_dims(g, x, "the input")?[..] {
        [bn, c, h, w] => Ok((block, [bn, c, h, w])),
        ref other => Err(n.err(format!("the input must be 4-D, found rank {}", other.len()))),
    }
}

fn mode(n: &NodeCtx<'_>) -> Result<bool> {
    match n.attr_str("mode")?.as_deref() {
        None | Some("DCR") => Ok(true),
        Some("CRD") => Ok(false),
        Some(other) => Err(n.attr_err("mode", format!("'{other}' is not DCR or CRD"))),
    }
}

/// DepthToSpace.
pub(crate) fn depth_to_space(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let (s, [bn, c, h, w]) = blocks(&b, g, x)?;
    if c % (s * s) != 0 {
        return Err(n.err(format!("{c} channels are not a multiple of blocksize² = {}", s * s)));
    }
    let outer = [bn, c / (s * s), h * s, w * s];
    if mode(n)? {
        shuffle(&mut b, g, x, &[bn, s, s, c / (s * s), h, w], &[0, 3, 4, 1, 5, 2], &outer)
    } else {
        shuffle(&mut b, g, x, &[bn, c / (s * s), s, s, h, w], &[0, 1, 4, 2, 5, 3], &outer)
    }
}

/// SpaceToDepth.
pub(crate) fn space_to_depth(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let (s, [bn, c, h, w]) = blocks(&b, g, x)?;
    if h % s != 0 || w % s != 0 {
        return Err(n.err(format!("the spatial size {h}×{w} is not a multiple of blocksize {s}")));
    }
    let inner = [bn, c, h / s, s, w / s, s];
    let outer = [bn, c * s * s, h / s, w / s];
    let perm: &[i64] = if mode(n)? { &[0, 3, 5, 1, 2, 4] } else { &[0, 1, 3, 5, 2, 4] };
    shuffle(&mut b, g, x, &inner, perm, &outer)
}

/// Tile.
pub(crate) fn tile(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let d = b.static_dims(g, x, "the input")?;
    let repeats = n.const_ints(g, 1, "repeats")?.ok_or_else(|| n.err("input 1 (repeats) is required"))?;
    if repeats.len() != d.len() || repeats.iter().any(|&r| r < 0) {
        return Err(n.err(format!("repeats {repeats:?} must have one non-negative count per axis of {d:?}")));
    }
    let mut spread = Vec::new();
    let mut expanded = Vec::new();
    let mut outer = Vec::new();
    for (&dim, &r) in d.iter().zip(&repeats) {
        spread.extend([1, dim as i64]);
        expanded.extend([r, dim as i64]);
        outer.push(r * dim as i64);
    }
    let spread = b.ints(g, &spread);
    let x = b.op(g, OpKind::Reshape, &[x, spread])?;
    let expanded = b.ints(g, &expanded);
    let x = b.op(g, OpKind::Expand, &[x, expanded])?;
    let outer = b.ints(g, &outer);
    b.last(g, OpKind::Reshape, &[x, outer])
}

/// [CenterCropPad](https://onnx.ai/onnx/operators/onnx__CenterCropPad.html)`(input,
/// shape)`, opsets 18–28 (`axes`, default all): each named axis cropped to
/// its target size around the centre (`Slice` from `(d − s)/2`, rounded
/// down) or zero-padded to it (`(s − d)/2` before, the rest after).
pub(crate) fn center_crop_pad(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let mut x = b.required(0, "input_data")?;
    let d = b.static_dims(g, x, "the input")?;
    let rank = d.len() as i64;
    let sizes = n.const_ints(g, 1, "shape")?.ok_or_else(|| n.err("input 1 (shape) is required"))?;
    let axes = n.attr_ints("axes")?.unwrap_or_else(|| (0..rank).collect());
    if axes.len() != sizes.len() {
        return Err(n.err(format!("{} target sizes for {} axes", sizes.len(), axes.len())));
    }
    let mut pads = vec![0i64; 2 * d.len()];
    for (&axis, &target) in axes.iter().zip(&sizes) {
        if axis < -rank || axis >= rank || target < 0 {
            return Err(n.err(format!("axis {axis} with size {target} does not fit rank {rank}")));
        }
        let a = axis.rem_euclid(rank) as usize;
        let dim = d[a] as i64;
        if target < dim {
            let start = (dim - target) / 2;
            let (s, e, ax) = (b.ints(g, &[start]), b.ints(g, &[start + target]), b.ints(g, &[a as i64]));
            x = b.op(g, OpKind::Slice, &[x, s, e, ax])?;
        } else if target > dim {
            pads[a] = (target - dim) / 2;
            pads[a + d.len()] = target - dim - (target - dim) / 2;
        }
    }
    if pads.iter().any(|&p| p != 0) {
        let pads = b.ints(g, &pads);
        x = b.op(g, OpKind::Pad, &[x, pads])?;
    }
    b.last(g, OpKind::Identity, &[x])
}

/// [ReverseSequence](https://onnx.ai/onnx/operators/onnx__ReverseSequence.html)`(input,
/// sequence_lens)`, opsets 11–28 (`batch_axis` 1, `time_axis` 0): each
/// batch's first `sequence_lens[b]` steps reversed, the rest kept — a
/// GatherElements along the time axis with constant indices (`sequence_lens`
/// known at compile time).
pub(crate) fn reverse_sequence(g: &mut Graph, n: &NodeCtx<'_>, _kind: OpKind) -> Result<Vec<Value>> {
    let mut b = Compose::new(n);
    let x = b.required(0, "input")?;
    let d = b.static_dims(g, x, "the input")?;
    let lens = n.const_ints(g, 1, "sequence_lens")?.ok_or_else(|| n.err("input 1 (sequence_lens) is required"))?;
    let (batch_axis, time_axis) = (n.attr_int("batch_axis")?.unwrap_or(1), n.attr_int("time_axis")?.unwrap_or(0));
    let valid = |a: i64| usize::try_from(a).ok().filter(|&a| a < 2 && d.len() >= 2);
    let (Some(ba), Some(ta)) = (valid(batch_axis), valid(time_axis)) else {
        return Err(n.err("batch_axis and time_axis must be 0 and 1 (either way) of an input of rank ≥ 2"));
    };
    if ba == ta || lens.len() != d[ba] || lens.iter().any(|&l| l < 0 || l as usize > d[ta]) {
        return Err(n.err(format!("sequence_lens {lens:?} do not fit the input {d:?}")));
    }
    let index = vitc_ir::ndarray::ArrayD::from_shape_fn(vitc_ir::ndarray::IxDyn(&d), |ix| {
        let (t, len) = (ix[ta] as i64, lens[ix[ba]]);
        if t < len { len - 1 - t } else { t }
    });
    let index = b.constant(g, vitc_ir::Tensor::I64(index));
    let y = super::flat_gather::gather_along(&mut b, g, x, index, ta as i64)?;
    b.last(g, OpKind::Identity, &[y])
}
