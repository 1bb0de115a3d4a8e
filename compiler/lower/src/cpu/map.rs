//! `Map` (element-wise ops over strided views) and `Fill`.
//!
//! A map's loop nest comes coalesced from [`crate::map_levels`] (size-1 axes
//! dropped, axes merged where every operand is contiguous across them;
//! merging into axis 0 scales the chunk range, so a dense `[196, 384]` map
//! is one flat loop over `[start·384, end·384)`). The innermost axis runs a
//! vector at a time — [`CpuEmitter::unroll`] vectors per iteration —:
//! unit-stride operands are vector loads, stride 0 a broadcast, others a
//! gather of scalars. The tail runs the same vector code on a partly
//! filled vector, so every element gets the same instructions wherever a
//! chunk boundary falls.

use super::{CpuEmitter, for_count};
use crate::{Activation, BinaryOp, Loc, Map, MapLevel, MapOp, UnaryOp, elem, map_levels};

/// Whether an op is costly enough that the unroll factor should stay low.
fn expensive(op: MapOp) -> bool {
    use Activation as A;
    matches!(
        op,
        MapOp::Unary(
            UnaryOp::Exp
                | UnaryOp::Log
                | UnaryOp::Erf
                | UnaryOp::Tanh
                | UnaryOp::Sin
                | UnaryOp::Cos
                | UnaryOp::Tan
                | UnaryOp::Asin
                | UnaryOp::Acos
                | UnaryOp::Atan
                | UnaryOp::Sinh
                | UnaryOp::Cosh
                | UnaryOp::Asinh
                | UnaryOp::Acosh
                | UnaryOp::Atanh
                | UnaryOp::Act(A::Sigmoid | A::Gelu | A::GeluTanh)
        ) | MapOp::Binary(BinaryOp::Pow)
    )
}

/// Computes `n` (≤ width) elements from the operand pointers `ptrs`
/// (output first) with innermost strides `strides`.
fn group<E: CpuEmitter>(e: &mut E, op: MapOp, ptrs: &[E::Ptr], strides: &[i64], n: usize) {
    let args: Vec<E::V> = (1..ptrs.len()).map(|j| e.load(ptrs[j], strides[j], n)).collect();
    let r = elem::map(e, op, &args);
    e.store(r, ptrs[0], strides[0], n);
}

/// Pointers advanced by `i` steps of `strides`.
fn at<E: CpuEmitter>(e: &mut E, ptrs: &[E::Ptr], strides: &[i64], i: E::Idx) -> Vec<E::Ptr> {
    ptrs.iter().zip(strides).map(|(&p, &s)| e.at(p, i, s)).collect()
}

/// `unroll` groups of `width` elements from element `i` on.
fn groups<E: CpuEmitter>(e: &mut E, op: MapOp, ptrs: &[E::Ptr], strides: &[i64], i: E::Idx, unroll: usize) {
    let w = e.width();
    for u in 0..unroll {
        let iu = e.idx_add_c(i, (u * w) as i64);
        let p = at(e, ptrs, strides, iu);
        group(e, op, &p, strides, w);
    }
}

/// Runs `per(e, i, n)` over the run-time range `lo..hi`: `steps` blocks of
/// (`lanes` per step), largest first; the last step must be 1.
fn strips<E: CpuEmitter>(
    e: &mut E,
    lo: E::Idx,
    hi: E::Idx,
    steps: &[usize],
    per: &mut dyn FnMut(&mut E, E::Idx, usize),
) {
    let mut from = lo;
    for &step in steps {
        if step == 1 {
            e.range_loop(from, hi, 1, &[], &mut |e, i, _| {
                per(e, i, 1);
                vec![]
            });
            return;
        }
        // While i + step <= hi, i.e. i < hi − step + 1.
        let hi_s = e.idx_add_c(hi, 1 - step as i64);
        let after = e.range_loop(from, hi_s, step as i64, &[E::carry_idx(from)], &mut |e, i, _| {
            per(e, i, step);
            vec![E::carry_idx(e.idx_add_c(i, step as i64))]
        });
        from = E::idx_of(after[0]);
    }
}

/// Elements `lo..hi` (run time) of the innermost level.
fn inner_range<E: CpuEmitter>(e: &mut E, op: MapOp, lo: E::Idx, hi: E::Idx, ptrs: &[E::Ptr], strides: &[i64]) {
    let (w, unroll) = (e.width(), e.unroll(expensive(op)));
    let steps: Vec<usize> = if unroll > 1 { vec![w * unroll, w, 1] } else { vec![w, 1] };
    strips(e, lo, hi, &steps, &mut |e, i, n| {
        if n == 1 {
            let p = at(e, ptrs, strides, i);
            group(e, op, &p, strides, 1);
        } else {
            groups(e, op, ptrs, strides, i, n / w);
        }
    });
}

/// Levels `levels` (constant trip counts) from the pointers `ptrs`.
fn nest<E: CpuEmitter>(e: &mut E, op: MapOp, levels: &[MapLevel], ptrs: &[E::Ptr]) {
    match levels {
        [] => group(e, op, ptrs, &vec![0; ptrs.len()], 1),
        [last] => {
            let (w, unroll) = (e.width(), e.unroll(expensive(op)));
            let full = last.n / w;
            let s = &last.strides;
            for_count(e, full / unroll, &mut |e, i| {
                let iw = e.idx_mul_c(i, (w * unroll) as i64);
                groups(e, op, ptrs, s, iw, unroll);
            });
            if full % unroll > 0 {
                let i = e.idx(((full / unroll) * unroll * w) as i64);
                groups(e, op, ptrs, s, i, full % unroll);
            }
            if !last.n.is_multiple_of(w) {
                let k = e.idx((full * w) as i64);
                let p = at(e, ptrs, s, k);
                group(e, op, &p, s, last.n % w);
            }
        }
        [first, rest @ ..] => for_count(e, first.n, &mut |e, i| {
            let p = at(e, ptrs, &first.strides, i);
            nest(e, op, rest, &p);
        }),
    }
}

/// A `Map` kernel.
pub fn map<E: CpuEmitter>(e: &mut E, k: &Map) {
    let (levels, scale) = map_levels(&k.dims, &k.inputs);
    let mut bases = vec![e.base(k.out)];
    for s in &k.inputs {
        bases.push(e.base(s.at));
    }
    let (start, end) = e.chunk();
    let lo = e.idx_mul_c(start, scale as i64);
    let hi = e.idx_mul_c(end, scale as i64);
    let l0 = &levels[0];
    if levels.len() == 1 {
        return inner_range(e, k.op, lo, hi, &bases, &l0.strides);
    }
    e.range_loop(lo, hi, 1, &[], &mut |e, i, _| {
        let p = at(e, &bases, &l0.strides, i);
        nest(e, k.op, &levels[1..], &p);
        vec![]
    });
}

/// A `Fill` kernel: `out[start..end] = value`.
pub fn fill<E: CpuEmitter>(e: &mut E, value: f32, out: Loc) {
    let base = e.base(out);
    let (lo, hi) = e.chunk();
    let (w, unroll) = (e.width(), e.unroll(false));
    let steps: Vec<usize> = if unroll > 1 { vec![w * unroll, w, 1] } else { vec![w, 1] };
    strips(e, lo, hi, &steps, &mut |e, i, n| {
        let v = e.c(value);
        let lanes = n.min(w);
        let p0 = e.at(base, i, 1);
        for u in 0..n.div_ceil(w) {
            let p = e.at_c(p0, (u * w) as i64);
            e.store(v, p, 1, lanes);
        }
    });
}
