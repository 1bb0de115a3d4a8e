//! BatchNorm folding: an inference-mode BatchNorm is a per-channel scale and
//! shift, which folds into the weights and bias of the producing conv/matmul
//! (or of the gemm that consumes it). LeViT has 48 BatchNorms; none survives.

use super::Rule;
use super::util::{FnApplier, add_op, find_ops, var};
use crate::analysis::{TensorAnalysis, TensorGraph};
use egg::{Id, Subst, rewrite};
use std::sync::Arc;
use vitc_ir::ndarray::{ArrayD, Axis, IxDyn};
use vitc_ir::{Attrs, OpKind, Tensor};

/// Per-channel `scale = γ/√(σ²+ε)` and `shift = β − μ·scale` of a BatchNorm.
struct ScaleShift {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

fn f32_vec(eg: &TensorGraph, id: Id) -> Option<Vec<f32>> {
    let t = eg[id].data.konst.as_ref()?;
    Some(t.as_f32().ok()?.iter().copied().collect())
}

fn scale_shift(eg: &TensorGraph, bn_class: Id, s: &Subst, input: Id) -> Option<ScaleShift> {
    let [g, b, m, v] = ["?g", "?b", "?m", "?v"].map(|n| f32_vec(eg, s[var(n)]));
    let (g, b, m, v) = (g?, b?, m?, v?);
    let attrs = find_ops(eg, bn_class, OpKind::BatchNormalization)
        .into_iter()
        .find(|(c, _)| eg.find(c[0]) == eg.find(input))?
        .1;
    let eps = attrs.float_or("epsilon", 1e-5).ok()?;
    if g.len() != b.len() || g.len() != m.len() || g.len() != v.len() {
        return None;
    }
    let scale: Vec<f32> = g.iter().zip(&v).map(|(g, v)| g / (v + eps).sqrt()).collect();
    let shift = b.iter().zip(&m).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    Some(ScaleShift { scale, shift })
}

/// `w` with axis `axis` multiplied by `scale`.
fn scale_axis(w: &ArrayD<f32>, axis: usize, scale: &[f32]) -> Option<ArrayD<f32>> {
    if w.shape().get(axis) != Some(&scale.len()) {
        return None;
    }
    let mut out = w.clone();
    for (i, mut lane) in out.axis_iter_mut(Axis(axis)).enumerate() {
        lane.mapv_inplace(|x| x * scale[i]);
    }
    Some(out)
}

fn vector(values: Vec<f32>) -> Tensor {
    let n = values.len();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[n]), values).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0]))))
}

/// `matmul(x, w)` with constant rank-2 `w` found in `class`: `(x, w)`.
fn const_matmul(eg: &TensorGraph, class: Id) -> Option<(Id, Arc<Tensor>)> {
    find_ops(eg, class, OpKind::MatMul).into_iter().find_map(|(c, _)| {
        let w = eg[c[1]].data.konst.clone()?;
        (w.dims().len() == 2).then_some((c[0], w))
    })
}

/// Folds into a matmul whose output (rank 2, channels last) feeds the BatchNorm.
fn into_matmul(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let input = s[var("?y")];
    let (x, w) = const_matmul(eg, input)?;
    if eg[input].data.ty()?.rank() != 2 {
        return None;
    }
    let ss = scale_shift(eg, class, s, input)?;
    let w2 = scale_axis(w.as_f32().ok()?, 1, &ss.scale)?;
    let w_id = TensorAnalysis::add_const(eg, "bn_folded.weight", Tensor::F32(w2));
    let shift = TensorAnalysis::add_const(eg, "bn_folded.bias", vector(ss.shift));
    let mm = add_op(eg, OpKind::MatMul, &Attrs::new(), vec![x, w_id]);
    Some(add_op(eg, OpKind::Add, &Attrs::new(), vec![mm, shift]))
}

/// Folds through a `flatten` of a matmul (LeViT's Linear+BN: matmul → flatten → BN).
fn into_flattened_matmul(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let input = s[var("?y")];
    let (inner, flat_attrs) = find_ops(eg, input, OpKind::Flatten).into_iter().next()?;
    let (x, w) = const_matmul(eg, inner[0])?;
    let out_ty = eg[input].data.ty()?.clone();
    let mm_ty = eg[inner[0]].data.ty()?.clone();
    // Channels must stay the last axis through the flatten.
    if out_ty.rank() != 2 || mm_ty.shape.last() != out_ty.shape.last() {
        return None;
    }
    let ss = scale_shift(eg, class, s, input)?;
    let w2 = scale_axis(w.as_f32().ok()?, 1, &ss.scale)?;
    let w_id = TensorAnalysis::add_const(eg, "bn_folded.weight", Tensor::F32(w2));
    let shift = TensorAnalysis::add_const(eg, "bn_folded.bias", vector(ss.shift));
    let mm = add_op(eg, OpKind::MatMul, &Attrs::new(), vec![x, w_id]);
    let biased = add_op(eg, OpKind::Add, &Attrs::new(), vec![mm, shift]);
    Some(add_op(eg, OpKind::Flatten, &flat_attrs, vec![biased]))
}

/// Folds into a conv with constant weights (and bias, if any).
fn into_conv(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let input = s[var("?y")];
    let (children, attrs) = find_ops(eg, input, OpKind::Conv).into_iter().next()?;
    let w = eg[children[1]].data.konst.clone()?;
    let bias = match children.get(2) {
        Some(&b) if !eg[b].data.absent => Some(f32_vec(eg, b)?),
        _ => None,
    };
    let ss = scale_shift(eg, class, s, input)?;
    let w2 = scale_axis(w.as_f32().ok()?, 0, &ss.scale)?;
    let b2: Vec<f32> = match bias {
        Some(b) => b.iter().zip(&ss.scale).zip(&ss.shift).map(|((b, s), t)| b * s + t).collect(),
        None => ss.shift,
    };
    let w_id = TensorAnalysis::add_const(eg, "bn_folded.weight", Tensor::F32(w2));
    let b_id = TensorAnalysis::add_const(eg, "bn_folded.bias", vector(b2));
    Some(add_op(eg, OpKind::Conv, &attrs, vec![children[0], w_id, b_id]))
}

/// Folds a BatchNorm on the input of a gemm (LeViT's BN+Linear head).
fn into_following_gemm(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let bn = s[var("?n")];
    let (bn_children, bn_attrs) = find_ops(eg, bn, OpKind::BatchNormalization).into_iter().next()?;
    let gemm_attrs = find_ops(eg, class, OpKind::Gemm).into_iter().find(|(c, _)| eg.find(c[0]) == eg.find(bn))?.1;
    let unit = |name: &str| gemm_attrs.float_or(name, 1.0).ok() == Some(1.0);
    if !(unit("alpha") && unit("beta")) || gemm_attrs.int_or("transA", 0).ok()? != 0 {
        return None;
    }
    let trans_b = gemm_attrs.int_or("transB", 0).ok()? != 0;
    let [g, b, m, v] = [1, 2, 3, 4].map(|i| f32_vec(eg, bn_children[i]));
    let (g, b, m, v) = (g?, b?, m?, v?);
    let eps = bn_attrs.float_or("epsilon", 1e-5).ok()?;
    let scale: Vec<f32> = g.iter().zip(&v).map(|(g, v)| g / (v + eps).sqrt()).collect();
    let shift: Vec<f32> = b.iter().zip(&m).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    let w = eg[s[var("?w")]].data.konst.clone()?;
    let w = w.as_f32().ok()?;
    // Input channel k scales row k of B (column k when B is transposed).
    let k_axis = if trans_b { 1 } else { 0 };
    let w2 = scale_axis(w, k_axis, &scale)?;
    let n = w.shape()[1 - k_axis];
    let mut c2 = match f32_vec(eg, s[var("?c")]) {
        Some(c) if c.len() == n => c,
        Some(c) if c.len() == 1 => vec![c[0]; n],
        _ => return None,
    };
    for (k, t) in shift.iter().enumerate() {
        for (j, c) in c2.iter_mut().enumerate() {
            *c += t * if trans_b { w[[j, k]] } else { w[[k, j]] };
        }
    }
    let w_id = TensorAnalysis::add_const(eg, "bn_folded.weight", Tensor::F32(w2));
    let c_id = TensorAnalysis::add_const(eg, "bn_folded.bias", vector(c2));
    Some(add_op(eg, OpKind::Gemm, &gemm_attrs, vec![bn_children[0], w_id, c_id]))
}

/// Folds a BatchNorm on the rank-2 input of a matmul with constant `W`
/// (a Linear written as matmul + add after BN1d, as the LeViT definition does).
fn into_following_matmul(eg: &mut TensorGraph, _class: Id, s: &Subst) -> Option<Id> {
    let bn = s[var("?n")];
    let (bn_children, bn_attrs) = find_ops(eg, bn, OpKind::BatchNormalization).into_iter().next()?;
    if eg[bn].data.ty()?.rank() != 2 {
        return None;
    }
    let w = eg[s[var("?w")]].data.konst.clone()?;
    let w = w.as_f32().ok()?;
    if w.ndim() != 2 {
        return None;
    }
    let [g, b, m, v] = [1, 2, 3, 4].map(|i| f32_vec(eg, bn_children[i]));
    let (g, b, m, v) = (g?, b?, m?, v?);
    let eps = bn_attrs.float_or("epsilon", 1e-5).ok()?;
    let scale: Vec<f32> = g.iter().zip(&v).map(|(g, v)| g / (v + eps).sqrt()).collect();
    let shift: Vec<f32> = b.iter().zip(&m).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    let w2 = scale_axis(w, 0, &scale)?;
    let n = w.shape()[1];
    let c: Vec<f32> = (0..n).map(|j| shift.iter().enumerate().map(|(k, t)| t * w[[k, j]]).sum()).collect();
    let w_id = TensorAnalysis::add_const(eg, "bn_folded.weight", Tensor::F32(w2));
    let c_id = TensorAnalysis::add_const(eg, "bn_folded.bias", vector(c));
    let mm = add_op(eg, OpKind::MatMul, &Attrs::new(), vec![bn_children[0], w_id]);
    Some(add_op(eg, OpKind::Add, &Attrs::new(), vec![mm, c_id]))
}

/// `(x + c1) + c2` with constant vectors of one shape → `x + (c1 + c2)`.
fn add_of_constants(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let _ = class;
    let (inner, _) =
        find_ops(eg, s[var("?a")], OpKind::Add).into_iter().find(|(c, _)| eg[c[1]].data.konst.is_some())?;
    let c1 = eg[inner[1]].data.konst.clone()?;
    let c2 = eg[s[var("?c")]].data.konst.clone()?;
    if c1.dims() != c2.dims() {
        return None;
    }
    let sum = c1.as_f32().ok()? + c2.as_f32().ok()?;
    let c = TensorAnalysis::add_const(eg, "folded.bias", Tensor::F32(sum));
    Some(add_op(eg, OpKind::Add, &Attrs::new(), vec![inner[0], c]))
}

pub fn rules() -> Vec<Rule> {
    vec![
        // batch_normalization(matmul(x, W)) on [N, C] → matmul(x, W·s) + t.
        rewrite!("batchnorm-into-matmul"; "(batch_normalization ?y ?g ?b ?m ?v)" => { FnApplier(into_matmul) }),
        // batch_normalization(flatten(matmul(x, W))) → flatten(matmul(x, W·s) + t) (LeViT's Linear+BN).
        rewrite!("batchnorm-into-flattened-matmul"; "(batch_normalization ?y ?g ?b ?m ?v)" => { FnApplier(into_flattened_matmul) }),
        // batch_normalization(conv(x, W, b)) → conv(x, W·s, b·s + t).
        rewrite!("batchnorm-into-conv"; "(batch_normalization ?y ?g ?b ?m ?v)" => { FnApplier(into_conv) }),
        // gemm(batch_normalization(x), W, c) → gemm(x, W·s, c + W·t) (LeViT's BN+Linear head).
        rewrite!("batchnorm-into-following-gemm"; "(gemm ?n ?w ?c)" => { FnApplier(into_following_gemm) }),
        // matmul(batch_normalization(x), W) on [N, C] → matmul(x, W·s) + W·t (BN1d before a Linear).
        rewrite!("batchnorm-into-following-matmul"; "(matmul ?n ?w)" => { FnApplier(into_following_matmul) }),
        // (x + c1) + c2 with constants of one shape → x + (c1 + c2) (what the folds above leave behind).
        rewrite!("add-of-constants"; "(add ?a ?c)" => { FnApplier(add_of_constants) }),
    ]
}
