//! Rules for layout ops: reshape, flatten, transpose, squeeze, unsqueeze,
//! concat, split, slice, gather, expand, pad.

use super::shape_value::SymInt;
use super::{Operand, optional, required};
use crate::attr::Attrs;
use crate::dim::{Dim, Shape, format_shape, shape_numel};
use crate::geometry::{broadcast_shapes, normalize_axis, normalize_axis_inclusive};
use crate::graph::ValueType;

fn same(x: &Operand<'_>, shape: Shape) -> Vec<ValueType> {
    vec![ValueType::new(x.ty.dtype, shape)]
}

/// Output shape of `reshape(x, target)`: `0` copies the input dim (unless
/// `allowzero`), one `-1` takes what is left.
pub fn reshape_target(input: &[Dim], target: &[SymInt], allow_zero: bool) -> Result<Shape, String> {
    let mut out: Vec<Option<Dim>> = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, t) in target.iter().enumerate() {
        match t {
            SymInt::Int(-1) if infer_at.is_none() => {
                infer_at = Some(i);
                out.push(None);
            }
            SymInt::Int(0) if !allow_zero => out.push(Some(
                input
                    .get(i)
                    .cloned()
                    .ok_or_else(|| format!("target dim {i} is 0 but the input has rank {}", input.len()))?,
            )),
            other => out.push(Some(other.to_dim().ok_or_else(|| format!("invalid target dim {other}"))?)),
        }
    }
    let total = shape_numel(input).ok_or("input size is not representable")?;
    if let Some(i) = infer_at {
        let known: Vec<Dim> = out.iter().flatten().cloned().collect();
        let part = shape_numel(&known).ok_or("target size is not representable")?;
        let d = total.div_exact(&part).ok_or_else(|| {
            format!(
                "cannot reshape {} into {}: {total} is not a multiple of {part}",
                format_shape(input),
                super::shape_value::format_values(target)
            )
        })?;
        out[i] = Some(d);
    }
    let shape: Shape = out.into_iter().flatten().collect();
    let n = shape_numel(&shape).ok_or("target size is not representable")?;
    if n != total && n.known().is_some() == total.known().is_some() {
        return Err(format!(
            "cannot reshape {} ({total} elements) into {} ({n})",
            format_shape(input),
            format_shape(&shape)
        ));
    }
    Ok(shape)
}

pub fn reshape(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let target = required(operands, 1)?.int_values("the reshape target")?;
    Ok(same(x, reshape_target(&x.ty.shape, &target, attrs.int_or("allowzero", 0)? != 0)?))
}

pub fn flatten(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axis = normalize_axis_inclusive(attrs.int_or("axis", 1)?, x.ty.rank())?;
    let outer = shape_numel(&x.ty.shape[..axis]).ok_or("outer size is not representable")?;
    let inner = shape_numel(&x.ty.shape[axis..]).ok_or("inner size is not representable")?;
    Ok(same(x, vec![outer, inner]))
}

/// The permutation of a transpose (default: reversed axes), validated.
pub fn transpose_perm(attrs: &Attrs, rank: usize) -> Result<Vec<usize>, String> {
    let perm: Vec<usize> = match attrs.ints("perm")? {
        None => (0..rank).rev().collect(),
        Some(p) => p.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_, _>>()?,
    };
    let mut seen = vec![false; rank];
    for &p in &perm {
        if std::mem::replace(&mut seen[p], true) {
            return Err(format!("perm {perm:?} repeats axis {p}"));
        }
    }
    if perm.len() != rank {
        return Err(format!("perm {perm:?} does not match rank {rank}"));
    }
    Ok(perm)
}

pub fn transpose(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let perm = transpose_perm(attrs, x.ty.rank())?;
    Ok(same(x, perm.iter().map(|&p| x.ty.shape[p].clone()).collect()))
}

pub fn squeeze(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axes: Vec<usize> = match attrs.ints("axes")? {
        Some(a) => a.iter().map(|&v| normalize_axis(v, x.ty.rank())).collect::<Result<_, _>>()?,
        None => (0..x.ty.rank()).filter(|&i| x.ty.shape[i] == Dim::Known(1)).collect(),
    };
    for &a in &axes {
        if x.ty.shape[a] != Dim::Known(1) && x.ty.shape[a].known().is_some() {
            return Err(format!("cannot squeeze axis {a} of size {}", x.ty.shape[a]));
        }
    }
    Ok(same(x, x.ty.shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, d)| d.clone()).collect()))
}

pub fn unsqueeze(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axes = attrs.ints("axes")?.ok_or("attribute 'axes' is required")?;
    let rank = x.ty.rank() + axes.len();
    let mut norm: Vec<usize> = axes.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_, _>>()?;
    norm.sort_unstable();
    if norm.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("axes {axes:?} repeat an axis"));
    }
    let mut rest = x.ty.shape.iter();
    let out: Option<Shape> =
        (0..rank).map(|i| if norm.contains(&i) { Some(Dim::Known(1)) } else { rest.next().cloned() }).collect();
    Ok(same(x, out.ok_or("axes out of range")?))
}

pub fn concat(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let first = required(operands, 0)?;
    let rank = first.ty.rank();
    let axis = normalize_axis(attrs.int_or("axis", 0)?, rank)?;
    let mut out = first.ty.shape.clone();
    for i in 1..operands.len() {
        let o = required(operands, i)?;
        if o.ty.rank() != rank || o.ty.dtype != first.ty.dtype {
            return Err(format!("operand {i} is {} but operand 0 is {}", o.ty, first.ty));
        }
        for (a, (d, e)) in out.iter_mut().zip(&o.ty.shape).enumerate() {
            if a == axis {
                *d = add_dims(d, e).ok_or("concat size is not representable")?;
            } else if d.known().is_some() && e.known().is_some() && d != e {
                return Err(format!("operand {i} has {e} on axis {a}, operand 0 has {d}"));
            }
        }
    }
    Ok(same(first, out))
}

fn add_dims(a: &Dim, b: &Dim) -> Option<Dim> {
    match (a, b) {
        (Dim::Known(x), Dim::Known(y)) => Some(Dim::Known(x + y)),
        (Dim::Sym { name: n1, factor: f1 }, Dim::Sym { name: n2, factor: f2 }) if n1 == n2 => {
            Some(Dim::Sym { name: n1.clone(), factor: f1 + f2 })
        }
        (Dim::Known(0), d) | (d, Dim::Known(0)) => Some(d.clone()),
        _ => None,
    }
}

/// The sizes of the parts of a split: the `split` attribute, or equal parts
/// (the last one smaller when the size does not divide).
pub fn split_sizes(attrs: &Attrs, dim: usize, n_outputs: usize) -> Result<Vec<usize>, String> {
    match attrs.ints("split")? {
        Some(s) => {
            let sizes: Vec<usize> = s
                .iter()
                .map(|&v| usize::try_from(v).map_err(|_| format!("negative split size {v}")))
                .collect::<Result<_, _>>()?;
            if sizes.iter().sum::<usize>() != dim || sizes.len() != n_outputs {
                return Err(format!("split {sizes:?} does not cover size {dim} with {n_outputs} outputs"));
            }
            Ok(sizes)
        }
        None => {
            if n_outputs == 0 {
                return Err("split needs at least one output".into());
            }
            let part = dim.div_ceil(n_outputs);
            Ok((0..n_outputs).map(|i| part.min(dim.saturating_sub(i * part))).collect())
        }
    }
}

pub fn split(attrs: &Attrs, operands: &[Option<Operand<'_>>], n_outputs: usize) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let axis = normalize_axis(attrs.int_or("axis", 0)?, x.ty.rank())?;
    let dim = x.ty.shape[axis].known().ok_or("the split axis must have a static size")?;
    Ok(split_sizes(attrs, dim, n_outputs)?
        .into_iter()
        .map(|s| {
            let mut shape = x.ty.shape.clone();
            shape[axis] = Dim::Known(s);
            ValueType::new(x.ty.dtype, shape)
        })
        .collect())
}

/// Resolved `(start, step, count)` of one sliced axis of size `dim`, with
/// ONNX's clamping rules.
pub fn slice_range(dim: i64, start: i64, end: i64, step: i64) -> Result<(i64, i64, usize), String> {
    if step == 0 {
        return Err("slice step must not be 0".into());
    }
    let norm = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
    let (s, e) = if step > 0 {
        (norm(start).clamp(0, dim), norm(end).clamp(0, dim))
    } else {
        (norm(start).clamp(-1, dim - 1), norm(end).clamp(-1, dim - 1))
    };
    let count = if step > 0 { (e - s + step - 1).div_euclid(step) } else { (s - e + (-step) - 1).div_euclid(-step) };
    Ok((s, step, count.max(0) as usize))
}

pub fn slice(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let starts = required(operands, 1)?.known_ints("slice starts")?;
    let ends = required(operands, 2)?.known_ints("slice ends")?;
    let rank = x.ty.rank();
    let axes: Vec<usize> = match optional(operands, 3) {
        Some(a) => a.known_ints("slice axes")?.iter().map(|&v| normalize_axis(v, rank)).collect::<Result<_, _>>()?,
        None => (0..starts.len()).collect(),
    };
    let steps = match optional(operands, 4) {
        Some(s) => s.known_ints("slice steps")?,
        None => vec![1; starts.len()],
    };
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err("slice starts, ends, axes and steps differ in length".into());
    }
    let mut out = x.ty.shape.clone();
    for i in 0..starts.len() {
        let a = axes[i];
        match &x.ty.shape[a] {
            Dim::Known(d) => out[a] = Dim::Known(slice_range(*d as i64, starts[i], ends[i], steps[i])?.2),
            sym if starts[i] == 0 && ends[i] >= i32::MAX as i64 && steps[i] == 1 => out[a] = sym.clone(),
            sym => return Err(format!("cannot slice symbolic axis {a} ({sym}) at compile time")),
        }
    }
    Ok(same(x, out))
}

pub fn gather(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let idx = required(operands, 1)?;
    let axis = normalize_axis(attrs.int_or("axis", 0)?, x.ty.rank())?;
    // Constant indices must address the axis (negative ones count from its end).
    if let (Some(t), Some(n)) = (idx.value, x.ty.shape[axis].known()) {
        let n = n as i64;
        if let Some(&bad) = t.to_i64_vec().iter().find(|&&i| i < -n || i >= n) {
            return Err(format!("index {bad} is out of range for axis {axis} of size {n}"));
        }
    }
    let mut out = x.ty.shape[..axis].to_vec();
    out.extend(idx.ty.shape.iter().cloned());
    out.extend(x.ty.shape[axis + 1..].iter().cloned());
    Ok(same(x, out))
}

/// ScatterND: the data's type; `indices` (int64, last axis `k` ≤ the data's
/// rank) and `updates` (`indices[..-1] ++ data[k..]`, the data's dtype)
/// must fit it.
pub fn scatter_nd(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let data = required(operands, 0)?;
    let indices = required(operands, 1)?;
    let updates = required(operands, 2)?;
    let reduction = attrs.str_or("reduction", "none")?;
    if !matches!(reduction, "none" | "add" | "mul" | "max" | "min") {
        return Err(format!("reduction '{reduction}' is not one of none, add, mul, max, min"));
    }
    if indices.ty.dtype != crate::dtype::DType::I64 {
        return Err(format!("indices must be i64, found {}", indices.ty.dtype));
    }
    if updates.ty.dtype != data.ty.dtype {
        return Err(format!("updates are {} but the data is {}", updates.ty.dtype, data.ty.dtype));
    }
    let (last, lead) = indices.ty.shape.split_last().ok_or("indices must have rank ≥ 1")?;
    if let Some(k) = last.known() {
        if k > data.ty.rank() {
            return Err(format!("indices address {k} axes but the data has rank {}", data.ty.rank()));
        }
        let mut expected = lead.to_vec();
        expected.extend(data.ty.shape[k..].iter().cloned());
        if updates.ty.shape != expected {
            return Err(format!(
                "updates have shape {}; the indices and data need {}",
                format_shape(&updates.ty.shape),
                format_shape(&expected)
            ));
        }
    }
    Ok(vec![data.ty.clone()])
}

pub fn expand(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let target: Shape = required(operands, 1)?
        .int_values("the expand shape")?
        .iter()
        .map(|v| v.to_dim().ok_or_else(|| format!("invalid expand dim {v}")))
        .collect::<Result<_, _>>()?;
    Ok(same(x, broadcast_shapes(&x.ty.shape, &target)?))
}

pub fn pad(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let pads = required(operands, 1)?.known_ints("pads")?;
    let rank = x.ty.rank();
    let axes: Vec<usize> = match optional(operands, 3) {
        Some(a) => a.known_ints("pad axes")?.iter().map(|&v| normalize_axis(v, rank)).collect::<Result<_, _>>()?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(format!("pads has {} values for {} axes", pads.len(), axes.len()));
    }
    let mut out = x.ty.shape.clone();
    for (i, &a) in axes.iter().enumerate() {
        let d = x.ty.shape[a].known().ok_or("padded axes must be static")? as i64 + pads[i] + pads[i + axes.len()];
        out[a] = Dim::Known(usize::try_from(d).map_err(|_| format!("pads shrink axis {a} below zero"))?);
    }
    Ok(same(x, out))
}
