//! Operand access and small array helpers shared by the op implementations:
//! fetching (optional) operands with messages that say what is missing,
//! reading integer vectors, and getting row-major data out of any array.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::borrow::Cow;
use vitc_ir::Tensor;

/// Operand `i`, or an error naming it.
pub(crate) fn input<'a>(inputs: &[Option<&'a Tensor>], i: usize, what: &str) -> Result<&'a Tensor, String> {
    inputs.get(i).copied().flatten().ok_or_else(|| format!("operand {i} ({what}) is required but absent"))
}

/// Operand `i` when present.
pub(crate) fn optional<'a>(inputs: &[Option<&'a Tensor>], i: usize) -> Option<&'a Tensor> {
    inputs.get(i).copied().flatten()
}

/// Operand `i` when present and not empty (ONNX writes some absent optional
/// inputs as empty tensors).
pub(crate) fn optional_nonempty<'a>(inputs: &[Option<&'a Tensor>], i: usize) -> Option<&'a Tensor> {
    optional(inputs, i).filter(|t| !t.is_empty())
}

/// Operand `i` as an f32 array.
pub(crate) fn f32_input<'a>(inputs: &[Option<&'a Tensor>], i: usize, what: &str) -> Result<&'a ArrayD<f32>, String> {
    f32_of(input(inputs, i, what)?, what)
}

/// The f32 array of a tensor, or an error naming the operand.
pub(crate) fn f32_of<'a>(t: &'a Tensor, what: &str) -> Result<&'a ArrayD<f32>, String> {
    match t {
        Tensor::F32(a) => Ok(a),
        other => Err(format!("{what} must be f32, found {}", other.dtype())),
    }
}

/// The elements of an integer tensor (i64 or i32), row-major.
pub(crate) fn int_values(t: &Tensor, what: &str) -> Result<Vec<i64>, String> {
    match t {
        Tensor::I64(a) => Ok(a.iter().copied().collect()),
        Tensor::I32(a) => Ok(a.iter().map(|&v| i64::from(v)).collect()),
        other => Err(format!("{what} must be an integer tensor, found {}", other.dtype())),
    }
}

/// The elements of a tensor as f64 (scalars such as Range bounds).
pub(crate) fn scalar_f64(t: &Tensor, what: &str) -> Result<f64, String> {
    if t.len() != 1 {
        return Err(format!("{what} must hold one element, found shape {:?}", t.dims()));
    }
    Ok(t.to_f64_vec()[0])
}

/// The data of an array in row-major order, borrowed when it already is.
pub(crate) fn row_major<T: Clone>(a: &ArrayD<T>) -> Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

/// An owned, standard-layout copy of a view.
pub(crate) fn to_owned_std<T: Clone>(v: ArrayViewD<'_, T>) -> ArrayD<T> {
    v.as_standard_layout().into_owned()
}

/// Builds an array from row-major data.
pub(crate) fn from_vec<T>(shape: &[usize], data: Vec<T>) -> Result<ArrayD<T>, String> {
    let n = data.len();
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| format!("internal: {n} elements do not fill shape {shape:?} ({e})"))
}

/// The most elements an op will allocate for one result (8 GiB of f32);
/// beyond it the op fails instead of exhausting memory.
pub(crate) const MAX_ELEMENTS: usize = 1 << 31;

/// Product of sizes (saturating; see [`checked_numel`] before allocating).
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |n, &d| n.saturating_mul(d))
}

/// Product of sizes, or an error when a result of `shape` is too big to make.
pub(crate) fn checked_numel(shape: &[usize]) -> Result<usize, String> {
    if shape.contains(&0) {
        return Ok(0);
    }
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| format!("a result of shape {shape:?} would exceed {MAX_ELEMENTS} elements"))
}

/// Converts a list of i64 attribute values into non-negative sizes.
pub(crate) fn to_sizes(values: &[i64], what: &str) -> Result<Vec<usize>, String> {
    values
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| format!("{what} must not be negative, found {values:?}")))
        .collect()
}

/// Normalises a list of axes, rejecting duplicates.
pub(crate) fn normalize_axes(axes: &[i64], rank: usize) -> Result<Vec<usize>, String> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let n = vitc_ir::geometry::normalize_axis(a, rank)?;
        if out.contains(&n) {
            return Err(format!("axis {a} is repeated in {axes:?}"));
        }
        out.push(n);
    }
    Ok(out)
}
