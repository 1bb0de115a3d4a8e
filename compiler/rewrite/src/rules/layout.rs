//! Layout rules: transposes and reshapes that compose or cancel.

use super::Rule;
use super::util::{FnApplier, add_op, find_ops, var};
use egg::rewrite;
use vitc_ir::{Attr, Attrs, OpKind};

pub fn rules() -> Vec<Rule> {
    let x = var("?x");
    let t = var("?t");
    vec![
        // transpose(transpose(x, p), q) → transpose(x, p∘q), or x when that is the identity.
        rewrite!("transpose-of-transpose"; "(transpose ?t)" => {
            FnApplier(move |eg: &mut crate::analysis::TensorGraph, class, s: &egg::Subst| {
                let outer = find_ops(eg, class, OpKind::Transpose).into_iter().find(|(c, _)| eg.find(c[0]) == eg.find(s[t]))?.1;
                let (inner_children, inner) = find_ops(eg, s[t], OpKind::Transpose).into_iter().next()?;
                let rank = eg[s[t]].data.ty()?.rank();
                let p = vitc_ir::infer::transpose_perm(&inner, rank).ok()?;
                let q = vitc_ir::infer::transpose_perm(&outer, rank).ok()?;
                let composed: Vec<usize> = q.iter().map(|&i| p[i]).collect();
                if composed.iter().enumerate().all(|(i, &a)| i == a) {
                    return Some(inner_children[0]);
                }
                let attrs = Attrs::new().with("perm", Attr::Ints(composed.iter().map(|&a| a as i64).collect()));
                Some(add_op(eg, OpKind::Transpose, &attrs, vec![inner_children[0]]))
            })
        }),
        // reshape(reshape(x, a), b) → reshape(x, b) when b has no 0 (copy-dim) entries.
        rewrite!("reshape-of-reshape"; "(reshape (reshape ?x ?a) ?b)" => {
            let b = var("?b");
            FnApplier(move |eg: &mut crate::analysis::TensorGraph, _class, s: &egg::Subst| {
                let target = eg[s[b]].data.konst.as_ref()?.to_i64_vec();
                if target.contains(&0) {
                    return None;
                }
                Some(add_op(eg, OpKind::Reshape, &Attrs::new(), vec![s[x], s[b]]))
            })
        }),
    ]
}
