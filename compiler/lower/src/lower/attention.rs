//! The fused `attention(q, kt, v, bias?, lepe_w?, lepe_b?)` op as one
//! [`Kernel::Attention`]: operands stay views (the exporter's transposes and
//! splits cost nothing) except that `kt` and `v` are copied densely when
//! their last axis is not contiguous; the bias table and the LePE kernel are
//! rearranged at compile time. Graphs the kernel cannot take (see
//! [`kernel_supports`]) have their attention expanded by `prepare`.

use super::{Lowerer, OpResult};
use crate::kernel::Attention;
use crate::kernel::{ATTENTION_MAX_KEYS, Activation, AttentionGeom, Kernel, Lepe, View4};
use crate::view::View;
use vitc_ir::{Graph, NodeId, OpKind};

/// Whether the attention node `id` fits [`Kernel::Attention`]: static
/// shapes of rank ≤ 4, a constant bias (if any), at most
/// [`ATTENTION_MAX_KEYS`] keys, a known activation and, with LePE, a
/// constant depthwise kernel over a grid of `m = n` positions.
pub(crate) fn kernel_supports(g: &Graph, id: NodeId) -> bool {
    let ops = g.operands(id);
    let dims = |i: usize| ops.get(i).copied().flatten().and_then(|v| vitc_ir::dim::shape_sizes(&g.value_type(v).shape));
    let (Some(q), Some(kt), Some(v)) = (dims(0), dims(1), dims(2)) else { return false };
    if [&q, &kt, &v].iter().any(|d| d.is_empty() || d.len() > 4 || d.len() < 2) {
        return false;
    }
    let m = kt[kt.len() - 1];
    let consts_ok = (3..ops.len()).all(|i| ops[i].is_none_or(|v| g.const_tensor(v).is_some()));
    let act_ok = match g.node(id).attrs.str_or("act", "") {
        Ok(a) => activation(a).is_some(),
        Err(_) => false,
    };
    m <= ATTENTION_MAX_KEYS && consts_ok && act_ok
}

/// The kernel activation named by the op's `act` attribute.
fn activation(name: &str) -> Option<Activation> {
    Some(match OpKind::from_name(name) {
        _ if name.is_empty() => Activation::None,
        Some(OpKind::Relu) => Activation::Relu,
        Some(OpKind::Sigmoid) => Activation::Sigmoid,
        Some(OpKind::HardSwish) => Activation::HardSwish,
        Some(OpKind::Gelu) => Activation::Gelu,
        _ => return None,
    })
}

/// A view of rank ≤ 4 as a 4-D one (leading axes of size 1).
fn as_4d(v: &View) -> OpResult<View> {
    let pad = 4usize.checked_sub(v.dims.len()).ok_or("attention operands have rank at most 4")?;
    let mut dims = vec![1; pad];
    dims.extend(&v.dims);
    let mut strides = vec![0; pad];
    strides.extend(&v.strides);
    Ok(View { base: v.base, offset: v.offset, dims, strides })
}

impl Lowerer<'_> {
    /// A 4-D operand for the kernel.
    fn view4(&mut self, v: &View) -> View4 {
        let at = self.loc(v);
        View4 { at, strides: [v.strides[0], v.strides[1], v.strides[2], v.strides[3]] }
    }

    /// `v` with a contiguous last axis (a dense copy otherwise).
    fn unit_last(&mut self, v: View) -> View {
        if v.strides[3] == 1 || v.dims[3] <= 1 { v } else { self.dense(&v) }
    }

    pub(crate) fn attention(&mut self, id: NodeId) -> OpResult<()> {
        let q = as_4d(&self.input(id, 0)?)?;
        let kt = as_4d(&self.input(id, 1)?)?;
        let v = as_4d(&self.input(id, 2)?)?;
        let out_dims = self.out_dims(id, 0)?;
        let pad = 4usize.checked_sub(out_dims.len()).ok_or("attention output has rank at most 4")?;
        let mut o4 = vec![1; pad];
        o4.extend(&out_dims);
        let (batch, heads, n, dv) = (o4[0], o4[1], o4[2], o4[3]);
        let (d, m) = (q.dims[3], kt.dims[3]);
        let geom = AttentionGeom { batch, heads, n, m, d, dv };
        let fits = |x: &View, d2: usize, d3: usize| {
            x.dims[2] == d2
                && x.dims[3] == d3
                && (x.dims[0] == batch || x.dims[0] == 1)
                && (x.dims[1] == heads || x.dims[1] == 1)
        };
        if !fits(&q, n, d) || !fits(&kt, d, m) || !fits(&v, m, dv) {
            return Err(format!(
                "attention operands q {:?}, kt {:?}, v {:?} do not fit the output {out_dims:?}",
                q.dims, kt.dims, v.dims
            ));
        }
        // Broadcast batch/head axes get stride 0 (a view of size 1 there).
        let widen = |x: View| {
            let mut x = x;
            for (a, full) in [(0, batch), (1, heads)] {
                if x.dims[a] == 1 && full != 1 {
                    x.dims[a] = full;
                    x.strides[a] = 0;
                }
            }
            x
        };
        let (q, kt, v) = (widen(q), widen(kt), widen(v));
        let kt = self.unit_last(kt);
        let v = self.unit_last(v);
        let scale = self.attrs(id).float_or("scale", 1.0)?;
        let act = activation(self.attrs(id).str_or("act", "")?).ok_or("unknown attention activation")?;
        let bias = match self.optional_input(id, 3)? {
            Some(b) => {
                let b = as_4d(&b)?;
                let table = [1, heads, n, m];
                let values =
                    self.const_values(&b.broadcast_to(&table)?).ok_or("a run-time attention bias is not supported")?;
                Some(self.blob_f32(&values))
            }
            None => None,
        };
        let lepe = self.lepe(id, &geom)?;
        let out = self.new_dense(&[batch, heads, n, dv]);
        let (q4, kt4, v4, out4) = (self.view4(&q), self.view4(&kt), self.view4(&v), self.view4(&out));
        if out.numel() > 0 {
            self.emit(Kernel::Attention(Attention { geom, scale, q: q4, kt: kt4, v: v4, bias, lepe, out: out4, act }));
        }
        let shaped = out.reshape(&out_dims).ok_or("internal: attention output reshape")?;
        self.set(id, 0, shaped);
        Ok(())
    }

    /// The LePE operands (`lepe_w` in slot 4, `lepe_b` in slot 5), repacked
    /// to `heads × kh·kw × dv`.
    fn lepe(&mut self, id: NodeId, g: &AttentionGeom) -> OpResult<Option<Lepe>> {
        let Some(w) = self.const_operand(id, 4) else { return Ok(None) };
        let attrs = self.attrs(id);
        let grid = attrs.ints("lepe_grid")?.unwrap_or(&[]);
        let pads = attrs.ints("lepe_pads")?.unwrap_or(&[]);
        let (&[gh, gw], &[ph, pw]) = (grid, pads) else {
            return Err("LePE needs lepe_grid=[h,w] and lepe_pads=[h,w]".into());
        };
        let wd = w.dims().to_vec();
        let channels = g.heads * g.dv;
        let (gh, gw, ph, pw) = (gh as usize, gw as usize, ph as usize, pw as usize);
        if wd.len() != 4 || wd[0] != channels || wd[1] != 1 || gh * gw != g.m || g.m != g.n {
            return Err(format!("LePE kernel {wd:?} does not fit {channels} channels on a {gh}x{gw} grid"));
        }
        let (kh, kw) = (wd[2], wd[3]);
        let data: Vec<f32> = w.to_f64_vec().into_iter().map(|x| x as f32).collect();
        let mut packed = vec![0.0f32; channels * kh * kw];
        for h in 0..g.heads {
            for t in 0..kh * kw {
                for c in 0..g.dv {
                    packed[(h * kh * kw + t) * g.dv + c] = data[(h * g.dv + c) * kh * kw + t];
                }
            }
        }
        let w_loc = self.blob_f32(&packed);
        let bias = match self.const_operand(id, 5) {
            Some(b) if b.len() == channels => {
                let values: Vec<f32> = b.to_f64_vec().into_iter().map(|x| x as f32).collect();
                Some(self.blob_f32(&values))
            }
            Some(b) => return Err(format!("LePE bias {:?} does not have {channels} values", b.dims())),
            None => None,
        };
        Ok(Some(Lepe { grid_h: gh, grid_w: gw, kh, kw, pad_h: ph, pad_w: pw, w: w_loc, bias }))
    }
}
