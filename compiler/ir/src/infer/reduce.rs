//! Rules for `reduce_{mean,sum,max,min}{axes, keepdims, noop_with_empty_axes}`
//! and for `layer_normalization`, whose optional outputs are reductions.

use super::{Operand, required};
use crate::attr::Attrs;
use crate::dim::Dim;
use crate::geometry::normalize_axis;
use crate::graph::ValueType;

/// The normalised, sorted axes a reduction runs over (empty = identity).
pub fn reduce_axes(attrs: &Attrs, rank: usize) -> Result<Vec<usize>, String> {
    let mut axes: Vec<usize> = match attrs.ints("axes")? {
        Some(a) if !a.is_empty() => a.iter().map(|&x| normalize_axis(x, rank)).collect::<Result<_, _>>()?,
        _ if attrs.int_or("noop_with_empty_axes", 0)? != 0 => Vec::new(),
        _ => (0..rank).collect(),
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

pub fn reduce(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axes = reduce_axes(attrs, x.ty.rank())?;
    let keep = attrs.int_or("keepdims", 1)? != 0;
    let mut out = Vec::new();
    for (i, d) in x.ty.shape.iter().enumerate() {
        if !axes.contains(&i) {
            out.push(d.clone());
        } else if keep {
            out.push(Dim::Known(1));
        }
    }
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}

/// `layer_normalization(x, scale, bias?) {axis, epsilon}`: `Y` like `x`; the
/// optional `Mean` and `InvStdDev` outputs keep the axes before `axis` and
/// have size 1 from `axis` on.
pub fn layer_normalization(
    attrs: &Attrs,
    operands: &[Option<Operand<'_>>],
    n_outputs: usize,
) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axis = crate::geometry::normalize_axis(attrs.int_or("axis", -1)?, x.ty.rank())?;
    if !(1..=3).contains(&n_outputs) {
        return Err(format!("layer_normalization has 1 to 3 outputs, {n_outputs} requested"));
    }
    let mut stats = x.ty.shape[..axis].to_vec();
    stats.extend(std::iter::repeat_n(Dim::Known(1), x.ty.rank() - axis));
    let mut out = vec![x.ty.clone()];
    out.extend(std::iter::repeat_n(ValueType::new(crate::dtype::DType::F32, stats), n_outputs - 1));
    Ok(out)
}
