//! Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin with the `axes`
//! attribute, `keepdims` and `noop_with_empty_axes`. The reduced axes are
//! brought into one block (by a transpose when they are not adjacent) so the
//! kernel adds whole rows; f32 sums accumulate in f64.

use crate::args::{from_vec, normalize_axes, numel, row_major};
use crate::layout::permute;
use ndarray::ArrayD;
use std::borrow::Cow;
use vitc_ir::{Attrs, OpKind, Tensor};

/// An input viewed as `[outer, red, inner]` with the reduced axes in the middle.
struct Blocks<'a> {
    data: Cow<'a, Tensor>,
    outer: usize,
    red: usize,
    inner: usize,
}

/// Rearranges `x` so that the (sorted, distinct) `axes` form one block.
fn blocks<'a>(x: &'a Tensor, axes: &[usize]) -> Blocks<'a> {
    let dims = x.dims();
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let (data, lo, hi) = if adjacent {
        (Cow::Borrowed(x), axes[0], axes[axes.len() - 1] + 1)
    } else {
        let mut perm: Vec<usize> = (0..dims.len()).filter(|i| !axes.contains(i)).collect();
        let kept = perm.len();
        perm.extend_from_slice(axes);
        (Cow::Owned(permute(x, &perm)), kept, dims.len())
    };
    let d = data.dims().to_vec();
    Blocks { outer: numel(&d[..lo]), red: numel(&d[lo..hi]), inner: numel(&d[hi..]), data }
}

/// Folds every `[o, :, i]` column of `x` (shape `[outer, red, inner]`) with `step`.
fn fold<T: Copy, A: Copy>(
    x: &[T],
    outer: usize,
    red: usize,
    inner: usize,
    init: A,
    step: impl Fn(A, T) -> A,
) -> Vec<A> {
    let mut out = vec![init; outer * inner];
    if inner == 0 {
        return out;
    }
    for (o, acc) in out.chunks_mut(inner).enumerate() {
        for r in 0..red {
            let row = &x[(o * red + r) * inner..(o * red + r + 1) * inner];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a = step(*a, v);
            }
        }
    }
    out
}

fn max_f32(a: f32, v: f32) -> f32 {
    if v > a || v.is_nan() { v } else { a }
}

fn min_f32(a: f32, v: f32) -> f32 {
    if v < a || v.is_nan() { v } else { a }
}

/// Reduces the sorted, distinct `axes` of `x`; `out_shape` is the result's shape.
fn reduce_axes(op: OpKind, x: &Tensor, axes: &[usize], out_shape: &[usize]) -> Result<Tensor, String> {
    use OpKind::*;
    let b = blocks(x, axes);
    let (outer, red, inner) = (b.outer, b.red, b.inner);
    Ok(match (&*b.data, op) {
        (Tensor::F32(a), ReduceSum | ReduceMean) => {
            let sums = fold(&row_major(a), outer, red, inner, 0.0f64, |s, v| s + f64::from(v));
            let scale = if op == ReduceMean { 1.0 / red as f64 } else { 1.0 };
            Tensor::F32(from_vec(out_shape, sums.into_iter().map(|s| (s * scale) as f32).collect())?)
        }
        (Tensor::F32(a), ReduceMax) => {
            Tensor::F32(from_vec(out_shape, fold(&row_major(a), outer, red, inner, f32::NEG_INFINITY, max_f32))?)
        }
        (Tensor::F32(a), ReduceMin) => {
            Tensor::F32(from_vec(out_shape, fold(&row_major(a), outer, red, inner, f32::INFINITY, min_f32))?)
        }
        (Tensor::I64(a), _) => Tensor::I64(from_vec(out_shape, reduce_int(op, &row_major(a), outer, red, inner))?),
        (Tensor::I32(a), _) => {
            let wide: Vec<i64> = row_major(a).iter().map(|&v| i64::from(v)).collect();
            let r = reduce_int(op, &wide, outer, red, inner);
            Tensor::I32(from_vec(out_shape, r.into_iter().map(|v| v as i32).collect())?)
        }
        (Tensor::Bool(a), ReduceMax) => {
            Tensor::Bool(from_vec(out_shape, fold(&row_major(a), outer, red, inner, false, |m, v| m || v))?)
        }
        (Tensor::Bool(a), ReduceMin) => {
            Tensor::Bool(from_vec(out_shape, fold(&row_major(a), outer, red, inner, true, |m, v| m && v))?)
        }
        (other, _) => return Err(format!("'{op}' is not defined on {} tensors", other.dtype())),
    })
}

fn reduce_int(op: OpKind, x: &[i64], outer: usize, red: usize, inner: usize) -> Vec<i64> {
    match op {
        OpKind::ReduceMax => fold(x, outer, red, inner, i64::MIN, i64::max),
        OpKind::ReduceMin => fold(x, outer, red, inner, i64::MAX, i64::min),
        OpKind::ReduceMean if red > 0 => {
            fold(x, outer, red, inner, 0i64, i64::wrapping_add).into_iter().map(|s| s / red as i64).collect()
        }
        _ => fold(x, outer, red, inner, 0i64, i64::wrapping_add),
    }
}

/// ONNX ReduceSum / ReduceMean / ReduceMax / ReduceMin.
pub(crate) fn reduce(op: OpKind, attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let dims = x.dims();
    let keepdims = attrs.int_or("keepdims", 1)? != 0;
    let noop = attrs.int_or("noop_with_empty_axes", 0)? != 0;
    let mut axes = normalize_axes(attrs.ints("axes")?.unwrap_or(&[]), dims.len())?;
    if axes.is_empty() {
        if noop || dims.is_empty() {
            return Ok(x.clone());
        }
        axes = (0..dims.len()).collect();
    }
    axes.sort_unstable();
    let out_shape: Vec<usize> = (0..dims.len())
        .filter_map(|i| {
            if !axes.contains(&i) {
                Some(dims[i])
            } else if keepdims {
                Some(1)
            } else {
                None
            }
        })
        .collect();
    reduce_axes(op, x, &axes, &out_shape)
}

/// Sums `x` over `axes` (distinct, any order), dropping them.
pub(crate) fn sum_axes(x: &ArrayD<f32>, axes: &[usize]) -> Result<ArrayD<f32>, String> {
    if axes.is_empty() {
        return Ok(x.clone());
    }
    let mut axes = axes.to_vec();
    axes.sort_unstable();
    let dims = x.shape();
    let out_shape: Vec<usize> = (0..dims.len()).filter(|i| !axes.contains(i)).map(|i| dims[i]).collect();
    match reduce_axes(OpKind::ReduceSum, &Tensor::F32(x.clone()), &axes, &out_shape)? {
        Tensor::F32(a) => Ok(a),
        _ => Err("internal: sum of f32 is not f32".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;
    use vitc_ir::Attr;

    fn data() -> Tensor {
        // ONNX reduce examples: shape [3, 2, 2] = [[[5,1],[20,2]],[[30,1],[40,2]],[[55,1],[60,2]]]
        Tensor::F32(
            ArrayD::from_shape_vec(IxDyn(&[3, 2, 2]), vec![5., 1., 20., 2., 30., 1., 40., 2., 55., 1., 60., 2.])
                .unwrap(),
        )
    }

    #[test]
    fn mean_over_axis_1_keepdims() {
        // ONNX ReduceMean example: axes [1], keepdims 1 -> [[[12.5, 1.5]], [[35, 1.5]], [[57.5, 1.5]]]
        let attrs = Attrs::new().with("axes", Attr::Ints(vec![1]));
        let y = reduce(OpKind::ReduceMean, &attrs, &data()).unwrap();
        assert_eq!(y.dims(), &[3, 1, 2]);
        assert_eq!(y.to_f64_vec(), vec![12.5, 1.5, 35.0, 1.5, 57.5, 1.5]);
    }

    #[test]
    fn sum_max_min_over_non_adjacent_axes() {
        let attrs = Attrs::new().with("axes", Attr::Ints(vec![0, -1])).with("keepdims", Attr::Int(0));
        let s = reduce(OpKind::ReduceSum, &attrs, &data()).unwrap();
        assert_eq!((s.dims().to_vec(), s.to_f64_vec()), (vec![2], vec![93.0, 126.0]));
        let m = reduce(OpKind::ReduceMax, &attrs, &data()).unwrap();
        assert_eq!(m.to_f64_vec(), vec![55.0, 60.0]);
        let n = reduce(OpKind::ReduceMin, &attrs, &data()).unwrap();
        assert_eq!(n.to_f64_vec(), vec![1.0, 2.0]);
    }

    #[test]
    fn empty_axes_reduce_all_or_nothing() {
        let all = reduce(OpKind::ReduceSum, &Attrs::new(), &data()).unwrap();
        assert_eq!((all.dims().to_vec(), all.to_f64_vec()), (vec![1, 1, 1], vec![219.0]));
        let noop = Attrs::new().with("noop_with_empty_axes", Attr::Int(1));
        assert_eq!(reduce(OpKind::ReduceSum, &noop, &data()).unwrap(), data());
    }

    #[test]
    fn bool_max_is_any_and_min_is_all() {
        let x = Tensor::Bool(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![true, false, false, false]).unwrap());
        let attrs = Attrs::new().with("axes", Attr::Ints(vec![1])).with("keepdims", Attr::Int(0));
        assert_eq!(reduce(OpKind::ReduceMax, &attrs, &x).unwrap().to_i64_vec(), vec![1, 0]);
        assert_eq!(reduce(OpKind::ReduceMin, &attrs, &x).unwrap().to_i64_vec(), vec![0, 0]);
        assert!(reduce(OpKind::ReduceSum, &attrs, &x).is_err());
    }

    #[test]
    fn integer_sum() {
        let x = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1, 2, 3, 4]).unwrap());
        let attrs = Attrs::new().with("axes", Attr::Ints(vec![1])).with("keepdims", Attr::Int(0));
        assert_eq!(reduce(OpKind::ReduceSum, &attrs, &x).unwrap().to_i64_vec(), vec![3, 7]);
    }
}
