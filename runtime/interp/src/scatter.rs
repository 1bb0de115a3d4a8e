//! ONNX ScatterND (opset 13; `reduction` none, add, mul from 16; max, min
//! from 18): a copy of `data` in which each slice named by the last axis of
//! `indices` is replaced by, or combined with, the matching slice of
//! `updates`, in index order (so later duplicates win or accumulate).

use crate::args::{from_vec, int_values, numel, row_major};
use ndarray::ArrayD;
use vitc_ir::{Attrs, Tensor};

/// How a slice of `updates` meets the data it lands on.
type Combine<T> = Option<fn(T, T) -> T>;

pub(crate) fn scatter_nd(attrs: &Attrs, data: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor, String> {
    let dims = data.dims();
    let idims = indices.dims();
    let (&k, lead) = idims.split_last().ok_or("indices must have rank ≥ 1")?;
    if k > dims.len() {
        return Err(format!("indices address {k} axes but the data has rank {}", dims.len()));
    }
    let mut expected = lead.to_vec();
    expected.extend_from_slice(&dims[k..]);
    if updates.dims() != expected.as_slice() {
        return Err(format!("updates have shape {:?}; indices and data need {expected:?}", updates.dims()));
    }
    let slice = numel(&dims[k..]);
    let offsets = slice_offsets(&int_values(indices, "indices")?, &dims[..k], numel(lead))?;
    let reduction = attrs.str_or("reduction", "none")?;
    Ok(match (data, updates) {
        (Tensor::F32(d), Tensor::F32(u)) => Tensor::F32(apply(d, u, &offsets, slice, numeric::<f32>(reduction)?)?),
        (Tensor::I64(d), Tensor::I64(u)) => Tensor::I64(apply(d, u, &offsets, slice, numeric::<i64>(reduction)?)?),
        (Tensor::I32(d), Tensor::I32(u)) => Tensor::I32(apply(d, u, &offsets, slice, numeric::<i32>(reduction)?)?),
        (Tensor::Bool(d), Tensor::Bool(u)) if reduction == "none" => Tensor::Bool(apply(d, u, &offsets, slice, None)?),
        (Tensor::Bool(_), Tensor::Bool(_)) => return Err(format!("reduction '{reduction}' does not apply to bool")),
        _ => return Err(format!("data is {} but updates are {}", data.dtype(), updates.dtype())),
    })
}

/// The first element (in slices) of each index tuple of `axes`.
fn slice_offsets(idx: &[i64], axes: &[usize], count: usize) -> Result<Vec<usize>, String> {
    if axes.is_empty() {
        return Ok(vec![0; count]);
    }
    idx.chunks(axes.len())
        .map(|tuple| {
            tuple.iter().zip(axes).try_fold(0usize, |at, (&i, &d)| {
                let j = if i < 0 { i + d as i64 } else { i };
                let j = usize::try_from(j)
                    .ok()
                    .filter(|&j| j < d)
                    .ok_or_else(|| format!("index {i} is out of range for an axis of size {d}"))?;
                Ok(at * d + j)
            })
        })
        .collect()
}

/// The combining function of `reduction` for a numeric type.
fn numeric<T>(reduction: &str) -> Result<Combine<T>, String>
where
    T: Copy + PartialOrd + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    Ok(match reduction {
        "none" => None,
        "add" => Some(|a, b| a + b),
        "mul" => Some(|a, b| a * b),
        "max" => Some(|a, b| if b > a { b } else { a }),
        "min" => Some(|a, b| if b < a { b } else { a }),
        other => return Err(format!("reduction '{other}' is not one of none, add, mul, max, min")),
    })
}

fn apply<T: Clone>(
    data: &ArrayD<T>,
    updates: &ArrayD<T>,
    offsets: &[usize],
    slice: usize,
    combine: Combine<T>,
) -> Result<ArrayD<T>, String> {
    let mut out = row_major(data).into_owned();
    let up = row_major(updates);
    for (n, &o) in offsets.iter().enumerate() {
        for e in 0..slice {
            let src = up[n * slice + e].clone();
            let dst = &mut out[o * slice + e];
            *dst = match combine {
                None => src,
                Some(f) => f(dst.clone(), src),
            };
        }
    }
    from_vec(data.shape(), out)
}
