//! Attention rules: `softmax(scale · q·kᵀ + bias) · v`, in the forms the
//! exporters write for LeViT (scaled logits plus a gathered bias table), DeiT
//! (query and key each scaled by d^-¼) and CSWin (scaled query), becomes one
//! `attention` op; an activation after it (LeViT's Hardswish, through the
//! head-merging transpose and reshape) moves into the op.

use super::Rule;
use super::util::{FnApplier, add_op, find_ops, scalar, var};
use crate::analysis::TensorGraph;
use egg::{Id, Subst, rewrite};
use vitc_ir::{Attr, Attrs, OpKind};

/// Whether `class` holds a softmax over the last axis of `x`.
fn softmax_last_axis(eg: &TensorGraph, class: Id, x: Id) -> bool {
    let Some(rank) = eg[x].data.ty().map(|t| t.rank()) else { return false };
    find_ops(eg, class, OpKind::Softmax).into_iter().any(|(c, attrs)| {
        eg.find(c[0]) == eg.find(x)
            && attrs.int_or("axis", -1).ok().and_then(|a| vitc_ir::geometry::normalize_axis(a, rank).ok())
                == Some(rank - 1)
    })
}

/// The softmax input class of the matched `(matmul (softmax ?l) ?v)`.
fn softmax_input(eg: &TensorGraph, root: Id, v: Id) -> Option<(Id, Id)> {
    let (mm, _) = find_ops(eg, root, OpKind::MatMul).into_iter().find(|(c, _)| eg.find(c[1]) == eg.find(v))?;
    let probs = mm[0];
    let (sm, _) = find_ops(eg, probs, OpKind::Softmax).into_iter().next()?;
    softmax_last_axis(eg, probs, sm[0]).then_some((probs, sm[0]))
}

fn attention(eg: &mut TensorGraph, q: Id, kt: Id, v: Id, bias: Option<Id>, scale: f32) -> Option<Id> {
    let attrs = Attrs::new().with("scale", Attr::Float(scale));
    let mut children = vec![q, kt, v];
    children.extend(bias);
    Some(add_op(eg, OpKind::Attention, &attrs, children))
}

/// `(matmul (softmax ?l) ?v)` where `?l` is built by `logits`.
fn fuse(eg: &mut TensorGraph, class: Id, s: &Subst, logits: fn(&TensorGraph, Id) -> Option<Parts>) -> Option<Id> {
    let v = s[var("?v")];
    let (_, l) = softmax_input(eg, class, v)?;
    let p = logits(eg, l)?;
    attention(eg, p.q, p.kt, v, p.bias, p.scale)
}

/// The pieces of the attention logits.
struct Parts {
    q: Id,
    kt: Id,
    bias: Option<Id>,
    scale: f32,
}

/// `q·kt` (unscaled).
fn plain(eg: &TensorGraph, l: Id) -> Option<Parts> {
    let (qk, _) = find_ops(eg, l, OpKind::MatMul).into_iter().next()?;
    Some(Parts { q: qk[0], kt: qk[1], bias: None, scale: 1.0 })
}

/// `(q·kt)·s` with a scalar `s`.
fn scaled_logits(eg: &TensorGraph, l: Id) -> Option<Parts> {
    find_ops(eg, l, OpKind::Mul).into_iter().find_map(|(m, _)| {
        let scale = scalar(eg, m[1])?;
        let parts = plain(eg, m[0])?;
        Some(Parts { scale, ..parts })
    })
}

/// `(q·kt)·s + B` with a scalar `s` and a constant bias `B`.
fn scaled_logits_with_bias(eg: &TensorGraph, l: Id) -> Option<Parts> {
    find_ops(eg, l, OpKind::Add).into_iter().find_map(|(a, _)| {
        eg[a[1]].data.konst.as_ref()?;
        let parts = scaled_logits(eg, a[0])?;
        Some(Parts { bias: Some(a[1]), ..parts })
    })
}

/// `(q·s)·kt` with a scalar `s`.
fn scaled_query(eg: &TensorGraph, l: Id) -> Option<Parts> {
    find_ops(eg, l, OpKind::MatMul).into_iter().find_map(|(qk, _)| {
        let (m, _) = find_ops(eg, qk[0], OpKind::Mul).into_iter().find(|(m, _)| scalar(eg, m[1]).is_some())?;
        Some(Parts { q: m[0], kt: qk[1], bias: None, scale: scalar(eg, m[1])? })
    })
}

/// `(q·a)·(kt·b)` with scalars `a`, `b` (the exporter's split of 1/√d).
fn scaled_query_and_key(eg: &TensorGraph, l: Id) -> Option<Parts> {
    find_ops(eg, l, OpKind::MatMul).into_iter().find_map(|(qk, _)| {
        let (mq, _) = find_ops(eg, qk[0], OpKind::Mul).into_iter().find(|(m, _)| scalar(eg, m[1]).is_some())?;
        let (mk, _) = find_ops(eg, qk[1], OpKind::Mul).into_iter().find(|(m, _)| scalar(eg, m[1]).is_some())?;
        Some(Parts { q: mq[0], kt: mk[0], bias: None, scale: scalar(eg, mq[1])? * scalar(eg, mk[1])? })
    })
}

/// `act(reshape(transpose(attention(..))))` → `reshape(transpose(attention{act}(..)))`.
fn output_activation(eg: &mut TensorGraph, class: Id, s: &Subst, act: OpKind) -> Option<Id> {
    let shape = s[var("?shape")];
    let r = find_ops(eg, class, act).into_iter().next()?.0[0];
    let (_, reshape_attrs) =
        find_ops(eg, r, OpKind::Reshape).into_iter().find(|(c, _)| eg.find(c[1]) == eg.find(shape))?;
    let t = s[var("?t")];
    let (tc, t_attrs) = find_ops(eg, t, OpKind::Transpose).into_iter().next()?;
    let (ac, mut a_attrs) =
        find_ops(eg, tc[0], OpKind::Attention).into_iter().find(|(_, a)| a.str_or("act", "").ok() == Some(""))?;
    a_attrs.set("act", Attr::Str(act.name().to_string()));
    let fused = add_op(eg, OpKind::Attention, &a_attrs, ac);
    let moved = add_op(eg, OpKind::Transpose, &t_attrs, vec![fused]);
    Some(add_op(eg, OpKind::Reshape, &reshape_attrs, vec![moved, shape]))
}

pub fn rules() -> Vec<Rule> {
    vec![
        // softmax((q·kᵀ)·s + B)·v → attention(q, kᵀ, v, B){scale=s} (LeViT's attention bias).
        rewrite!("attention-scaled-logits-with-bias"; "(matmul (softmax ?l) ?v)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse(eg, c, s, scaled_logits_with_bias))
        }),
        // softmax((q·kᵀ)·s)·v → attention(q, kᵀ, v){scale=s}.
        rewrite!("attention-scaled-logits"; "(matmul (softmax ?l) ?v)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse(eg, c, s, scaled_logits))
        }),
        // softmax((q·a)·(kᵀ·b))·v → attention(q, kᵀ, v){scale=a·b} (DeiT/ViT exports).
        rewrite!("attention-scaled-query-and-key"; "(matmul (softmax ?l) ?v)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse(eg, c, s, scaled_query_and_key))
        }),
        // softmax((q·s)·kᵀ)·v → attention(q, kᵀ, v){scale=s} (CSWin).
        rewrite!("attention-scaled-query"; "(matmul (softmax ?l) ?v)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse(eg, c, s, scaled_query))
        }),
        // softmax(q·kᵀ)·v → attention(q, kᵀ, v){scale=1}.
        rewrite!("attention-plain"; "(matmul (softmax ?l) ?v)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse(eg, c, s, plain))
        }),
        // hard_swish(reshape(transpose(attention))) → reshape(transpose(attention{act=hard_swish})) (LeViT).
        rewrite!("attention-hard-swish-output"; "(hard_swish (reshape ?t ?shape))" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| output_activation(eg, c, s, OpKind::HardSwish))
        }),
    ]
}
