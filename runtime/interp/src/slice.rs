//! ONNX Slice: `slice(data, starts, ends, axes?, steps?)` with negative
//! indices, clamping to the axis, and negative steps.

use crate::args::{input, int_values, normalize_axes, optional, to_owned_std};
use ndarray::Slice;
use vitc_ir::{Tensor, map_tensor};

/// The first index and the element count that ONNX selects on an axis of
/// size `dim`.
fn onnx_range(start: i64, end: i64, step: i64, dim: i64) -> (i64, i64) {
    let (start, end, step, dim) = (i128::from(start), i128::from(end), i128::from(step), i128::from(dim));
    let adjust = |v: i128| if v < 0 { v + dim } else { v };
    let clamp = |v: i128, lo: i128, hi: i128| v.max(lo).min(hi);
    let (s, e) = if step > 0 {
        (clamp(adjust(start), 0, dim), clamp(adjust(end), 0, dim))
    } else {
        (clamp(adjust(start), 0, dim - 1), clamp(adjust(end), -1, dim - 1))
    };
    let n = if step > 0 && e > s {
        (e - s - 1) / step + 1
    } else if step < 0 && s > e {
        (s - e - 1) / (-step) + 1
    } else {
        0
    };
    (s as i64, n as i64)
}

/// The ndarray slice selecting `n` elements from `s` by `step`.
fn to_slice(s: i64, n: i64, step: i64) -> Slice {
    if n == 0 {
        return Slice::new(0, Some(0), 1);
    }
    let (s, n, step) = (s as isize, n as isize, step as isize);
    if step > 0 {
        Slice::new(s, Some(s + (n - 1) * step + 1), step)
    } else {
        Slice::new(s + (n - 1) * step, Some(s + 1), step)
    }
}

pub(crate) fn slice(inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let data = input(inputs, 0, "data")?;
    let starts = int_values(input(inputs, 1, "starts")?, "starts")?;
    let ends = int_values(input(inputs, 2, "ends")?, "ends")?;
    let dims = data.dims();
    let n = starts.len();
    let axes = match optional(inputs, 3) {
        Some(t) => normalize_axes(&int_values(t, "axes")?, dims.len())?,
        None => (0..n).collect(),
    };
    let steps = match optional(inputs, 4) {
        Some(t) => int_values(t, "steps")?,
        None => vec![1; n],
    };
    if ends.len() != n || axes.len() != n || steps.len() != n {
        return Err(format!(
            "starts, ends, axes and steps differ in length: {}, {}, {}, {}",
            n,
            ends.len(),
            axes.len(),
            steps.len()
        ));
    }
    if axes.iter().any(|&a| a >= dims.len()) {
        return Err(format!("axes {axes:?} do not fit rank {}", dims.len()));
    }
    let mut slices: Vec<Slice> = dims.iter().map(|_| Slice::new(0, None, 1)).collect();
    for i in 0..n {
        if steps[i] == 0 {
            return Err("slice steps must not be 0".into());
        }
        let (s, count) = onnx_range(starts[i], ends[i], steps[i], dims[axes[i]] as i64);
        slices[axes[i]] = to_slice(s, count, steps[i]);
    }
    Ok(map_tensor!(data, a => to_owned_std(a.slice_each_axis(|ax| slices[ax.axis.index()]))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::I64(ArrayD::from_shape_vec(IxDyn(shape), (0..n as i64).collect()).unwrap())
    }

    fn run(x: &Tensor, starts: &[i64], ends: &[i64], axes: Option<&[i64]>, steps: Option<&[i64]>) -> Tensor {
        let s = Tensor::i64_vec(starts);
        let e = Tensor::i64_vec(ends);
        let a = axes.map(Tensor::i64_vec);
        let st = steps.map(Tensor::i64_vec);
        slice(&[Some(x), Some(&s), Some(&e), a.as_ref(), st.as_ref()]).unwrap()
    }

    #[test]
    fn onnx_example_with_steps() {
        // ONNX spec example 1: data [[1,2,3,4],[5,6,7,8]], axes [0,1], starts [1,0], ends [2,3], steps [1,2] -> [[5,7]]
        let x = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 4]), (1..=8).collect()).unwrap());
        let y = run(&x, &[1, 0], &[2, 3], Some(&[0, 1]), Some(&[1, 2]));
        assert_eq!((y.dims().to_vec(), y.to_i64_vec()), (vec![1, 2], vec![5, 7]));
        // Example 2: starts [0,1], ends [-1,1000] -> [[2,3,4]]
        let y = run(&x, &[0, 1], &[-1, 1000], None, None);
        assert_eq!((y.dims().to_vec(), y.to_i64_vec()), (vec![1, 3], vec![2, 3, 4]));
    }

    #[test]
    fn negative_steps_reverse() {
        let x = iota(&[10]);
        // x[8:2:-2] = [8, 6, 4]
        assert_eq!(run(&x, &[8], &[2], None, Some(&[-2])).to_i64_vec(), vec![8, 6, 4]);
        // full reversal: start -1, end INT_MIN, step -1
        let r = run(&x, &[-1], &[i64::MIN], None, Some(&[-1]));
        assert_eq!(r.to_i64_vec(), (0..10).rev().collect::<Vec<_>>());
        // start beyond the end clamps to dim-1: x[20:5:-3] = [9, 6]
        assert_eq!(run(&x, &[20], &[5], None, Some(&[-3])).to_i64_vec(), vec![9, 6]);
        // empty when start <= end with a negative step
        assert_eq!(run(&x, &[2], &[5], None, Some(&[-1])).dims(), &[0]);
    }

    #[test]
    fn negative_axes_and_large_bounds() {
        let x = iota(&[2, 3]);
        let y = run(&x, &[1], &[i64::MAX], Some(&[-1]), None);
        assert_eq!((y.dims().to_vec(), y.to_i64_vec()), (vec![2, 2], vec![1, 2, 4, 5]));
    }
}
