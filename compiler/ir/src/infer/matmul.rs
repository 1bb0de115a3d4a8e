//! Rules for `matmul` (numpy semantics, batch broadcast), `gemm`, `einsum`
//! and the fused `attention` (two matmuls around a softmax).

use super::{Operand, required};
use crate::attr::Attrs;
use crate::dim::{Dim, Shape};
use crate::geometry::broadcast_shapes;
use crate::graph::ValueType;
use std::collections::BTreeMap;

fn check_same(what: &str, a: &Dim, b: &Dim) -> Result<(), String> {
    match (a, b) {
        (Dim::Known(x), Dim::Known(y)) if x != y => Err(format!("{what} differ: {x} vs {y}")),
        _ => Ok(()),
    }
}

pub fn matmul(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let a = required(operands, 0)?;
    let b = required(operands, 1)?;
    if a.ty.dtype != b.ty.dtype {
        return Err(format!("operand dtypes differ: {} and {}", a.ty.dtype, b.ty.dtype));
    }
    if a.ty.rank() == 0 || b.ty.rank() == 0 {
        return Err("matmul operands must have rank ≥ 1".into());
    }
    let mut sa = a.ty.shape.clone();
    let mut sb = b.ty.shape.clone();
    let a_vec = sa.len() == 1;
    let b_vec = sb.len() == 1;
    if a_vec {
        sa.insert(0, Dim::Known(1));
    }
    if b_vec {
        sb.push(Dim::Known(1));
    }
    let (m, ka) = (sa[sa.len() - 2].clone(), sa[sa.len() - 1].clone());
    let (kb, n) = (sb[sb.len() - 2].clone(), sb[sb.len() - 1].clone());
    check_same("contraction sizes", &ka, &kb)?;
    let mut out = broadcast_shapes(&sa[..sa.len() - 2], &sb[..sb.len() - 2])?;
    if !a_vec {
        out.push(m);
    }
    if !b_vec {
        out.push(n);
    }
    Ok(vec![ValueType::new(a.ty.dtype, out)])
}

pub fn gemm(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let a = required(operands, 0)?;
    let b = required(operands, 1)?;
    if a.ty.rank() != 2 || b.ty.rank() != 2 {
        return Err(format!("gemm needs rank-2 operands, found {} and {}", a.ty, b.ty));
    }
    let (m, ka) = if attrs.int_or("transA", 0)? != 0 {
        (a.ty.shape[1].clone(), a.ty.shape[0].clone())
    } else {
        (a.ty.shape[0].clone(), a.ty.shape[1].clone())
    };
    let (kb, n) = if attrs.int_or("transB", 0)? != 0 {
        (b.ty.shape[1].clone(), b.ty.shape[0].clone())
    } else {
        (b.ty.shape[0].clone(), b.ty.shape[1].clone())
    };
    check_same("contraction sizes", &ka, &kb)?;
    let out = vec![m, n];
    if let Some(c) = super::optional(operands, 2) {
        let joined = broadcast_shapes(&out, &c.ty.shape)?;
        if joined != out {
            return Err(format!("bias {} does not broadcast to the output {}", c.ty, crate::dim::format_shape(&out)));
        }
    }
    Ok(vec![ValueType::new(a.ty.dtype, out)])
}

/// A parsed einsum equation: one label list per operand and the output's.
/// `.` stands for the broadcast (ellipsis) dimensions.
pub struct EinsumSpec {
    pub inputs: Vec<Vec<char>>,
    pub output: Vec<char>,
}

/// Parses an einsum equation (`"bhid,bhjd->bhij"`, implicit output allowed,
/// `...` written as a single `.` label).
pub fn parse_einsum(equation: &str) -> Result<EinsumSpec, String> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace("...", ".");
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.clone(), None),
    };
    let inputs: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    for term in &inputs {
        if let Some(c) = term.iter().find(|c| !(c.is_ascii_alphabetic() || **c == '.')) {
            return Err(format!("einsum equation '{equation}' has an invalid label '{c}'"));
        }
    }
    let output = match rhs {
        Some(r) => r.chars().collect(),
        None => {
            let mut counts: BTreeMap<char, usize> = BTreeMap::new();
            for c in inputs.iter().flatten().filter(|c| **c != '.') {
                *counts.entry(*c).or_insert(0) += 1;
            }
            let mut out: Vec<char> = Vec::new();
            if inputs.iter().flatten().any(|c| *c == '.') {
                out.push('.');
            }
            out.extend(counts.into_iter().filter(|(_, n)| *n == 1).map(|(c, _)| c));
            out
        }
    };
    Ok(EinsumSpec { inputs, output })
}

pub fn einsum(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let equation = attrs.str_or("equation", "")?;
    let spec = parse_einsum(equation)?;
    if spec.inputs.len() != operands.len() {
        return Err(format!("equation '{equation}' names {} operands, found {}", spec.inputs.len(), operands.len()));
    }
    let mut sizes: BTreeMap<char, Dim> = BTreeMap::new();
    let mut ellipsis: Shape = Vec::new();
    let mut dtype = None;
    for (i, term) in spec.inputs.iter().enumerate() {
        let op = required(operands, i)?;
        dtype.get_or_insert(op.ty.dtype);
        let n_named = term.iter().filter(|c| **c != '.').count();
        let has_ellipsis = term.contains(&'.');
        if (!has_ellipsis && n_named != op.ty.rank()) || (has_ellipsis && n_named > op.ty.rank()) {
            return Err(format!("operand {i} has rank {} but its term names {n_named} axes", op.ty.rank()));
        }
        let n_ell = op.ty.rank() - n_named;
        let mut axis = 0;
        for c in term {
            if *c == '.' {
                ellipsis = broadcast_shapes(&ellipsis, &op.ty.shape[axis..axis + n_ell])?;
                axis += n_ell;
            } else {
                let d = op.ty.shape[axis].clone();
                match sizes.get(c) {
                    Some(prev) if *prev != d && *prev != Dim::Known(1) && d != Dim::Known(1) => {
                        return Err(format!("label '{c}' has sizes {prev} and {d}"));
                    }
                    Some(prev) if *prev != Dim::Known(1) => {}
                    _ => {
                        sizes.insert(*c, d);
                    }
                }
                axis += 1;
            }
        }
    }
    let mut out = Vec::new();
    for c in &spec.output {
        if *c == '.' {
            out.extend(ellipsis.iter().cloned());
        } else {
            out.push(sizes.get(c).cloned().ok_or_else(|| format!("output label '{c}' appears in no operand"))?);
        }
    }
    Ok(vec![ValueType::new(dtype.ok_or("einsum needs at least one operand")?, out)])
}

/// The activations `attention{act}` may apply to its output.
pub const ATTENTION_ACTIVATIONS: [&str; 4] = ["hard_swish", "relu", "gelu", "sigmoid"];

pub fn attention(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    attrs.float_or("scale", 1.0)?;
    let act = attrs.str_or("act", "")?;
    if !act.is_empty() && !ATTENTION_ACTIVATIONS.contains(&act) {
        return Err(format!("act '{act}' is not one of {ATTENTION_ACTIVATIONS:?}"));
    }
    let q = required(operands, 0)?;
    let kt = required(operands, 1)?;
    let v = required(operands, 2)?;
    let logits = matmul(&[Some(q.clone()), Some(kt.clone())])?.remove(0);
    if let Some(bias) = super::optional(operands, 3) {
        let joined = broadcast_shapes(&logits.shape, &bias.ty.shape)?;
        if joined != logits.shape {
            return Err(format!("bias {} does not broadcast to the logits {logits}", bias.ty));
        }
    }
    let logits_op = Operand { ty: &logits, value: None, dims: None };
    let out = matmul(&[Some(logits_op), Some(v.clone())])?;
    if let Some(w) = super::optional(operands, 4) {
        check_lepe(attrs, &v.ty.shape, &w.ty.shape, super::optional(operands, 5).map(|b| &b.ty.shape[..]))?;
    }
    Ok(out)
}

/// Checks the LePE operands of an attention against `v` `[B,H,N,dv]`.
fn check_lepe(attrs: &Attrs, v: &[Dim], w: &[Dim], b: Option<&[Dim]>) -> Result<(), String> {
    let grid = attrs.ints("lepe_grid")?.ok_or("LePE needs lepe_grid=[h,w]")?;
    let pads = attrs.ints("lepe_pads")?.ok_or("LePE needs lepe_pads=[h,w]")?;
    let known = |d: &Dim| d.known();
    let (Some(vd), Some(wd)) =
        (v.iter().map(known).collect::<Option<Vec<_>>>(), w.iter().map(known).collect::<Option<Vec<_>>>())
    else {
        return Ok(());
    };
    let ok = vd.len() == 4
        && grid.len() == 2
        && pads.len() == 2
        && wd.len() == 4
        && wd[0] == vd[1] * vd[3]
        && wd[1] == 1
        && (grid[0] * grid[1]) as usize == vd[2]
        && pads.iter().all(|&p| p >= 0)
        && b.is_none_or(|b| b.len() == 1 && b[0].known() == Some(wd[0]));
    if ok { Ok(()) } else { Err(format!("LePE kernel {wd:?} and grid {grid:?} do not fit v {vd:?}")) }
}
