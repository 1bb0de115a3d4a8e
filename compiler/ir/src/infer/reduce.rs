//! Rule for `reduce_{mean,sum,max,min}{axes, keepdims, noop_with_empty_axes}`.

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
