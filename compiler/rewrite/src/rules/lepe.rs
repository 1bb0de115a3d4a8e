//! CSWin's LePE: `attention(q, kᵀ, v) + T(conv_dw(T'(x)))`, where the
//! depthwise 3×3 convolution reads the same tensor `x` as `v` through its
//! own chain of reshapes and transposes, becomes one `attention` op with
//! the LePE kernel (`lepe_w`, `lepe_b`), so V is read once.
//!
//! The exporters reach V and the convolution input by different layout
//! chains from a common ancestor, and the convolution output goes back by a
//! third. Whether they line up is decided concretely: each chain is run on
//! an index tensor (`iota` over the ancestor's shape) with the interpreter,
//! and the index maps must agree element by element with the op's
//! definition (channel `h·dv + c`, position `i = y·gw + x`).

use super::Rule;
use super::util::{FnApplier, add_op, find_ops, var};
use crate::analysis::TensorGraph;
use crate::lang::{Tag, TensorNode};
use egg::{Id, Subst, rewrite};
use std::collections::HashMap;
use std::sync::Arc;
use vitc_ir::{Attr, Attrs, OpKind, Tensor};

/// Ops that only move elements, and how deep the search goes.
const LAYOUT_OPS: [OpKind; 7] = [
    OpKind::Transpose,
    OpKind::Reshape,
    OpKind::Flatten,
    OpKind::Squeeze,
    OpKind::Unsqueeze,
    OpKind::Gather,
    OpKind::Slice,
];
const MAX_CHAIN: usize = 8;

/// One layout op: kind, attributes and its constant operands after the first.
#[derive(Clone)]
struct Step {
    kind: OpKind,
    attrs: Attrs,
    rest: Vec<Option<Arc<Tensor>>>,
}

/// Every class `start` is reached from by layout ops only (itself
/// included), with the steps that lead from it to `start`, in order.
fn ancestors(eg: &TensorGraph, start: Id) -> HashMap<Id, Vec<Step>> {
    let mut found: HashMap<Id, Vec<Step>> = HashMap::new();
    let mut frontier = vec![(eg.find(start), Vec::new())];
    while let Some((class, chain)) = frontier.pop() {
        if found.contains_key(&class) || chain.len() > MAX_CHAIN {
            continue;
        }
        found.insert(class, chain.clone());
        for node in &eg[class].nodes {
            let Tag::Op { kind, attrs, outputs: 1 } = &node.tag else { continue };
            if !LAYOUT_OPS.contains(kind) || node.children.is_empty() {
                continue;
            }
            let rest: Option<Vec<Option<Arc<Tensor>>>> = node.children[1..]
                .iter()
                .map(|&c| if eg[c].data.absent { Some(None) } else { eg[c].data.konst.clone().map(Some) })
                .collect();
            let (Some(rest), Ok(attrs)) = (rest, vitc_ir::text::parse_attrs(attrs)) else { continue };
            let mut steps = vec![Step { kind: *kind, attrs, rest }];
            steps.extend(chain.iter().cloned());
            frontier.push((eg.find(node.children[0]), steps));
        }
    }
    found
}

/// `steps` applied to `x` by the interpreter.
fn apply(steps: &[Step], x: Tensor) -> Option<Tensor> {
    steps.iter().try_fold(x, |cur, s| {
        let mut operands: Vec<Option<&Tensor>> = vec![Some(&cur)];
        operands.extend(s.rest.iter().map(|r| r.as_deref()));
        vitc_interp::eval_op(s.kind, &s.attrs, &operands, 1).ok()?.pop()
    })
}

/// `0, 1, 2, …` as an i64 tensor of `dims`.
fn iota(dims: &[usize]) -> Option<Tensor> {
    let n = dims.iter().product::<usize>() as i64;
    let flat = Tensor::i64_vec(&(0..n).collect::<Vec<_>>());
    let shape = Tensor::i64_vec(&dims.iter().map(|&d| d as i64).collect::<Vec<_>>());
    vitc_interp::eval_op(OpKind::Reshape, &Attrs::new(), &[Some(&flat), Some(&shape)], 1).ok()?.pop()
}

/// The static dims of a class's type.
fn dims_of(eg: &TensorGraph, id: Id) -> Option<Vec<usize>> {
    vitc_ir::dim::shape_sizes(&eg[id].data.ty()?.shape)
}

/// A depthwise convolution that keeps the image size: its input class,
/// weight and bias classes, kernel size and padding.
struct DepthwiseConv {
    input: Id,
    w: Id,
    b: Option<Id>,
    pads: [i64; 2],
}

fn depthwise_conv(eg: &TensorGraph, class: Id) -> Option<DepthwiseConv> {
    find_ops(eg, class, OpKind::Conv).into_iter().find_map(|(c, attrs)| {
        let wd = eg[c[1]].data.konst.as_ref()?.dims().to_vec();
        let channels = *wd.first()? as i64;
        let ones = |name: &str| attrs.ints(name).ok().flatten().is_none_or(|v| v.iter().all(|&x| x == 1));
        let pads = attrs.ints("pads").ok().flatten().unwrap_or(&[0, 0, 0, 0]).to_vec();
        let auto = attrs.str_or("auto_pad", "NOTSET").ok()?;
        let same = wd.len() == 4
            && wd[1] == 1
            && attrs.int_or("group", 1).ok()? == channels
            && ones("strides")
            && ones("dilations")
            && auto == "NOTSET"
            && pads.len() == 4
            && pads[0] == pads[2]
            && pads[1] == pads[3]
            && 2 * pads[0] + 1 == wd[2] as i64
            && 2 * pads[1] + 1 == wd[3] as i64;
        let b = match c.get(2) {
            Some(&b) if eg[b].data.absent => None,
            Some(&b) => {
                eg[b].data.konst.as_ref()?;
                Some(b)
            }
            None => None,
        };
        same.then_some(DepthwiseConv { input: c[0], w: c[1], b, pads: [pads[0], pads[1]] })
    })
}

/// Whether `v` (`[B,H,N,dv]`) and the convolution input (`[B, H·dv, gh, gw]`)
/// hold the same elements of a common ancestor in the LePE arrangement.
fn same_elements(eg: &TensorGraph, v: Id, conv_in: Id, vd: &[usize], cd: &[usize]) -> bool {
    let (from_v, from_c) = (ancestors(eg, v), ancestors(eg, conv_in));
    from_c.iter().filter_map(|(x, c_steps)| Some((x, c_steps, from_v.get(x)?))).any(|(x, c_steps, v_steps)| {
        let check = || -> Option<bool> {
            let base = iota(&dims_of(eg, *x)?)?;
            let vi = apply(v_steps, base.clone())?.to_i64_vec();
            let ci = apply(c_steps, base)?.to_i64_vec();
            let (bsz, heads, n, dv) = (vd[0], vd[1], vd[2], vd[3]);
            let ok = (0..bsz * heads * n * dv).all(|flat| {
                let (c, i, h, b) = (flat % dv, (flat / dv) % n, (flat / (dv * n)) % heads, flat / (dv * n * heads));
                let conv_flat = (b * cd[1] + h * dv + c) * n + i;
                vi.get(flat) == ci.get(conv_flat)
            });
            Some(ok && vi.len() == bsz * heads * n * dv && ci.len() == vi.len())
        };
        check() == Some(true)
    })
}

/// Whether `p` is the convolution output (`[B, H·dv, gh, gw]`) laid back out
/// as `[B,H,N,dv]`.
fn output_lines_up(steps: &[Step], cd: &[usize], vd: &[usize]) -> bool {
    let check = || -> Option<bool> {
        let pi = apply(steps, iota(cd)?)?;
        let (bsz, heads, n, dv) = (vd[0], vd[1], vd[2], vd[3]);
        let pi = pi.to_i64_vec();
        let ok = pi.len() == bsz * heads * n * dv
            && pi.iter().enumerate().all(|(flat, &got)| {
                let (c, i, h, b) = (flat % dv, (flat / dv) % n, (flat / (dv * n)) % heads, flat / (dv * n * heads));
                got == ((b * cd[1] + h * dv + c) * n + i) as i64
            });
        Some(ok)
    };
    check() == Some(true)
}

/// `attention(q, kt, v, bias?) + lepe` → `attention(q, kt, v, bias?, w, b)`.
fn fuse_lepe(eg: &mut TensorGraph, class: Id, s: &Subst) -> Option<Id> {
    let (x, y) = (s[var("?x")], s[var("?y")]);
    [(x, y), (y, x)].into_iter().find_map(|(a, p)| fuse_pair(eg, class, a, p))
}

fn fuse_pair(eg: &mut TensorGraph, _class: Id, a: Id, p: Id) -> Option<Id> {
    let (children, mut attrs) = find_ops(eg, a, OpKind::Attention).into_iter().find(|(c, _)| c.len() <= 4)?;
    let v = children[2];
    let vd = dims_of(eg, v)?;
    if vd.len() != 4 {
        return None;
    }
    let ad = dims_of(eg, a)?;
    // The convolution output reaches `p` by layout ops.
    let (conv_class, out_steps, conv) =
        ancestors(eg, p).into_iter().find_map(|(c, steps)| depthwise_conv(eg, c).map(|conv| (c, steps, conv)))?;
    let cd = dims_of(eg, conv_class)?;
    let (heads, n, dv) = (vd[1], vd[2], vd[3]);
    if ad != vd || cd.len() != 4 || cd[0] != vd[0] || cd[1] != heads * dv || cd[2] * cd[3] != n {
        return None;
    }
    if !output_lines_up(&out_steps, &cd, &vd) || !same_elements(eg, v, conv.input, &vd, &cd) {
        return None;
    }
    attrs.set("lepe_grid", Attr::Ints(vec![cd[2] as i64, cd[3] as i64]));
    attrs.set("lepe_pads", Attr::Ints(conv.pads.to_vec()));
    let absent = eg.add(TensorNode { tag: Tag::Absent, children: vec![] });
    let mut args = children.clone();
    args.resize(4, absent);
    args.push(conv.w);
    args.push(conv.b.unwrap_or(absent));
    Some(add_op(eg, OpKind::Attention, &attrs, args))
}

pub fn rules() -> Vec<Rule> {
    vec![
        // attention(q, kᵀ, v) + T(dwconv(T'(v))) → attention(q, kᵀ, v, _, w, b){lepe_grid, lepe_pads} (CSWin).
        rewrite!("attention-lepe"; "(add ?x ?y)" => {
            FnApplier(|eg: &mut TensorGraph, c, s: &Subst| fuse_lepe(eg, c, s))
        }),
    ]
}
