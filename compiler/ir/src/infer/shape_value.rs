//! Symbolic contents of small integer values ("data propagation").
//!
//! Exporters compute reshape targets from shapes at run time:
//! `Concat(Unsqueeze(Gather(Shape(x), 0)), [-1, 4, 32])`. With a symbolic
//! batch these chains cannot fold to constants, but their contents are still
//! known symbolically (`[batch, -1, 4, 32]`), which is what shape inference of
//! the consuming `reshape`/`expand` needs.

use crate::dim::Dim;
use crate::dtype::DType;
use crate::graph::{Graph, Value};
use crate::op::OpKind;

/// One element of a small integer value: a number or a symbolic dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymInt {
    Int(i64),
    Sym(Dim),
}

impl std::fmt::Display for SymInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SymInt::Int(n) => write!(f, "{n}"),
            SymInt::Sym(d) => write!(f, "{d}"),
        }
    }
}

/// Values as `[1,196,-1]` (symbolic ones by name), for messages.
pub fn format_values(values: &[SymInt]) -> String {
    let items: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(","))
}

impl SymInt {
    pub fn from_dim(d: &Dim) -> SymInt {
        match d {
            Dim::Known(n) => SymInt::Int(*n as i64),
            sym => SymInt::Sym(sym.clone()),
        }
    }

    /// The element as a dimension, when it is not negative.
    pub fn to_dim(&self) -> Option<Dim> {
        match self {
            SymInt::Int(n) => usize::try_from(*n).ok().map(Dim::Known),
            SymInt::Sym(d) => Some(d.clone()),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            SymInt::Int(n) => Some(*n),
            SymInt::Sym(_) => None,
        }
    }
}

/// Values longer than this are not tracked.
const MAX_LEN: usize = 64;
/// Chains deeper than this are not followed.
const MAX_DEPTH: usize = 24;

/// The contents of a rank-0/1 integer value, when computable from constants
/// and (possibly symbolic) shapes.
pub fn shape_value(graph: &Graph, v: Value) -> Option<Vec<SymInt>> {
    value_at_depth(graph, v, 0)
}

fn is_small_int(graph: &Graph, v: Value) -> bool {
    let ty = graph.value_type(v);
    matches!(ty.dtype, DType::I64 | DType::I32)
        && ty.shape.len() <= 1
        && ty.shape.first().is_none_or(|d| d.known().is_some_and(|n| n <= MAX_LEN))
}

fn value_at_depth(graph: &Graph, v: Value, depth: usize) -> Option<Vec<SymInt>> {
    if depth > MAX_DEPTH || !is_small_int(graph, v) {
        return None;
    }
    if let Some(t) = graph.const_tensor(v) {
        return Some(t.to_i64_vec().into_iter().map(SymInt::Int).collect());
    }
    let node = graph.node(v.node);
    let operands = graph.operands(v.node);
    let arg = |i: usize| -> Option<Vec<SymInt>> { value_at_depth(graph, (*operands.get(i)?)?, depth + 1) };
    match node.op {
        OpKind::Shape => {
            let x = graph.value_type((*operands.first()?)?);
            let rank = x.shape.len() as i64;
            let clamp = |a: i64| (if a < 0 { a + rank } else { a }).clamp(0, rank) as usize;
            let start = clamp(node.attrs.int_or("start", 0).ok()?);
            let end = clamp(node.attrs.int_or("end", rank).ok()?);
            Some(x.shape[start..end.max(start)].iter().map(SymInt::from_dim).collect())
        }
        OpKind::Identity | OpKind::Cast | OpKind::Squeeze | OpKind::Unsqueeze | OpKind::Reshape | OpKind::Flatten => {
            arg(0)
        }
        OpKind::Gather => {
            let data = arg(0)?;
            let indices = graph.const_tensor((*operands.get(1)?)?)?.to_i64_vec();
            indices
                .into_iter()
                .map(|i| {
                    let i = if i < 0 { i + data.len() as i64 } else { i };
                    data.get(usize::try_from(i).ok()?).cloned()
                })
                .collect()
        }
        OpKind::Concat => {
            let mut out = Vec::new();
            for i in 0..operands.len() {
                out.extend(arg(i)?);
            }
            Some(out)
        }
        OpKind::Slice => {
            let data = arg(0)?;
            let start = *arg(1)?.first()?.as_int().as_ref()?;
            let end = *arg(2)?.first()?.as_int().as_ref()?;
            let step = match operands.get(4).copied().flatten() {
                Some(s) => graph.const_tensor(s)?.to_i64_vec().first().copied()?,
                None => 1,
            };
            if step != 1 {
                return None;
            }
            let n = data.len() as i64;
            let clamp = |a: i64| (if a < 0 { a + n } else { a }).clamp(0, n) as usize;
            let (s, e) = (clamp(start), clamp(end));
            Some(data[s..e.max(s)].to_vec())
        }
        OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div | OpKind::Mod | OpKind::Max | OpKind::Min => {
            let fmod = node.attrs.int_or("fmod", 0).ok()? != 0;
            let a = arg(0)?;
            let b = arg(1)?;
            let n = a.len().max(b.len());
            if !(a.len() == n || a.len() == 1) || !(b.len() == n || b.len() == 1) {
                return None;
            }
            (0..n).map(|i| combine(node.op, fmod, &a[i.min(a.len() - 1)], &b[i.min(b.len() - 1)])).collect()
        }
        OpKind::ConstantOfShape => {
            let dims = arg(0)?.iter().map(SymInt::as_int).collect::<Option<Vec<i64>>>()?;
            let count = dims.iter().try_fold(1i64, |acc, &d| if d >= 0 { acc.checked_mul(d) } else { None })?;
            let value = match node.attrs.get("value") {
                Some(crate::attr::Attr::Int(v)) => *v,
                None => 0,
                _ => return None,
            };
            (count as usize <= MAX_LEN).then(|| vec![SymInt::Int(value); count as usize])
        }
        OpKind::Where => {
            // `Where(Equal(a, b), x, y)`: how exporters spell `expand(-1)` targets.
            let cond = (*operands.first()?)?;
            let cond_node = graph.node(cond.node);
            if cond_node.op != OpKind::Equal {
                return None;
            }
            let cond_ops = graph.operands(cond.node);
            let a = value_at_depth(graph, (*cond_ops.first()?)?, depth + 1)?;
            let b = value_at_depth(graph, (*cond_ops.get(1)?)?, depth + 1)?;
            let x = arg(1)?;
            let y = arg(2)?;
            let n = [a.len(), b.len(), x.len(), y.len()].into_iter().max()?;
            let at = |v: &[SymInt], i: usize| -> Option<SymInt> {
                if v.len() == n || v.len() == 1 { v.get(i.min(v.len() - 1)).cloned() } else { None }
            };
            (0..n)
                .map(|i| {
                    let equal = match (at(&a, i)?, at(&b, i)?) {
                        (SymInt::Int(p), SymInt::Int(q)) => p == q,
                        (SymInt::Sym(p), SymInt::Sym(q)) if p == q => true,
                        // A symbolic dimension is a positive size: it never equals a negative marker.
                        (SymInt::Sym(_), SymInt::Int(q)) | (SymInt::Int(q), SymInt::Sym(_)) if q <= 0 => false,
                        _ => return None,
                    };
                    if equal { at(&x, i) } else { at(&y, i) }
                })
                .collect()
        }
        _ => None,
    }
}

/// `a op b` on one element; `fmod` is `Mod`'s attribute (1: the sign of
/// the dividend, C's `%`; 0: the sign of the divisor, Python's `%`).
fn combine(op: OpKind, fmod: bool, a: &SymInt, b: &SymInt) -> Option<SymInt> {
    use SymInt::*;
    match (op, a, b) {
        (OpKind::Mod, Int(x), Int(y)) => {
            let r = x.checked_rem(*y)?;
            Some(Int(if fmod || r == 0 || (r < 0) == (*y < 0) { r } else { r + y }))
        }
        (OpKind::Max, Int(x), Int(y)) => Some(Int(*x.max(y))),
        (OpKind::Min, Int(x), Int(y)) => Some(Int(*x.min(y))),
        (OpKind::Add, Int(x), Int(y)) => x.checked_add(*y).map(Int),
        (OpKind::Sub, Int(x), Int(y)) => x.checked_sub(*y).map(Int),
        (OpKind::Mul, Int(x), Int(y)) => x.checked_mul(*y).map(Int),
        (OpKind::Div, Int(x), Int(y)) => x.checked_div(*y).map(Int),
        (OpKind::Mul, _, _) => Some(SymInt::from_dim(&a.to_dim()?.mul(&b.to_dim()?)?)),
        (OpKind::Div, _, _) => Some(SymInt::from_dim(&a.to_dim()?.div_exact(&b.to_dim()?)?)),
        _ => None,
    }
}
