//! Layout ops. Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice,
//! Split, Expand and Gather by an affine index only change views. Concat
//! and constant Pad write a buffer whose outermost axis is the concatenated
//! (padded) one, so every part is one contiguous block; the result is a
//! view of that buffer. Gather by other indices, edge/reflect/wrap Pad and
//! nearest Resize become `Gather` kernels (linear and cubic Resize:
//! [`super::resize`]).

use super::{Lowerer, OpResult};
use crate::kernel::{Fill, Gather};
use crate::kernel::{Kernel, MapOp, UnaryOp};
use crate::prepare::sole_user;
use crate::view::{Base, View, inverse_perm};
use vitc_ir::geometry::normalize_axis;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{NodeId, OpKind, Tensor, Value};

/// ONNX's first index and element count of a slice of an axis of size
/// `dim` (as the reference interpreter computes them).
fn slice_range(start: i64, end: i64, step: i64, dim: usize) -> (usize, usize) {
    let (start, end, step, dim) = (i128::from(start), i128::from(end), i128::from(step), dim as i128);
    let adjust = |v: i128| if v < 0 { v + dim } else { v };
    let (s, e) = if step > 0 {
        (adjust(start).clamp(0, dim), adjust(end).clamp(0, dim))
    } else {
        (adjust(start).clamp(0, (dim - 1).max(0)), adjust(end).clamp(-1, dim - 1))
    };
    let n = if step > 0 && e > s {
        (e - s - 1) / step + 1
    } else if step < 0 && s > e {
        (s - e - 1) / (-step) + 1
    } else {
        0
    };
    (s.max(0) as usize, n as usize)
}

/// `(base, steps)` with `idx[i] = base + Σ i_d · steps_d` for every
/// multi-index of `dims`, when the indices are affine.
pub(crate) fn affine_indices(idx: &[usize], dims: &[usize]) -> Option<(usize, Vec<isize>)> {
    let base = *idx.first()?;
    let strides = crate::view::dense_strides(dims);
    let steps: Vec<isize> = dims
        .iter()
        .zip(&strides)
        .map(|(&d, &s)| if d > 1 { idx[s as usize] as isize - base as isize } else { 0 })
        .collect();
    let probe = View { base: Base::Const(0), offset: base, dims: dims.to_vec(), strides: steps.clone() };
    let fits = probe.positions().iter().zip(idx).all(|(p, &i)| *p == i);
    fits.then_some((base, steps))
}

impl Lowerer<'_> {
    pub(crate) fn reshape_like(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let dims = self.out_dims(id, 0)?;
        if let Some(v) = x.reshape(&dims) {
            self.set(id, 0, v);
            return Ok(());
        }
        // A copy is needed: an element-wise unary user can make it instead.
        let g = self.graph();
        if let Some((u, 0)) = sole_user(g, Value::first(id))
            && g.node(u).op.is_unary_elementwise()
            && !matches!(g.node(u).op, OpKind::Identity | OpKind::Cast)
        {
            let op = super::elementwise::unary_op(g.node(u).op, &g.node(u).attrs)?;
            let y = self.map(MapOp::Unary(op), &x.dims.clone(), &[x]);
            let y = y.reshape(&dims).ok_or("internal: a dense view does not reshape")?;
            self.set(u, 0, y);
            self.mark_fused(u);
            return Ok(());
        }
        let y = self.dense(&x).reshape(&dims).ok_or("internal: a dense view does not reshape")?;
        self.set(id, 0, y);
        Ok(())
    }

    pub(crate) fn transpose(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let perm = vitc_ir::infer::transpose_perm(self.attrs(id), x.dims.len())?;
        self.set(id, 0, x.permute(&perm));
        Ok(())
    }

    pub(crate) fn slice(&mut self, id: NodeId) -> OpResult<()> {
        let mut v = self.input(id, 0)?;
        let starts = self.const_ints(id, 1, "slice starts")?;
        let ends = self.const_ints(id, 2, "slice ends")?;
        let rank = v.dims.len();
        let axes: Vec<usize> = match self.graph().operand(id, 3) {
            Some(_) => self
                .const_ints(id, 3, "slice axes")?
                .iter()
                .map(|&a| normalize_axis(a, rank))
                .collect::<Result<_, _>>()?,
            None => (0..starts.len()).collect(),
        };
        let steps = match self.graph().operand(id, 4) {
            Some(_) => self.const_ints(id, 4, "slice steps")?,
            None => vec![1; starts.len()],
        };
        if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
            return Err("slice starts, ends, axes and steps differ in length".into());
        }
        for i in 0..starts.len() {
            if steps[i] == 0 {
                return Err("slice step must not be 0".into());
            }
            let a = axes[i];
            let (s, n) = slice_range(starts[i], ends[i], steps[i], v.dims[a]);
            let step = isize::try_from(steps[i]).map_err(|_| "slice step is too large")?;
            v = v.slice_axis(a, s, step, n);
        }
        if v.dims != self.out_dims(id, 0)? {
            return Err(format!("internal: slice gives {:?}, inference {:?}", v.dims, self.out_dims(id, 0)?));
        }
        self.set(id, 0, v);
        Ok(())
    }

    pub(crate) fn split(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let axis = normalize_axis(self.attrs(id).int_or("axis", 0)?, x.dims.len())?;
        let mut start = 0;
        for port in 0..self.graph().node(id).outputs.len() {
            let size = self.out_dims(id, port)?[axis];
            self.set(id, port, x.slice_axis(axis, start, 1, size));
            start += size;
        }
        Ok(())
    }

    pub(crate) fn expand(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let dims = self.out_dims(id, 0)?;
        self.set(id, 0, x.broadcast_to(&dims)?);
        Ok(())
    }

    /// A buffer for `dims` stored with `axis` outermost: returns the buffer
    /// view (permuted dims, dense) and the permutation.
    fn axis_first_buffer(&mut self, dims: &[usize], axis: usize) -> (View, Vec<usize>) {
        let mut perm = vec![axis];
        perm.extend((0..dims.len()).filter(|&a| a != axis));
        let pdims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
        (self.new_dense(&pdims), perm)
    }

    /// The view of an axis-first buffer in the original axis order.
    fn unpermute(buffer: &View, perm: &[usize]) -> View {
        buffer.permute(&inverse_perm(perm))
    }

    /// Rows `start .. start + len` of an axis-first buffer.
    fn rows(buffer: &View, start: usize, len: usize) -> View {
        let inner: usize = buffer.dims[1..].iter().product();
        let mut dims = buffer.dims.clone();
        dims[0] = len;
        View::dense(buffer.base, buffer.offset + start * inner, &dims)
    }

    pub(crate) fn concat(&mut self, id: NodeId) -> OpResult<()> {
        let dims = self.out_dims(id, 0)?;
        let axis = normalize_axis(self.attrs(id).int_or("axis", 0)?, dims.len())?;
        let (buffer, perm) = self.axis_first_buffer(&dims, axis);
        let mut start = 0;
        for slot in 0..self.graph().operands(id).len() {
            let part = self.input(id, slot)?;
            let len = part.dims[axis];
            let dst = Self::rows(&buffer, start, len);
            self.map_into(MapOp::Unary(UnaryOp::Copy), &dst, &[part.permute(&perm)]);
            start += len;
        }
        self.set(id, 0, Self::unpermute(&buffer, &perm));
        Ok(())
    }

    pub(crate) fn gather(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let indices = self.const_operand(id, 1).ok_or("run-time gather indices are not supported")?;
        if matches!(indices, Tensor::F32(_)) {
            return Err("gather indices must be integers".into());
        }
        let axis = normalize_axis(self.attrs(id).int_or("axis", 0)?, x.dims.len())?;
        let d = x.dims[axis];
        let idx: Vec<usize> = indices
            .to_i64_vec()
            .into_iter()
            .map(|i| {
                let j = if i < 0 { i + d as i64 } else { i };
                usize::try_from(j)
                    .ok()
                    .filter(|&j| j < d)
                    .ok_or_else(|| format!("index {i} is out of range for size {d}"))
            })
            .collect::<Result<_, _>>()?;
        let y = self.gather_axis(&x, axis, &idx, indices.dims())?;
        self.set(id, 0, y);
        Ok(())
    }

    /// Picks entries `idx` (shaped `idx_dims`) of `axis`: a view when the
    /// indices are affine, a `Gather` kernel otherwise.
    pub(crate) fn gather_axis(&mut self, x: &View, axis: usize, idx: &[usize], idx_dims: &[usize]) -> OpResult<View> {
        if let Some((base, steps)) = affine_indices(idx, idx_dims) {
            return Ok(x.expand_axis(axis, base, idx_dims, &steps));
        }
        let src = self.dense(x);
        let outer: usize = src.dims[..axis].iter().product();
        let inner: usize = src.dims[axis + 1..].iter().product();
        let mut out_dims = src.dims[..axis].to_vec();
        out_dims.extend_from_slice(idx_dims);
        out_dims.extend_from_slice(&src.dims[axis + 1..]);
        let out = self.new_dense(&out_dims);
        if out.numel() > 0 {
            let table: Vec<u32> = idx
                .iter()
                .map(|&i| u32::try_from(i).map_err(|_| "gather index exceeds u32"))
                .collect::<Result<_, _>>()?;
            let table = self.blob_u32(&table);
            let (src_loc, out_loc) = (self.loc(&src), self.loc(&out));
            self.emit(Kernel::Gather(Gather {
                outer,
                src_axis: src.dims[axis],
                inner,
                indices: idx.len(),
                table,
                src: src_loc,
                out: out_loc,
            }));
        }
        Ok(out)
    }

    pub(crate) fn pad(&mut self, id: NodeId) -> OpResult<()> {
        let mut v = self.input(id, 0)?;
        let rank = v.dims.len();
        let pads = self.const_ints(id, 1, "pads")?;
        let mode = self.attrs(id).str_or("mode", "constant")?.to_string();
        let value = match self.const_operand(id, 2) {
            Some(t) if !t.is_empty() => t.to_f64_vec()[0] as f32,
            Some(_) => 0.0,
            None if self.graph().operand(id, 2).is_some() => return Err("the pad value must be a constant".into()),
            None => 0.0,
        };
        let axes: Vec<usize> = match self.const_operand(id, 3) {
            Some(t) if !t.is_empty() => {
                t.to_i64_vec().iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_, _>>()?
            }
            _ => (0..rank).collect(),
        };
        if pads.len() != 2 * axes.len() {
            return Err(format!("pads {pads:?} must hold 2 values per padded axis"));
        }
        let mut begin = vec![0i64; rank];
        let mut end = vec![0i64; rank];
        for (i, &a) in axes.iter().enumerate() {
            begin[a] = pads[i];
            end[a] = pads[axes.len() + i];
        }
        for a in 0..rank {
            let crop_b = usize::try_from(-begin[a].min(0)).map_err(|_| "pad too large")?;
            let crop_e = usize::try_from(-end[a].min(0)).map_err(|_| "pad too large")?;
            let kept = v.dims[a].checked_sub(crop_b + crop_e).ok_or_else(|| format!("pads crop axis {a} below 0"))?;
            v = v.slice_axis(a, crop_b, 1, kept);
        }
        for a in 0..rank {
            let (pb, pe) = (begin[a].max(0) as usize, end[a].max(0) as usize);
            if pb + pe == 0 {
                continue;
            }
            let size = v.dims[a];
            v = match mode.as_str() {
                "constant" => self.pad_axis(&v, a, pb, pe, value),
                "edge" | "reflect" | "wrap" => {
                    if size == 0 {
                        return Err(format!("cannot pad the empty axis {a} in mode '{mode}'"));
                    }
                    let idx: Vec<usize> = (0..size + pb + pe).map(|o| pad_source(o, pb, size, &mode)).collect();
                    self.gather_axis(&v, a, &idx, &[idx.len()])?
                }
                other => return Err(format!("pad mode '{other}' is not one of constant, reflect, edge, wrap")),
            };
        }
        self.set(id, 0, v);
        Ok(())
    }

    /// `v` with `pb` elements of `value` before and `pe` after along `axis`:
    /// a buffer with that axis outermost, filled at both ends, and the view
    /// of it in the original axis order.
    pub(crate) fn pad_axis(&mut self, v: &View, axis: usize, pb: usize, pe: usize, value: f32) -> View {
        let size = v.dims[axis];
        let mut dims = v.dims.clone();
        dims[axis] = size + pb + pe;
        let (buffer, perm) = self.axis_first_buffer(&dims, axis);
        let inner: usize = buffer.dims[1..].iter().product();
        for (start, len) in [(0, pb), (pb + size, pe)] {
            if len * inner > 0 {
                let out = self.loc(&Self::rows(&buffer, start, len));
                self.emit(Kernel::Fill(Fill { len: len * inner, value, out }));
            }
        }
        let dst = Self::rows(&buffer, pb, size);
        self.map_into(MapOp::Unary(UnaryOp::Copy), &dst, &[v.permute(&perm)]);
        Self::unpermute(&buffer, &perm)
    }

    /// Nearest-neighbour Resize: each resized axis picks input indices,
    /// computed by running the reference interpreter on an index ramp.
    pub(crate) fn resize(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        let mode = attrs.str_or("mode", "nearest")?;
        if mode != "nearest" {
            if self.graph().value_type(self.operand(id, 0)?).dtype != vitc_ir::DType::F32 {
                return Err(format!("mode '{mode}' of integer or bool data is not supported"));
            }
            return self.resize_interpolated(id);
        }
        let mut v = self.input(id, 0)?;
        let out_dims = self.out_dims(id, 0)?;
        let in_dims = v.dims.clone();
        let params: Vec<Option<&Tensor>> = (1..4).map(|slot| self.const_operand(id, slot)).collect();
        for slot in 1..4 {
            if self.graph().operand(id, slot).is_some() && params[slot - 1].is_none() {
                return Err("resize roi, scales and sizes must be constants".into());
            }
        }
        for a in 0..in_dims.len() {
            if in_dims[a] == out_dims[a] && out_dims[a] <= 1 {
                continue;
            }
            let numel: usize = in_dims.iter().product();
            if numel > 1 << 24 {
                return Err("the resized tensor is too large to derive its index map".into());
            }
            let stride: usize = in_dims[a + 1..].iter().product();
            let ramp: Vec<f32> = (0..numel).map(|i| ((i / stride) % in_dims[a]) as f32).collect();
            let ramp = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&in_dims), ramp).map_err(|e| e.to_string())?);
            let mut operands = vec![Some(&ramp)];
            operands.extend(params.iter().copied());
            let out = vitc_interp::eval_op(OpKind::Resize, attrs, &operands, 1)?;
            let picked = out.first().ok_or("internal: resize gave no output")?.to_f64_vec();
            let out_stride: usize = out_dims[a + 1..].iter().product();
            let idx: Vec<usize> =
                (0..out_dims[a]).map(|o| picked.get(o * out_stride).map_or(0, |&x| x as usize)).collect();
            if idx.iter().enumerate().all(|(o, &i)| i == o) && out_dims[a] == in_dims[a] {
                continue;
            }
            v = self.gather_axis(&v, a, &idx, &[idx.len()])?;
        }
        if v.dims != out_dims {
            return Err(format!("internal: resize gives {:?}, inference {:?}", v.dims, out_dims));
        }
        self.set(id, 0, v);
        Ok(())
    }
}

/// Source index of output position `o` of a padded axis (as the reference
/// interpreter's Pad).
fn pad_source(o: usize, begin: usize, size: usize, mode: &str) -> usize {
    let (n, p) = (size as i64, o as i64 - begin as i64);
    if (0..n).contains(&p) {
        return p as usize;
    }
    (match mode {
        "edge" => p.clamp(0, n - 1),
        "wrap" => p.rem_euclid(n),
        _ if n == 1 => 0,
        _ => {
            let period = 2 * (n - 1);
            let q = p.rem_euclid(period);
            if q < n { q } else { period - q }
        }
    }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_ranges_follow_onnx() {
        assert_eq!(slice_range(0, i64::MAX, 1, 10), (0, 10));
        assert_eq!(slice_range(-1, i64::MIN, -1, 5), (4, 5));
        assert_eq!(slice_range(1, 8, 3, 10), (1, 3));
        assert_eq!(slice_range(5, 2, 1, 10), (5, 0));
    }

    #[test]
    fn unfold_indices_are_affine() {
        // idx[k, i] = 2 i + k for a 3 × 4 table.
        let idx: Vec<usize> = (0..3).flat_map(|k| (0..4).map(move |i| 2 * i + k)).collect();
        assert_eq!(affine_indices(&idx, &[3, 4]), Some((0, vec![1, 2])));
        assert_eq!(affine_indices(&[3], &[]), Some((3, vec![])));
        assert_eq!(affine_indices(&[2, 1, 0], &[3]), Some((2, vec![-1])));
        assert_eq!(affine_indices(&[0, 2, 1], &[3]), None);
    }

    #[test]
    fn pad_sources_mirror_and_clamp() {
        let src = |mode: &str| (0..7).map(|o| pad_source(o, 2, 3, mode)).collect::<Vec<_>>();
        assert_eq!(src("edge"), vec![0, 0, 0, 1, 2, 2, 2]);
        assert_eq!(src("reflect"), vec![2, 1, 0, 1, 2, 1, 0]);
        assert_eq!(src("wrap"), vec![1, 2, 0, 1, 2, 0, 1]);
    }
}
