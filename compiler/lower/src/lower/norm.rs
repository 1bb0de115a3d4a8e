//! Row-wise ops: Softmax (any axis: other axes are moved last by a copy and
//! the result is a view back), LayerNormalization over `axis..` (its
//! optional Mean and InvStdDev outputs, when used, from `Reduce` and `Map`
//! kernels beside the fused `LayerNorm`) and the reductions (reduced axes
//! made adjacent by a copy when they are not).

use super::{Lowerer, OpResult};
use crate::kernel::{BinaryOp, Kernel, MapOp, ReduceOp, UnaryOp};
use crate::kernel::{Fill, LayerNorm, Reduce, Softmax};
use crate::view::{View, inverse_perm};
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{DType, NodeId, OpKind, Value};

impl Lowerer<'_> {
    pub(crate) fn softmax(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let rank = x.dims.len();
        if rank == 0 {
            return Err("softmax of a scalar".into());
        }
        let axis = normalize_axis(self.attrs(id).int_or("axis", -1)?, rank)?;
        let mut perm: Vec<usize> = (0..rank).filter(|&a| a != axis).collect();
        perm.push(axis);
        let xp = self.dense(&x.permute(&perm));
        let out = self.new_dense(&xp.dims);
        let cols = x.dims[axis];
        if out.numel() > 0 {
            let (x_loc, out_loc) = (self.loc(&xp), self.loc(&out));
            self.emit(Kernel::Softmax(Softmax { rows: out.numel() / cols, cols, x: x_loc, out: out_loc }));
        }
        self.set(id, 0, out.permute(&inverse_perm(&perm)));
        Ok(())
    }

    pub(crate) fn layer_norm(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        let x = self.input(id, 0)?;
        let rank = x.dims.len();
        let axis = normalize_axis(attrs.int_or("axis", -1)?, rank)?;
        let eps = attrs.float_or("epsilon", 1e-5)?;
        let (rows, cols): (usize, usize) = (x.dims[..axis].iter().product(), x.dims[axis..].iter().product());
        let norm_dims = x.dims[axis..].to_vec();
        let mut params = Vec::with_capacity(2);
        for (slot, what) in [(1, "scale"), (2, "bias")] {
            let Some(p) = self.optional_input(id, slot)? else {
                params.push(None);
                continue;
            };
            if p.dims.len() > norm_dims.len() {
                return Err(format!("{what} {:?} does not broadcast over the normalised axes", p.dims));
            }
            params.push(Some(p.broadcast_to(&norm_dims)?));
        }
        let scale = params[0].take().ok_or("the scale is required")?;
        let bias = params[1].take();
        let (scale_values, bias_values) = (self.const_values(&scale), bias.as_ref().map(|b| self.const_values(b)));
        let x = self.dense(&x);
        let out = self.new_dense(&x.dims);
        let runtime = scale_values.is_none() || matches!(bias_values, Some(None));
        if out.numel() > 0 {
            // Run-time parameters: normalise with scale 1, then one MulAdd (or Mul).
            let (scale_fused, bias_fused) = match (scale_values, bias_values) {
                (Some(s), Some(Some(b))) if !runtime => (s, Some(b)),
                (Some(s), None) if !runtime => (s, None),
                _ => (vec![1.0; cols], None),
            };
            let scale_loc = self.blob_f32(&scale_fused);
            let bias_loc = bias_fused.map(|b| self.blob_f32(&b));
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            self.emit(Kernel::LayerNorm(LayerNorm {
                rows,
                cols,
                eps,
                x: x_loc,
                scale: scale_loc,
                bias: bias_loc,
                out: out_loc,
            }));
        }
        let y = if runtime && out.numel() > 0 {
            let dims = x.dims.clone();
            let s = scale.broadcast_to(&dims)?;
            match bias {
                Some(b) => self.map(MapOp::MulAdd, &dims, &[out, s, b.broadcast_to(&dims)?]),
                None => self.map(MapOp::Binary(BinaryOp::Mul), &dims, &[out, s]),
            }
        } else {
            out
        };
        self.set(id, 0, y);
        let g = self.graph();
        let used = |port: usize| g.node(id).outputs.len() > port && g.is_used(Value { node: id, port });
        if used(1) || used(2) {
            self.layer_norm_stats(id, &x, rows, cols, eps)?;
        }
        Ok(())
    }

    /// The Mean (port 1) and InvStdDev (port 2) outputs of a
    /// LayerNormalization of the dense `x` seen as `rows × cols`: the row
    /// mean, and `1 / sqrt(var + eps)` of the population variance.
    fn layer_norm_stats(&mut self, id: NodeId, x: &View, rows: usize, cols: usize, eps: f32) -> OpResult<()> {
        let x2 = x.reshape(&[rows, cols]).ok_or("internal: a dense view does not reshape")?;
        let mean = self.reduce_rows(ReduceOp::Mean, &x2);
        let mean_b = mean.broadcast_to(&[rows, cols])?;
        let centred = self.map(MapOp::Binary(BinaryOp::Sub), &[rows, cols], &[x2, mean_b]);
        let square = self.map(MapOp::Binary(BinaryOp::Mul), &[rows, cols], &[centred.clone(), centred]);
        let var = self.reduce_rows(ReduceOp::Mean, &square);
        let eps = self.const_view(vec![eps], &[]).broadcast_to(&[rows, 1])?;
        let shifted = self.map(MapOp::Binary(BinaryOp::Add), &[rows, 1], &[var, eps]);
        let root = self.map(MapOp::Unary(UnaryOp::Sqrt), &[rows, 1], &[shifted]);
        let inv = self.map(MapOp::Unary(UnaryOp::Reciprocal), &[rows, 1], &[root]);
        for (port, v) in [(1, mean), (2, inv)] {
            if self.graph().node(id).outputs.len() > port {
                let dims = self.out_dims(id, port)?;
                let v = v.reshape(&dims).ok_or_else(|| format!("internal: statistics do not fit {dims:?}"))?;
                self.set(id, port, v);
            }
        }
        Ok(())
    }

    /// `op` over the columns of the dense `rows × cols` view: a dense
    /// `rows × 1` result.
    fn reduce_rows(&mut self, op: ReduceOp, x: &View) -> View {
        let (rows, cols) = (x.dims[0], x.dims[1]);
        let out = self.new_dense(&[rows, 1]);
        if out.numel() > 0 {
            let (src, out_loc) = (self.loc(x), self.loc(&out));
            self.emit(Kernel::Reduce(Reduce { op, outer: rows, reduce: cols, inner: 1, src, out: out_loc }));
        }
        out
    }

    pub(crate) fn reduce(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let rank = x.dims.len();
        let axes = vitc_ir::infer::reduce_axes(self.attrs(id), rank)?;
        let out_dims = self.out_dims(id, 0)?;
        if axes.is_empty() {
            self.set(id, 0, x);
            return Ok(());
        }
        let op = match self.graph().node(id).op {
            OpKind::ReduceMean => ReduceOp::Mean,
            OpKind::ReduceSum => ReduceOp::Sum,
            OpKind::ReduceMax => ReduceOp::Max,
            _ => ReduceOp::Min,
        };
        let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
        let (src, first, last): (View, usize, usize) = if adjacent {
            (self.dense(&x), axes[0], axes[axes.len() - 1] + 1)
        } else {
            let mut perm: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
            let kept = perm.len();
            perm.extend(&axes);
            (self.dense(&x.permute(&perm)), kept, rank)
        };
        let outer: usize = src.dims[..first].iter().product();
        let reduce: usize = src.dims[first..last].iter().product();
        let inner: usize = src.dims[last..].iter().product();
        let out = self.new_dense(&[outer * inner]);
        let dtype = self.graph().node(id).outputs.first().map(|t| t.dtype);
        // The max (min) of no values is the least (greatest) value of the type.
        let empty_value = match (op, dtype) {
            (ReduceOp::Max, Some(DType::Bool)) => Some(0.0),
            (ReduceOp::Min, Some(DType::Bool)) => Some(1.0),
            (ReduceOp::Max, Some(DType::I32)) => Some(i32::MIN as f32),
            (ReduceOp::Min, Some(DType::I32)) => Some(i32::MAX as f32),
            (ReduceOp::Max, Some(DType::I64)) => Some(i64::MIN as f32),
            (ReduceOp::Min, Some(DType::I64)) => Some(i64::MAX as f32),
            _ => None,
        };
        if out.numel() > 0 {
            let out_loc = self.loc(&out);
            match empty_value {
                Some(value) if reduce == 0 => self.emit(Kernel::Fill(Fill { len: outer * inner, value, out: out_loc })),
                _ => {
                    let src_loc = self.loc(&src);
                    self.emit(Kernel::Reduce(Reduce { op, outer, reduce, inner, src: src_loc, out: out_loc }));
                }
            }
        }
        let y = out.reshape(&out_dims).ok_or("internal: reduce output does not reshape")?;
        self.set(id, 0, y);
        Ok(())
    }
}
