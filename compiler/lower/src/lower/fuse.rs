//! Epilogue fusion: the ops right after a GEMM or convolution that a
//! kernel can absorb. Starting from the kernel's output, the chain follows
//! single users through reshapes that keep the channel axis, per-channel
//! constant Add/Sub (into the bias), per-channel constant Mul/Div and
//! BatchNormalization (into the constant weights and the bias), and ends
//! with at most one activation.

use super::Lowerer;
use super::elementwise::activation;
use crate::kernel::Activation;
use crate::prepare::sole_user;
use crate::view::View;
use vitc_ir::{NodeId, OpKind, Value};

/// What a producer absorbs: `y = act((x · scale) + bias)` per channel.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Epilogue {
    /// Per-channel factors, folded into the constant weights.
    pub scale: Option<Vec<f32>>,
    /// Per-channel addends, after the scale.
    pub bias: Option<Vec<f32>>,
    pub act: Activation,
    /// A run-time value added before the activation (GEMM residual).
    pub residual: Option<Value>,
    /// The last absorbed value, its dims and the nodes absorbed.
    pub out: Option<(Value, Vec<usize>)>,
    pub nodes: Vec<NodeId>,
    /// A transpose right after the producer (keeping the last axis last),
    /// absorbed by storing the output in this order.
    pub perm: Option<Vec<usize>>,
}

/// What the producer of an epilogue can absorb besides per-channel
/// additions and activations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Absorbs {
    /// Per-channel factors (the producer's weights are constant).
    pub scale: bool,
    /// A run-time addend laid out like the producer's dense output.
    pub residual: bool,
    /// A transpose of the output that keeps the last axis last.
    pub transpose: bool,
}

impl Epilogue {
    pub fn none() -> Epilogue {
        Epilogue {
            scale: None,
            bias: None,
            act: Activation::None,
            residual: None,
            out: None,
            nodes: Vec::new(),
            perm: None,
        }
    }

    /// The kernel bias for a producer bias `own` (if any) over `n` channels.
    pub fn combined_bias(&self, own: Option<&[f32]>, n: usize) -> Option<Vec<f32>> {
        if own.is_none() && self.bias.is_none() {
            return None;
        }
        Some(
            (0..n)
                .map(|j| {
                    let b = own.map_or(0.0, |o| o[j]);
                    let s = self.scale.as_ref().map_or(1.0, |s| s[j]);
                    b * s + self.bias.as_ref().map_or(0.0, |e| e[j])
                })
                .collect(),
        )
    }
}

/// The channel axis of `to` that corresponds to axis `c` of `from` under a
/// reshape (same elements before it, same size).
fn follow_axis(from: &[usize], to: &[usize], c: usize) -> Option<usize> {
    let before: usize = from[..c].iter().product();
    let n = from[c];
    (0..to.len()).find(|&j| to[j] == n && to[..j].iter().product::<usize>() == before)
}

impl Lowerer<'_> {
    /// Per-channel values of a constant operand that broadcasts to `dims`
    /// and varies only along axis `c`.
    fn per_channel(&mut self, v: Value, dims: &[usize], c: usize) -> Option<Vec<f32>> {
        let view = self.view(v).ok()?;
        let b: View = view.broadcast_to(dims).ok()?;
        if b.strides.iter().enumerate().any(|(i, &s)| i != c && s != 0 && dims[i] != 1) {
            return None;
        }
        let values = self.const_values(&View { dims: vec![dims[c]], strides: vec![b.strides[c]], ..b })?;
        Some(values)
    }

    /// The epilogue that can follow `v` (dims `dims`, channels on axis `c`)
    /// for a producer that absorbs `absorbs`.
    pub(crate) fn plan_epilogue(&mut self, v: Value, dims: &[usize], c: usize, absorbs: Absorbs) -> Epilogue {
        let g = self.graph();
        let mut epi = Epilogue::none();
        if c >= dims.len() {
            return epi;
        }
        let n = dims[c];
        // The channel axis, while reshapes keep it whole.
        let (mut cur, mut cur_dims, mut chan) = (v, dims.to_vec(), Some(c));
        let mut pending: Vec<NodeId> = Vec::new();
        let Absorbs { scale: mut allow_scale, residual: mut allow_residual, transpose: allow_transpose } = absorbs;
        // A transpose may follow per-channel ops and the activation (they
        // commute with it) but not a reshape or a residual (laid out densely).
        let mut reshaped = false;
        while let Some((u, slot)) = sole_user(g, cur) {
            let node = g.node(u);
            let Some(out_dims) = node.outputs.first().and_then(super::static_dims) else { break };
            let other = g.operand(u, 1 - slot.min(1));
            let const_other = other.filter(|o| g.const_tensor(*o).is_some());
            let mut absorbed = true;
            match node.op {
                OpKind::Transpose
                    if !reshaped
                        && epi.perm.is_none()
                        && epi.residual.is_none()
                        && allow_transpose
                        && chan == Some(cur_dims.len() - 1) =>
                {
                    let Ok(perm) = vitc_ir::infer::transpose_perm(&node.attrs, cur_dims.len()) else { break };
                    if perm.last() != Some(&(cur_dims.len() - 1)) {
                        break;
                    }
                    epi.perm = Some(perm);
                    allow_residual = false;
                }
                OpKind::Reshape | OpKind::Flatten | OpKind::Squeeze | OpKind::Unsqueeze if slot == 0 => {
                    reshaped = true;
                    chan = chan.and_then(|c| follow_axis(&cur_dims, &out_dims, c));
                    pending.push(u);
                    absorbed = false;
                }
                OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div if out_dims == cur_dims => {
                    if epi.act != Activation::None {
                        break;
                    }
                    let fits = match (node.op, slot) {
                        (OpKind::Add, _) | (OpKind::Sub, 0) => true,
                        (OpKind::Mul, _) | (OpKind::Div, 0) => allow_scale,
                        _ => false,
                    };
                    if !fits {
                        break;
                    }
                    let Some(vals) = chan.zip(const_other).and_then(|(c, o)| self.per_channel(o, &cur_dims, c)) else {
                        // A run-time addend of the same shape: the residual.
                        let Some(o) = other.filter(|_| node.op == OpKind::Add && allow_residual) else { break };
                        let same = super::static_dims(g.value_type(o)).is_some_and(|d| d == cur_dims);
                        if epi.residual.is_some() || !same || !self.values.contains_key(&o) {
                            break;
                        }
                        epi.residual = Some(o);
                        allow_scale = false;
                        cur = Value::first(u);
                        epi.nodes.append(&mut pending);
                        epi.nodes.push(u);
                        epi.out = Some((cur, cur_dims.clone()));
                        continue;
                    };
                    let bias = epi.bias.get_or_insert_with(|| vec![0.0; n]);
                    match node.op {
                        OpKind::Add => bias.iter_mut().zip(&vals).for_each(|(b, x)| *b += x),
                        OpKind::Sub => bias.iter_mut().zip(&vals).for_each(|(b, x)| *b -= x),
                        OpKind::Mul => {
                            bias.iter_mut().zip(&vals).for_each(|(b, x)| *b *= x);
                            let scale = epi.scale.get_or_insert_with(|| vec![1.0; n]);
                            scale.iter_mut().zip(&vals).for_each(|(s, x)| *s *= x);
                        }
                        _ => {
                            bias.iter_mut().zip(&vals).for_each(|(b, x)| *b /= x);
                            let scale = epi.scale.get_or_insert_with(|| vec![1.0; n]);
                            scale.iter_mut().zip(&vals).for_each(|(s, x)| *s /= x);
                        }
                    }
                }
                OpKind::BatchNormalization
                    if slot == 0 && chan == Some(1) && allow_scale && epi.act == Activation::None =>
                {
                    let Some((k, s)) = self.bn_params(u, n) else { break };
                    let bias = epi.bias.get_or_insert_with(|| vec![0.0; n]);
                    bias.iter_mut().zip(k.iter().zip(&s)).for_each(|(b, (k, s))| *b = *b * k + s);
                    let scale = epi.scale.get_or_insert_with(|| vec![1.0; n]);
                    scale.iter_mut().zip(&k).for_each(|(x, k)| *x *= k);
                }
                OpKind::Relu | OpKind::Sigmoid | OpKind::HardSwish | OpKind::HardSigmoid | OpKind::Gelu
                    if epi.act == Activation::None =>
                {
                    let Ok(act) = activation(node.op, &node.attrs) else { break };
                    epi.act = act;
                }
                _ => break,
            }
            cur = Value::first(u);
            cur_dims = out_dims;
            if absorbed {
                epi.nodes.append(&mut pending);
                epi.nodes.push(u);
                epi.out = Some((cur, cur_dims.clone()));
                let transpose_next = sole_user(g, cur).is_some_and(|(next, _)| g.node(next).op == OpKind::Transpose)
                    && epi.perm.is_none();
                if epi.act != Activation::None && !transpose_next {
                    break;
                }
            }
        }
        epi
    }

    /// Per-channel `(k, s)` of a BatchNormalization with constant
    /// parameters, `y = x·k + s`.
    pub(crate) fn bn_params(&mut self, id: NodeId, c: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        let attrs = self.attrs(id);
        if attrs.int_or("training_mode", 0).ok()? != 0 {
            return None;
        }
        let eps = f64::from(attrs.float_or("epsilon", 1e-5).ok()?);
        let mut params = Vec::with_capacity(4);
        for slot in 1..5 {
            let view = self.input(id, slot).ok()?;
            let values = self.const_values(&view)?;
            if values.len() != c {
                return None;
            }
            params.push(values);
        }
        let (scale, bias, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
        let k: Vec<f32> = (0..c).map(|i| (f64::from(scale[i]) / (f64::from(var[i]) + eps).sqrt()) as f32).collect();
        let s = (0..c).map(|i| (f64::from(bias[i]) - f64::from(mean[i]) * f64::from(k[i])) as f32).collect();
        Some((k, s))
    }

    /// Records the producer's result for every absorbed node.
    pub(crate) fn commit_epilogue(&mut self, epi: &Epilogue, result: &View) -> Result<(), String> {
        if let Some((v, dims)) = &epi.out {
            let permuted = epi.perm.as_ref().map(|p| result.permute(p));
            let y = self.reshape_or_copy(permuted.as_ref().unwrap_or(result), dims)?;
            self.values.insert(*v, y);
            for &n in &epi.nodes {
                self.mark_fused(n);
            }
        }
        Ok(())
    }

    /// `v` with shape `dims`, copied first when the strides do not allow it.
    pub(crate) fn reshape_or_copy(&mut self, v: &View, dims: &[usize]) -> Result<View, String> {
        match v.reshape(dims) {
            Some(r) => Ok(r),
            None => self.dense(v).reshape(dims).ok_or_else(|| "internal: a dense view does not reshape".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_axes_follow_reshapes() {
        assert_eq!(follow_axis(&[1, 196, 256], &[196, 256], 2), Some(1));
        assert_eq!(follow_axis(&[196, 256], &[1, 196, 256], 1), Some(2));
        assert_eq!(follow_axis(&[1, 196, 256], &[1, 196, 4, 64], 2), None);
        assert_eq!(follow_axis(&[1, 64, 7, 7], &[1, 64, 49], 1), Some(1));
    }
}
