//! Strided views: how the lowering sees a value before a kernel needs it in
//! a particular layout. Layout ops (transpose, slice, split, expand,
//! reshape when possible, gather by an affine index) only change a view;
//! a copy is made when a kernel needs dense data.

/// Where a view's elements live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Base {
    /// An arena buffer of the lowering (index into its buffer table).
    Arena(usize),
    /// A compile-time f32 constant (index into the lowering's constant table).
    Const(usize),
}

/// A strided view: element `idx` at `offset + Σ idx_d · strides_d` of `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct View {
    pub base: Base,
    pub offset: usize,
    pub dims: Vec<usize>,
    pub strides: Vec<isize>,
}

/// Row-major strides of `dims`.
pub(crate) fn dense_strides(dims: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; dims.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(dims).rev() {
        *s = acc;
        acc = acc.saturating_mul(d as isize);
    }
    strides
}

/// The inverse of a permutation.
pub(crate) fn inverse_perm(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}

impl View {
    /// A dense row-major view of `dims` from the start of `base`.
    pub fn dense(base: Base, offset: usize, dims: &[usize]) -> View {
        View { base, offset, dims: dims.to_vec(), strides: dense_strides(dims) }
    }

    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether the elements are stored row-major and contiguous from `offset`.
    pub fn is_contiguous(&self) -> bool {
        let mut expect = 1isize;
        for (&d, &s) in self.dims.iter().zip(&self.strides).rev() {
            if d == 0 {
                return true;
            }
            if d != 1 && s != expect {
                return false;
            }
            expect = expect.saturating_mul(d as isize);
        }
        true
    }

    /// Axes reordered: output axis `i` is input axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> View {
        View {
            base: self.base,
            offset: self.offset,
            dims: perm.iter().map(|&p| self.dims[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
        }
    }

    /// The same elements with shape `dims` without copying, when the strides
    /// allow it (numpy's no-copy reshape rule).
    pub fn reshape(&self, dims: &[usize]) -> Option<View> {
        let numel: usize = dims.iter().product();
        if numel != self.numel() {
            return None;
        }
        if numel == 0 || self.is_contiguous() {
            return Some(View {
                base: self.base,
                offset: self.offset,
                dims: dims.to_vec(),
                strides: dense_strides(dims),
            });
        }
        let old: Vec<(usize, isize)> =
            self.dims.iter().zip(&self.strides).filter(|(d, _)| **d != 1).map(|(&d, &s)| (d, s)).collect();
        let mut strides = vec![1isize; dims.len()];
        let (mut oi, mut ni) = (0usize, 0usize);
        while oi < old.len() && ni < dims.len() {
            let (mut np, mut op) = (dims[ni], old[oi].0);
            let (mut nj, mut oj) = (ni + 1, oi + 1);
            while np != op {
                if np < op {
                    np = np.checked_mul(*dims.get(nj)?)?;
                    nj += 1;
                } else {
                    op = op.checked_mul(old.get(oj)?.0)?;
                    oj += 1;
                }
            }
            for ok in oi..oj - 1 {
                if old[ok].1 != old[ok + 1].1.checked_mul(old[ok + 1].0 as isize)? {
                    return None;
                }
            }
            strides[nj - 1] = old[oj - 1].1;
            for nk in (ni + 1..nj).rev() {
                strides[nk - 1] = strides[nk].checked_mul(dims[nk] as isize)?;
            }
            ni = nj;
            oi = oj;
        }
        Some(View { base: self.base, offset: self.offset, dims: dims.to_vec(), strides })
    }

    /// Numpy broadcast to `dims` (aligned on the right; stride 0 where this
    /// view has size 1 or no axis).
    pub fn broadcast_to(&self, dims: &[usize]) -> Result<View, String> {
        if dims.len() < self.dims.len() {
            return Err(format!("cannot broadcast {:?} to the lower rank {:?}", self.dims, dims));
        }
        let lead = dims.len() - self.dims.len();
        let mut strides = vec![0isize; dims.len()];
        for (i, &d) in dims.iter().enumerate().skip(lead) {
            let (sd, ss) = (self.dims[i - lead], self.strides[i - lead]);
            strides[i] = if sd == d {
                ss
            } else if sd == 1 {
                0
            } else {
                return Err(format!("cannot broadcast {:?} to {:?}", self.dims, dims));
            };
        }
        Ok(View { base: self.base, offset: self.offset, dims: dims.to_vec(), strides })
    }

    /// `count` elements of `axis` from index `start` by `step` (which may be
    /// negative).
    pub fn slice_axis(&self, axis: usize, start: usize, step: isize, count: usize) -> View {
        let mut v = self.clone();
        if count > 0 {
            let shift = start as isize * self.strides[axis];
            v.offset = (self.offset as isize + shift) as usize;
        }
        v.dims[axis] = count;
        v.strides[axis] = self.strides[axis] * step;
        v
    }

    /// Replaces `axis` by the axes `dims` with element strides `steps`
    /// (in units of the axis), starting at index `start` of the axis.
    pub fn expand_axis(&self, axis: usize, start: usize, dims: &[usize], steps: &[isize]) -> View {
        let s = self.strides[axis];
        let mut v = self.clone();
        v.offset = (self.offset as isize + start as isize * s) as usize;
        v.dims.splice(axis..=axis, dims.iter().copied());
        v.strides.splice(axis..=axis, steps.iter().map(|&k| k * s));
        v
    }

    /// Positions of all elements relative to the base (row-major order of
    /// the view); for compile-time copies of constants.
    pub fn positions(&self) -> Vec<usize> {
        let n = self.numel();
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        let mut idx = vec![0usize; self.dims.len()];
        let mut pos = self.offset as isize;
        loop {
            out.push(pos as usize);
            let mut axis = self.dims.len();
            loop {
                if axis == 0 {
                    return out;
                }
                axis -= 1;
                idx[axis] += 1;
                pos += self.strides[axis];
                if idx[axis] < self.dims[axis] {
                    break;
                }
                pos -= self.strides[axis] * self.dims[axis] as isize;
                idx[axis] = 0;
            }
        }
    }
}

/// Merges adjacent axes that are contiguous with each other in every
/// operand (`strides[k]` lists one stride per axis for operand `k`) and
/// drops axes of size 1. Returns the merged dims and strides; a scalar
/// becomes one axis of size 1.
pub(crate) fn coalesce(dims: &[usize], strides: &[Vec<isize>]) -> (Vec<usize>, Vec<Vec<isize>>) {
    if dims.contains(&0) {
        return (vec![0], vec![vec![0]; strides.len()]);
    }
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<isize>> = vec![Vec::new(); strides.len()];
    for (axis, &d) in dims.iter().enumerate() {
        if d == 1 {
            continue;
        }
        let mergeable = match out_dims.last() {
            Some(_) => strides.iter().zip(&out_strides).all(|(s, o)| o.last() == Some(&(s[axis] * d as isize))),
            None => false,
        };
        if mergeable {
            if let Some(last) = out_dims.last_mut() {
                *last *= d;
            }
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                if let Some(l) = o.last_mut() {
                    *l = s[axis];
                }
            }
        } else {
            out_dims.push(d);
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o.push(s[axis]);
            }
        }
    }
    if out_dims.is_empty() {
        return (vec![1], vec![vec![0]; strides.len()]);
    }
    (out_dims, out_strides)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn arena(dims: &[usize]) -> View {
        View::dense(Base::Arena(0), 0, dims)
    }

    #[test]
    fn transposed_views_reshape_only_when_axes_stay_together() {
        let t = arena(&[2, 3, 4]).permute(&[0, 2, 1]); // [2,4,3] strides [12,1,4]
        assert!(!t.is_contiguous());
        assert_eq!(t.reshape(&[2, 12]), None);
        let m = t.reshape(&[1, 2, 4, 3, 1]).unwrap();
        assert_eq!(m.strides[1..4], [12, 1, 4]);
        // Splitting the transposed middle axis keeps the view.
        let s = t.reshape(&[2, 2, 2, 3]).unwrap();
        assert_eq!(s.strides, vec![12, 2, 1, 4]);
        assert_eq!(s.positions(), t.positions());
    }

    #[test]
    fn merging_and_splitting_strided_axes() {
        // [4, 6] sliced to every second column: [4, 3] strides [6, 2], which
        // is one run of stride 2; the first 4 columns are not.
        let v = arena(&[4, 6]).slice_axis(1, 0, 2, 3);
        assert_eq!(v.reshape(&[12]).unwrap().strides, vec![2]);
        assert_eq!(arena(&[4, 6]).slice_axis(1, 0, 1, 4).reshape(&[16]), None);
        let w = v.reshape(&[2, 2, 3]).unwrap();
        assert_eq!(w.strides, vec![12, 6, 2]);
        assert_eq!(w.positions(), v.positions());
    }

    #[test]
    fn broadcast_and_reversed_slices() {
        let v = arena(&[3, 1]).broadcast_to(&[2, 3, 4]).unwrap();
        assert_eq!(v.strides, vec![0, 1, 0]);
        assert!(arena(&[3, 2]).broadcast_to(&[3, 4]).is_err());
        let r = arena(&[5]).slice_axis(0, 4, -2, 3);
        assert_eq!(r.positions(), vec![4, 2, 0]);
    }

    #[test]
    fn coalescing_merges_contiguous_axes_of_all_operands() {
        let (d, s) = coalesce(&[2, 3, 4], &[vec![12, 4, 1], vec![0, 4, 1]]);
        assert_eq!(d, vec![2, 12]);
        assert_eq!(s, vec![vec![12, 1], vec![0, 1]]);
        let (d, s) = coalesce(&[1, 1], &[vec![5, 7]]);
        assert_eq!((d, s), (vec![1], vec![vec![0]]));
    }
}
