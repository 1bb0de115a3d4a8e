//! Numpy-style broadcasting over row-major data: a [`Plan`] maps every
//! output element to an offset in each operand, with size-1 axes dropped and
//! adjacent axes merged, so kernels loop over long inner rows instead of
//! computing an index vector per element.

use crate::args::{checked_numel, from_vec, row_major};
use ndarray::ArrayD;
use vitc_ir::geometry::broadcast_sizes;

/// How `K` operands broadcast to one output shape.
pub(crate) struct Plan<const K: usize> {
    /// Output axes after dropping size-1 axes and merging; never empty.
    dims: Vec<usize>,
    /// Per axis, the element stride in each operand (0 where it broadcasts).
    strides: Vec<[usize; K]>,
}

impl<const K: usize> Plan<K> {
    /// The plan for `operands` (row-major shapes) broadcast to `out`.
    pub(crate) fn new(out: &[usize], operands: [&[usize]; K]) -> Result<Plan<K>, String> {
        let rank = out.len();
        let mut strides = vec![[0usize; K]; rank];
        for (k, shape) in operands.iter().enumerate() {
            if shape.len() > rank {
                return Err(format!("shape {shape:?} does not broadcast to {out:?}"));
            }
            let offset = rank - shape.len();
            let mut stride = 1;
            for i in (0..shape.len()).rev() {
                let d = shape[i];
                if d == out[offset + i] && d != 1 {
                    strides[offset + i][k] = stride;
                } else if d != 1 && d != out[offset + i] {
                    return Err(format!("shape {shape:?} does not broadcast to {out:?}"));
                }
                stride *= d;
            }
        }
        let mut dims: Vec<usize> = Vec::with_capacity(rank);
        let mut merged: Vec<[usize; K]> = Vec::with_capacity(rank);
        for i in 0..rank {
            if out[i] == 1 {
                continue;
            }
            if let (Some(last_dim), Some(last_strides)) = (dims.last_mut(), merged.last_mut())
                && (0..K).all(|k| last_strides[k] == strides[i][k] * out[i])
            {
                *last_dim *= out[i];
                *last_strides = strides[i];
                continue;
            }
            dims.push(out[i]);
            merged.push(strides[i]);
        }
        if dims.is_empty() {
            dims.push(1);
            merged.push([0; K]);
        }
        Ok(Plan { dims, strides: merged })
    }

    /// Calls `f(offsets, len, strides)` once per innermost row, in row-major
    /// output order: the row's elements are at `offsets[k] + j * strides[k]`.
    pub(crate) fn for_each_row(&self, mut f: impl FnMut([usize; K], usize, [usize; K])) {
        if self.dims.contains(&0) {
            return;
        }
        let r = self.dims.len();
        let inner = self.dims[r - 1];
        let inner_strides = self.strides[r - 1];
        let mut idx = vec![0usize; r - 1];
        let mut off = [0usize; K];
        loop {
            f(off, inner, inner_strides);
            let mut d = r - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                for (o, s) in off.iter_mut().zip(self.strides[d]) {
                    *o += s;
                }
                if idx[d] < self.dims[d] {
                    break;
                }
                for (o, s) in off.iter_mut().zip(self.strides[d]) {
                    *o -= s * self.dims[d];
                }
                idx[d] = 0;
            }
        }
    }
}

/// `f` applied element-wise to `a` and `b` broadcast together.
pub(crate) fn zip2<A: Copy, B: Copy, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    f: impl Fn(A, B) -> O,
) -> Result<ArrayD<O>, String> {
    let shape = broadcast_sizes(a.shape(), b.shape())?;
    let xa = row_major(a);
    let xb = row_major(b);
    let n = checked_numel(&shape)?;
    let mut out = Vec::with_capacity(n);
    if a.shape() == b.shape() {
        out.extend(xa.iter().zip(xb.iter()).map(|(&x, &y)| f(x, y)));
    } else if xb.len() == 1 && xa.len() == n {
        let y = xb[0];
        out.extend(xa.iter().map(|&x| f(x, y)));
    } else if xa.len() == 1 && xb.len() == n {
        let x = xa[0];
        out.extend(xb.iter().map(|&y| f(x, y)));
    } else {
        let plan = Plan::new(&shape, [a.shape(), b.shape()])?;
        plan.for_each_row(|[oa, ob], len, [sa, sb]| match (sa, sb) {
            (1, 1) => out.extend(xa[oa..oa + len].iter().zip(&xb[ob..ob + len]).map(|(&x, &y)| f(x, y))),
            (1, 0) => {
                let y = xb[ob];
                out.extend(xa[oa..oa + len].iter().map(|&x| f(x, y)));
            }
            (0, 1) => {
                let x = xa[oa];
                out.extend(xb[ob..ob + len].iter().map(|&y| f(x, y)));
            }
            _ => out.extend((0..len).map(|j| f(xa[oa + j * sa], xb[ob + j * sb]))),
        });
    }
    from_vec(&shape, out)
}

/// `f` applied element-wise to three operands broadcast together.
pub(crate) fn zip3<A: Copy, B: Copy, C: Copy, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    c: &ArrayD<C>,
    f: impl Fn(A, B, C) -> O,
) -> Result<ArrayD<O>, String> {
    let shape = broadcast_sizes(&broadcast_sizes(a.shape(), b.shape())?, c.shape())?;
    let (xa, xb, xc) = (row_major(a), row_major(b), row_major(c));
    let mut out = Vec::with_capacity(checked_numel(&shape)?);
    if a.shape() == b.shape() && b.shape() == c.shape() {
        out.extend(xa.iter().zip(xb.iter()).zip(xc.iter()).map(|((&x, &y), &z)| f(x, y, z)));
    } else {
        let plan = Plan::new(&shape, [a.shape(), b.shape(), c.shape()])?;
        plan.for_each_row(|[oa, ob, oc], len, [sa, sb, sc]| {
            out.extend((0..len).map(|j| f(xa[oa + j * sa], xb[ob + j * sb], xc[oc + j * sc])));
        });
    }
    from_vec(&shape, out)
}

/// `a` broadcast to `shape` (which must be a broadcast of `a`'s shape).
pub(crate) fn broadcast_to<T: Clone>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>, String> {
    let xa = row_major(a);
    let mut out = Vec::with_capacity(checked_numel(shape)?);
    let plan = Plan::new(shape, [a.shape()])?;
    plan.for_each_row(|[o], len, [s]| {
        if s == 1 {
            out.extend_from_slice(&xa[o..o + len]);
        } else {
            out.extend((0..len).map(|j| xa[o + j * s].clone()));
        }
    });
    from_vec(shape, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, arr1, arr2};

    #[test]
    fn row_plus_column_broadcasts_to_a_matrix() {
        let col = arr2(&[[10.0f32], [20.0]]).into_dyn();
        let row = arr1(&[1.0f32, 2.0, 3.0]).into_dyn();
        let sum = zip2(&col, &row, |x, y| x + y).unwrap();
        assert_eq!(sum, arr2(&[[11.0, 12.0, 13.0], [21.0, 22.0, 23.0]]).into_dyn());
    }

    #[test]
    fn middle_axis_broadcast() {
        // [2,1,2] + [3,1] -> [2,3,2]
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 1, 2]), vec![1, 2, 3, 4]).unwrap();
        let b = ArrayD::from_shape_vec(IxDyn(&[3, 1]), vec![0, 10, 20]).unwrap();
        let c = zip2(&a, &b, |x, y| x + y).unwrap();
        assert_eq!(c.shape(), &[2, 3, 2]);
        assert_eq!(c.iter().copied().collect::<Vec<i32>>(), vec![1, 2, 11, 12, 21, 22, 3, 4, 13, 14, 23, 24]);
    }

    #[test]
    fn incompatible_shapes_are_rejected() {
        let a = ArrayD::from_elem(IxDyn(&[2, 3]), 0.0f32);
        let b = ArrayD::from_elem(IxDyn(&[2]), 0.0f32);
        assert!(zip2(&a, &b, |x, y| x + y).is_err());
    }

    #[test]
    fn expand_repeats_rows() {
        let a = arr2(&[[1], [2]]).into_dyn();
        let e = broadcast_to(&a, &[2, 2, 3]).unwrap();
        assert_eq!(e.iter().copied().collect::<Vec<i32>>(), vec![1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    }
}
