//! ONNX Einsum: parses the equation (explicit or implicit output, `...`
//! broadcasting, repeated labels within an operand for diagonals), sums out
//! labels used only once, then contracts operands pairwise as batched
//! GEMMs (`bhid,bhjd->bhij` runs as one batched GEMM with no copy of its
//! operands).

use crate::args::{f32_of, from_vec, numel, row_major, to_owned_std};
use crate::broadcast::broadcast_to;
use crate::matmul::{Mats, batched_gemm};
use crate::reduce::sum_axes;
use ndarray::{ArrayD, IxDyn};
use std::borrow::Cow;
use std::collections::BTreeMap;
use vitc_ir::{Attrs, Tensor};

/// A label: a letter, or `ELLIPSIS + i` for the i-th broadcast axis.
type Label = u32;
const ELLIPSIS: Label = 1000;

/// An operand with one distinct label per axis.
struct Term<'a> {
    data: Cow<'a, ArrayD<f32>>,
    labels: Vec<Label>,
}

/// Splits one side of the equation into labels, expanding `...` into
/// `ellipsis_rank` labels (right-aligned to `total` broadcast axes).
fn parse_term(term: &str, rank: Option<usize>, total: usize) -> Result<(Vec<Label>, usize), String> {
    let letters = term.replace("...", "");
    if let Some(c) = letters.chars().find(|c| !c.is_ascii_alphabetic()) {
        return Err(format!("einsum term '{term}' has the invalid character '{c}'"));
    }
    let has_ellipsis = term.contains("...");
    if term.matches("...").count() > 1 {
        return Err(format!("einsum term '{term}' has more than one ellipsis"));
    }
    let ell = match (has_ellipsis, rank) {
        (false, _) => 0,
        (true, Some(r)) => {
            r.checked_sub(letters.len()).ok_or_else(|| format!("term '{term}' has more labels than rank {r}"))?
        }
        (true, None) => total,
    };
    let total = total.max(ell);
    let mut labels = Vec::new();
    let (before, after) = term.split_once("...").unwrap_or((term, ""));
    labels.extend(before.chars().map(|c| c as Label));
    if has_ellipsis {
        labels.extend((total - ell..total).map(|i| ELLIPSIS + i as Label));
    }
    labels.extend(after.chars().map(|c| c as Label));
    Ok((labels, ell))
}

/// Takes the diagonal over repeated labels so every label appears once.
fn diagonal<'a>(data: &'a ArrayD<f32>, labels: &[Label]) -> Result<Term<'a>, String> {
    let mut unique: Vec<Label> = Vec::new();
    for &l in labels {
        if !unique.contains(&l) {
            unique.push(l);
        }
    }
    if unique.len() == labels.len() {
        return Ok(Term { data: Cow::Borrowed(data), labels: labels.to_vec() });
    }
    let dims = data.shape();
    let mut sizes = Vec::with_capacity(unique.len());
    let mut strides = vec![0usize; unique.len()];
    let mut stride = 1;
    for ax in (0..labels.len()).rev() {
        let u = unique.iter().position(|&l| l == labels[ax]).unwrap_or(0);
        strides[u] += stride;
        stride *= dims[ax];
    }
    for &u in &unique {
        let ax: Vec<usize> = (0..labels.len()).filter(|&a| labels[a] == u).collect();
        if ax.iter().any(|&a| dims[a] != dims[ax[0]]) {
            return Err(format!("repeated label has different sizes in {dims:?}"));
        }
        sizes.push(dims[ax[0]]);
    }
    let src = row_major(data);
    let n = numel(&sizes);
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; sizes.len()];
    for _ in 0..n {
        out.push(src[idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()]);
        for a in (0..idx.len()).rev() {
            idx[a] += 1;
            if idx[a] < sizes[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    Ok(Term { data: Cow::Owned(from_vec(&sizes, out)?), labels: unique })
}

/// Sums out the labels of `t` that are not in `keep`.
fn sum_out<'a>(t: Term<'a>, keep: &[Label]) -> Result<Term<'a>, String> {
    let axes: Vec<usize> = (0..t.labels.len()).filter(|&a| !keep.contains(&t.labels[a])).collect();
    if axes.is_empty() {
        return Ok(t);
    }
    let labels = t.labels.iter().copied().filter(|l| keep.contains(l)).collect();
    Ok(Term { data: Cow::Owned(sum_axes(&t.data, &axes)?), labels })
}

/// The permutation that puts the axes of `t` in `order`.
fn arrange(t: &Term, order: &[Label]) -> Option<Vec<usize>> {
    order.iter().map(|l| t.labels.iter().position(|x| x == l)).collect()
}

/// The data of `t` with its axes in `plain` order, or in `flipped` order
/// (then `true`: the caller uses each matrix transposed), copying only when
/// neither order is the stored one.
fn layout<'t>(t: &'t Term<'_>, plain: &[Label], flipped: &[Label]) -> Result<(Cow<'t, [f32]>, bool), String> {
    let p = arrange(t, plain).ok_or("internal: einsum label lost")?;
    if is_identity(&p) {
        return Ok((row_major(&t.data), false));
    }
    let f = arrange(t, flipped).ok_or("internal: einsum label lost")?;
    if is_identity(&f) {
        return Ok((row_major(&t.data), true));
    }
    Ok((Cow::Owned(t.data.view().permuted_axes(IxDyn(&p)).iter().copied().collect()), false))
}

fn is_identity(perm: &[usize]) -> bool {
    perm.iter().enumerate().all(|(i, &p)| i == p)
}

/// Broadcasts size-1 axes of `t` to `sizes` where the label is bigger elsewhere.
fn widen<'a>(t: Term<'a>, sizes: &BTreeMap<Label, usize>) -> Result<Term<'a>, String> {
    let want: Vec<usize> = t.labels.iter().map(|l| sizes.get(l).copied().unwrap_or(1)).collect();
    if want == t.data.shape() {
        return Ok(t);
    }
    Ok(Term { data: Cow::Owned(broadcast_to(&t.data, &want)?), labels: t.labels })
}

/// Contracts `a` and `b`, keeping the labels in `keep`.
fn contract<'a>(a: Term<'_>, b: Term<'_>, keep: &[Label], sizes: &BTreeMap<Label, usize>) -> Result<Term<'a>, String> {
    let (a, b) = (widen(a, sizes)?, widen(b, sizes)?);
    let in_b = |l: &Label| b.labels.contains(l);
    let batch: Vec<Label> = a.labels.iter().copied().filter(|l| in_b(l) && keep.contains(l)).collect();
    let inner: Vec<Label> = a.labels.iter().copied().filter(|l| in_b(l) && !keep.contains(l)).collect();
    let m_labels: Vec<Label> = a.labels.iter().copied().filter(|l| !in_b(l)).collect();
    let n_labels: Vec<Label> = b.labels.iter().copied().filter(|l| !a.labels.contains(l)).collect();
    let size = |ls: &[Label]| ls.iter().map(|l| sizes.get(l).copied().unwrap_or(1)).product::<usize>();
    let (nb, m, k, n) = (size(&batch), size(&m_labels), size(&inner), size(&n_labels));
    let concat = |parts: &[&[Label]]| parts.concat();
    // A as [batch, m, k], or [batch, k, m] used transposed; B likewise.
    let (ad, at) = layout(&a, &concat(&[&batch, &m_labels, &inner]), &concat(&[&batch, &inner, &m_labels]))?;
    let (bd, bt) = layout(&b, &concat(&[&batch, &inner, &n_labels]), &concat(&[&batch, &n_labels, &inner]))?;
    let (xa, xb) = (ad, bd);
    let pairs: Vec<(usize, usize)> = (0..nb).map(|i| (i, i)).collect();
    let out = batched_gemm(Mats { data: &xa, transposed: at }, Mats { data: &xb, transposed: bt }, m, k, n, &pairs)?;
    let labels = concat(&[&batch, &m_labels, &n_labels]);
    let shape: Vec<usize> = labels.iter().map(|l| sizes.get(l).copied().unwrap_or(1)).collect();
    Ok(Term { data: Cow::Owned(from_vec(&shape, out)?), labels })
}

pub(crate) fn einsum(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let equation: String = attrs.str_or("equation", "")?.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match equation.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (equation.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != inputs.len() {
        return Err(format!("equation '{equation}' has {} operands, {} given", terms.len(), inputs.len()));
    }
    let arrays: Vec<&ArrayD<f32>> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| t.ok_or_else(|| format!("operand {i} is absent")).and_then(|t| f32_of(t, "einsum operand")))
        .collect::<Result<_, _>>()?;
    // Broadcast axes: as many as the widest ellipsis.
    let mut total = 0;
    for (term, a) in terms.iter().zip(&arrays) {
        total = total.max(parse_term(term, Some(a.ndim()), 0)?.1);
    }
    let mut sizes: BTreeMap<Label, usize> = BTreeMap::new();
    let mut ops = Vec::with_capacity(arrays.len());
    let mut counts: BTreeMap<Label, usize> = BTreeMap::new();
    for (term, a) in terms.iter().zip(&arrays) {
        let (labels, _) = parse_term(term, Some(a.ndim()), total)?;
        if labels.len() != a.ndim() {
            return Err(format!("term '{term}' does not match operand rank {}", a.ndim()));
        }
        for (&l, &d) in labels.iter().zip(a.shape()) {
            let s = sizes.entry(l).or_insert(d);
            if *s == 1 {
                *s = d;
            } else if d != 1 && d != *s {
                return Err(format!("label sizes disagree in '{equation}': {d} vs {s}"));
            }
        }
        let t = diagonal(a, &labels)?;
        for &l in &t.labels {
            *counts.entry(l).or_insert(0) += 1;
        }
        ops.push(t);
    }
    let output: Vec<Label> = match rhs {
        Some(r) => {
            let (labels, _) = parse_term(r, None, total)?;
            if (1..labels.len()).any(|i| labels[..i].contains(&labels[i])) {
                return Err(format!("output '{r}' repeats a label"));
            }
            if let Some(l) = labels.iter().find(|l| !sizes.contains_key(l)) {
                return Err(format!("output label '{}' is not in any operand", char::from_u32(*l).unwrap_or('?')));
            }
            labels
        }
        None => {
            let mut out: Vec<Label> = (0..total as Label).map(|i| ELLIPSIS + i).collect();
            out.extend(counts.iter().filter(|&(&l, &c)| l < ELLIPSIS && c == 1).map(|(&l, _)| l));
            out
        }
    };
    // Labels still needed after step i: the output and the operands after i.
    let mut needed: Vec<Vec<Label>> = vec![output.clone(); ops.len()];
    for i in (0..ops.len().saturating_sub(1)).rev() {
        let mut later = needed[i + 1].clone();
        later.extend(&ops[i + 1].labels);
        needed[i] = later;
    }
    let mut ops = ops.into_iter().zip(needed);
    let (mut acc, _) = ops.next().ok_or("einsum needs at least one operand")?;
    for (next, keep) in ops {
        let mut keep_acc = keep.clone();
        keep_acc.extend(&next.labels);
        let mut keep_next = keep.clone();
        keep_next.extend(&acc.labels);
        let a = sum_out(acc, &keep_acc)?;
        let b = sum_out(next, &keep_next)?;
        acc = contract(a, b, &keep, &sizes)?;
    }
    let acc = widen(sum_out(acc, &output)?, &sizes)?;
    let perm = arrange(&acc, &output).ok_or("internal: einsum output label lost")?;
    let data = if is_identity(&perm) {
        acc.data.into_owned()
    } else {
        to_owned_std(acc.data.view().permuted_axes(IxDyn(&perm)))
    };
    Ok(Tensor::F32(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitc_ir::Attr;

    fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    }

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        t(shape, (0..n).map(|v| v as f32).collect())
    }

    fn eq(e: &str) -> Attrs {
        Attrs::new().with("equation", Attr::Str(e.into()))
    }

    #[test]
    fn matrix_product_and_transpose() {
        let a = t(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let b = t(&[2, 2], vec![5.0, 6.0, 7.0, 8.0]);
        assert_eq!(einsum(&eq("ij,jk->ik"), &[Some(&a), Some(&b)]).unwrap().to_f64_vec(), vec![19., 22., 43., 50.]);
        // implicit output: "ij,jk" -> "ik"
        assert_eq!(einsum(&eq("ij,jk"), &[Some(&a), Some(&b)]).unwrap().to_f64_vec(), vec![19., 22., 43., 50.]);
        assert_eq!(einsum(&eq("ij->ji"), &[Some(&a)]).unwrap().to_f64_vec(), vec![1., 3., 2., 4.]);
        // implicit output is alphabetical: "ba" -> "ab" is a transpose
        assert_eq!(einsum(&eq("ba"), &[Some(&a)]).unwrap().to_f64_vec(), vec![1., 3., 2., 4.]);
    }

    #[test]
    fn trace_sum_and_outer() {
        let a = t(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(einsum(&eq("ii->"), &[Some(&a)]).unwrap().to_f64_vec(), vec![5.0]);
        assert_eq!(einsum(&eq("ii->i"), &[Some(&a)]).unwrap().to_f64_vec(), vec![1.0, 4.0]);
        assert_eq!(einsum(&eq("ij->i"), &[Some(&a)]).unwrap().to_f64_vec(), vec![3.0, 7.0]);
        let u = t(&[2], vec![1.0, 2.0]);
        let v = t(&[3], vec![1.0, 10.0, 100.0]);
        assert_eq!(
            einsum(&eq("i,j->ij"), &[Some(&u), Some(&v)]).unwrap().to_f64_vec(),
            vec![1., 10., 100., 2., 20., 200.]
        );
        assert_eq!(einsum(&eq("i,i"), &[Some(&u), Some(&u)]).unwrap().to_f64_vec(), vec![5.0]);
    }

    #[test]
    fn attention_shaped_batched_products() {
        // q [1,2,2,3] . k [1,2,2,3] over d: bhid,bhjd->bhij equals q @ k^T per (b, h).
        let q = iota(&[1, 2, 2, 3]);
        let k = t(&[1, 2, 2, 3], vec![1., 0., 0., 0., 1., 0., 0., 0., 1., 1., 1., 1.]);
        let y = einsum(&eq("bhid,bhjd->bhij"), &[Some(&q), Some(&k)]).unwrap();
        assert_eq!(y.dims(), &[1, 2, 2, 2]);
        // head 0: rows [0,1,2],[3,4,5] against [1,0,0],[0,1,0] -> [[0,1],[3,4]]
        // head 1: rows [6,7,8],[9,10,11] against [0,0,1],[1,1,1] -> [[8,21],[11,30]]
        assert_eq!(y.to_f64_vec(), vec![0., 1., 3., 4., 8., 21., 11., 30.]);
    }

    #[test]
    fn malformed_equations_are_errors() {
        let a = iota(&[2, 2]);
        for bad in ["ii->ii", "ij->k", "ij,jk->ik", "i1->i", "i...j...->i", "ijk->i"] {
            assert!(einsum(&eq(bad), &[Some(&a)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn ellipsis_broadcasts() {
        // "...ij,...jk->...ik" with batch [2] vs no batch
        let a = iota(&[2, 1, 2]);
        let b = t(&[2, 1], vec![1.0, 1.0]);
        let y = einsum(&eq("...ij,...jk->...ik"), &[Some(&a), Some(&b)]).unwrap();
        assert_eq!((y.dims().to_vec(), y.to_f64_vec()), (vec![2, 1, 1], vec![1.0, 5.0]));
    }
}
