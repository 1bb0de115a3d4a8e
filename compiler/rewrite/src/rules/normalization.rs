//! Normalisation rules: softmax and LayerNorm written out with reductions
//! (older exporters, hand-written graphs) become the single ops.

use super::Rule;
use super::util::{FnApplier, add_op, find_ops, scalar, var};
use crate::analysis::TensorGraph;
use egg::{Id, Subst, rewrite};
use vitc_ir::{Attr, Attrs, OpKind};

/// The single axis a keepdims reduction of `kind` over `x` in `class` runs on.
fn reduced_axis(eg: &TensorGraph, class: Id, kind: OpKind, x: Id) -> Option<usize> {
    let rank = eg[x].data.ty()?.rank();
    find_ops(eg, class, kind).into_iter().find_map(|(c, attrs)| {
        if eg.find(c[0]) != eg.find(x) || attrs.int_or("keepdims", 1).ok()? != 1 {
            return None;
        }
        match vitc_ir::infer::reduce_axes(&attrs, rank).ok()?.as_slice() {
            [a] => Some(*a),
            _ => None,
        }
    })
}

/// `e / sum` where `sum` reduces `e = exp(…)` over one axis: softmax of the
/// exponent's argument (`x − max(x)` when `stable`, checked, else `x`).
fn softmax(eg: &mut TensorGraph, s: &Subst, stable: bool) -> Option<Id> {
    let e = s[var("?e")];
    let axis = reduced_axis(eg, s[var("?sum")], OpKind::ReduceSum, e)?;
    let (exp_in, _) = find_ops(eg, e, OpKind::Exp).into_iter().next()?;
    let x = if stable {
        let (sub, _) = find_ops(eg, exp_in[0], OpKind::Sub).into_iter().next()?;
        if reduced_axis(eg, sub[1], OpKind::ReduceMax, sub[0])? != axis {
            return None;
        }
        sub[0]
    } else {
        exp_in[0]
    };
    let rank = eg[x].data.ty()?.rank();
    let attrs = Attrs::new().with("axis", Attr::Int(axis as i64 - rank as i64));
    Some(add_op(eg, OpKind::Softmax, &attrs, vec![x]))
}

fn layer_norm(eg: &mut TensorGraph, s: &Subst) -> Option<Id> {
    let x = s[var("?x")];
    let ty = eg[x].data.ty()?.clone();
    let last = ty.rank().checked_sub(1)?;
    if reduced_axis(eg, s[var("?mean")], OpKind::ReduceMean, x)? != last
        || reduced_axis(eg, s[var("?var")], OpKind::ReduceMean, s[var("?sq")])? != last
        || scalar(eg, s[var("?two")])? != 2.0
    {
        return None;
    }
    let eps = scalar(eg, s[var("?eps")])?;
    let channels = ty.shape.last()?.clone();
    for p in ["?g", "?b"] {
        let t = eg[s[var(p)]].data.ty()?;
        if t.shape != [channels.clone()] || eg[s[var(p)]].data.konst.is_none() {
            return None;
        }
    }
    let attrs = Attrs::new().with("axis", Attr::Int(-1)).with("epsilon", Attr::Float(eps));
    Some(add_op(eg, OpKind::LayerNormalization, &attrs, vec![x, s[var("?g")], s[var("?b")]]))
}

pub fn rules() -> Vec<Rule> {
    vec![
        // exp(x − max(x)) / Σ exp(x − max(x)) over one axis → softmax(x).
        rewrite!("softmax-stable-decomposed"; "(div ?e ?sum)" => {
            FnApplier(|eg: &mut TensorGraph, _class, s: &Subst| softmax(eg, s, true))
        }),
        // exp(x) / Σ exp(x) over one axis → softmax(x) (the kernel subtracts the max itself).
        rewrite!("softmax-plain-decomposed"; "(div ?e ?sum)" => {
            FnApplier(|eg: &mut TensorGraph, _class, s: &Subst| softmax(eg, s, false))
        }),
        // (x − mean) / √(mean((x − mean)²) + ε) · γ + β over the last axis → layer_normalization.
        rewrite!("layernorm-decomposed";
        "(add (mul (div (sub ?x ?mean) (sqrt (add ?var ?eps))) ?g) ?b)" => {
            FnApplier(|eg: &mut TensorGraph, _class, s: &Subst| {
                let (sq, _) = find_ops(eg, s[var("?var")], OpKind::ReduceMean).into_iter().next()?;
                let (pw, _) = find_ops(eg, sq[0], OpKind::Pow).into_iter().next()?;
                let (d, _) = find_ops(eg, pw[0], OpKind::Sub).into_iter().next()?;
                if eg.find(d[0]) != eg.find(s[var("?x")]) || eg.find(d[1]) != eg.find(s[var("?mean")]) {
                    return None;
                }
                let mut s2 = s.clone();
                s2.insert(var("?sq"), sq[0]);
                s2.insert(var("?two"), pw[1]);
                layer_norm(eg, &s2)
            })
        }),
    ]
}
