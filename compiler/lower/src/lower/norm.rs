//! Row-wise ops: Softmax (any axis: other axes are moved last by a copy and
//! the result is a view back), LayerNormalization over `axis..` and the
//! reductions (reduced axes made adjacent by a copy when they are not).

use super::{Lowerer, OpResult};
use crate::kernel::{Kernel, ReduceOp};
use crate::view::{View, inverse_perm};
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{NodeId, OpKind, Value};

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
            self.emit(Kernel::Softmax { rows: out.numel() / cols, cols, x: x_loc, out: out_loc });
        }
        self.set(id, 0, out.permute(&inverse_perm(&perm)));
        Ok(())
    }

    pub(crate) fn layer_norm(&mut self, id: NodeId) -> OpResult<()> {
        let g = self.graph();
        for port in 1..g.node(id).outputs.len() {
            if g.is_used(Value { node: id, port }) {
                return Err("the Mean and InvStdDev outputs are not supported".into());
            }
        }
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
            let values = self
                .const_values(&p.broadcast_to(&norm_dims)?)
                .ok_or_else(|| format!("a run-time {what} is not supported"))?;
            params.push(Some(values));
        }
        let scale = params[0].take().ok_or("the scale is required")?;
        let bias = params[1].take();
        let x = self.dense(&x);
        let out = self.new_dense(&x.dims);
        if out.numel() > 0 {
            let scale = self.blob_f32(&scale);
            let bias = bias.map(|b| self.blob_f32(&b));
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            self.emit(Kernel::LayerNorm { rows, cols, eps, x: x_loc, scale, bias, out: out_loc });
        }
        self.set(id, 0, out);
        Ok(())
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
        if out.numel() > 0 {
            let (src_loc, out_loc) = (self.loc(&src), self.loc(&out));
            self.emit(Kernel::Reduce { op, outer, reduce, inner, src: src_loc, out: out_loc });
        }
        let y = out.reshape(&out_dims).ok_or("internal: reduce output does not reshape")?;
        self.set(id, 0, y);
        Ok(())
    }
}
