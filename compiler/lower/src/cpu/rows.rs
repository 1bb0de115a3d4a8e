//! Row kernels: `Softmax` (row max, `exp(x − max)` stored with its sum,
//! scale by the reciprocal), `LayerNorm` (two-pass mean and variance, then
//! normalise, scale, shift) and `Reduce` (sum / mean / max / min over the
//! middle axis).
//!
//! Rows are swept a vector at a time with two independent accumulators,
//! reduced horizontally by a fixed tree; the `cols % width` tail is folded
//! in element by element as broadcasts, so padding never reaches a
//! reduction and the order of operations depends only on `cols`.

use super::{Combine, CpuEmitter, for_chunk, for_vectors};
use crate::elem::math;
use crate::{LayerNorm, Loc, Reduce, ReduceOp, Softmax};

/// Per-position work: gets the element index in the row and whether it is
/// a full vector (else one element, which must come back broadcast).
type Per<'b, E> = dyn FnMut(&mut E, <E as CpuEmitter>::Idx, bool) -> <E as crate::elem::Elem>::V + 'b;

/// Folds `per` over `cols` positions into one vector with the result in
/// every lane.
fn fold_row<E: CpuEmitter>(
    e: &mut E,
    cols: usize,
    init: f32,
    per: &mut Per<'_, E>,
    combine: &mut Combine<'_, E>,
) -> E::V {
    let w = e.width();
    let nv = cols / w;
    let i0 = E::carry_v(e.c(init));
    let acc = e.count_loop(nv / 2, &[i0, i0], &mut |e, i, s| {
        let j = e.idx_mul_c(i, 2 * w as i64);
        let v0 = per(e, j, true);
        let j1 = e.idx_add_c(j, w as i64);
        let v1 = per(e, j1, true);
        let a0 = combine(e, E::v_of(s[0]), v0);
        let a1 = combine(e, E::v_of(s[1]), v1);
        vec![E::carry_v(a0), E::carry_v(a1)]
    });
    let (mut a0, a1) = (E::v_of(acc[0]), E::v_of(acc[1]));
    if nv % 2 == 1 {
        let j = e.idx(((nv - 1) * w) as i64);
        let v = per(e, j, true);
        a0 = combine(e, a0, v);
    }
    let acc = combine(e, a0, a1);
    let mut acc = e.hreduce(acc, combine);
    for t in nv * w..cols {
        let j = e.idx(t as i64);
        let v = per(e, j, false);
        acc = combine(e, acc, v);
    }
    acc
}

/// Runs `per` (for its stores) over every position of a row.
fn sweep_row<E: CpuEmitter>(e: &mut E, cols: usize, per: &mut Per<'_, E>) {
    let w = e.width();
    super::for_count(e, cols / w, &mut |e, i| {
        let j = e.idx_mul_c(i, w as i64);
        per(e, j, true);
    });
    for t in (cols / w) * w..cols {
        let j = e.idx(t as i64);
        per(e, j, false);
    }
}

/// A vector at `p + j`, or element `p[j]` broadcast.
fn ld<E: CpuEmitter>(e: &mut E, p: E::Ptr, j: E::Idx, full: bool) -> E::V {
    let q = e.at(p, j, 1);
    if full {
        let w = e.width();
        e.load(q, 1, w)
    } else {
        e.load_splat(q)
    }
}

/// Stores a vector at `p + j`, or lane 0 at `p[j]`.
fn st<E: CpuEmitter>(e: &mut E, v: E::V, p: E::Ptr, j: E::Idx, full: bool) {
    let q = e.at(p, j, 1);
    let n = if full { e.width() } else { 1 };
    e.store(v, q, 1, n);
}

/// Rows `start..end`, each with its pointers into `bases` (`row` elements
/// apart).
fn for_rows<E: CpuEmitter>(e: &mut E, bases: &[Loc], row: i64, body: &mut dyn FnMut(&mut E, &[E::Ptr])) {
    let bases: Vec<E::Ptr> = bases.iter().map(|&l| e.base(l)).collect();
    for_chunk(e, &mut |e, r| {
        let ptrs: Vec<E::Ptr> = bases.iter().map(|&b| e.at(b, r, row)).collect();
        body(e, &ptrs);
    });
}

fn add<E: CpuEmitter>(e: &mut E, a: E::V, b: E::V) -> E::V {
    e.add(a, b)
}

/// Stores `exp(x − max)` of the `cols` floats at `xr` to `or` (which may be
/// `xr`) and returns `1 / Σ exp(x − max)` in every lane: softmax but for
/// the final scaling.
pub fn exp_row<E: CpuEmitter>(e: &mut E, xr: E::Ptr, or: E::Ptr, cols: usize) -> E::V {
    let mx = fold_row(e, cols, f32::NEG_INFINITY, &mut |e, j, full| ld(e, xr, j, full), &mut |e, a, b| e.max_num(a, b));
    let sum = fold_row(
        e,
        cols,
        0.0,
        &mut |e, j, full| {
            let v = ld(e, xr, j, full);
            let d = e.sub(v, mx);
            let x = math::exp(e, d);
            st(e, x, or, j, full);
            x
        },
        &mut add,
    );
    let one = e.c(1.0);
    e.div(one, sum)
}

/// A `Softmax` kernel (rows `start..end`).
pub fn softmax<E: CpuEmitter>(e: &mut E, k: &Softmax) {
    let cols = k.cols;
    if cols == 0 {
        return;
    }
    for_rows(e, &[k.x, k.out], cols as i64, &mut |e, p| {
        let or = p[1];
        let inv = exp_row(e, p[0], or, cols);
        sweep_row(e, cols, &mut |e, j, full| {
            let v = ld(e, or, j, full);
            let r = e.mul(v, inv);
            st(e, r, or, j, full);
            r
        });
    });
}

/// A `LayerNorm` kernel (rows `start..end`).
pub fn layer_norm<E: CpuEmitter>(e: &mut E, k: &LayerNorm) {
    let cols = k.cols;
    if cols == 0 {
        return;
    }
    let inv_n = 1.0 / cols as f32;
    let g = e.base(k.scale);
    let bp = k.bias.map(|b| e.base(b));
    for_rows(e, &[k.x, k.out], cols as i64, &mut |e, p| {
        let (xr, or) = (p[0], p[1]);
        let sum = fold_row(e, cols, 0.0, &mut |e, j, full| ld(e, xr, j, full), &mut add);
        let n = e.c(inv_n);
        let mean = e.mul(sum, n);
        let ss = fold_row(
            e,
            cols,
            0.0,
            &mut |e, j, full| {
                let v = ld(e, xr, j, full);
                let d = e.sub(v, mean);
                e.mul(d, d)
            },
            &mut add,
        );
        let eps = e.c(k.eps);
        let var = e.fma(ss, n, eps);
        let sd = e.sqrt(var);
        let one = e.c(1.0);
        let inv = e.div(one, sd);
        sweep_row(e, cols, &mut |e, j, full| {
            let v = ld(e, xr, j, full);
            let d = e.sub(v, mean);
            let d = e.mul(d, inv);
            let gv = ld(e, g, j, full);
            let y = match bp {
                Some(b) => {
                    let bv = ld(e, b, j, full);
                    e.fma(d, gv, bv)
                }
                None => e.mul(d, gv),
            };
            st(e, y, or, j, full);
            y
        });
    });
}

/// A `Reduce` kernel (outer indices `start..end`).
pub fn reduce<E: CpuEmitter>(e: &mut E, k: &Reduce) {
    let (op, reduce, inner) = (k.op, k.reduce, k.inner);
    if inner == 0 {
        return;
    }
    let (init, scale) = (op.identity(), op.finish_scale(reduce));
    let mut combine = move |e: &mut E, a: E::V, v: E::V| match op {
        ReduceOp::Sum | ReduceOp::Mean => e.add(a, v),
        ReduceOp::Max => e.max_num(a, v),
        ReduceOp::Min => e.min_num(a, v),
    };
    let finish = |e: &mut E, v: E::V| match scale {
        Some(s) => {
            let sv = e.c(s);
            e.mul(v, sv)
        }
        None => v,
    };
    let sb = e.base(k.src);
    let ob = e.base(k.out);
    for_chunk(e, &mut |e, o| {
        let sp = e.at(sb, o, (reduce * inner) as i64);
        let op = e.at(ob, o, inner as i64);
        if inner == 1 {
            let r = fold_row(e, reduce, init, &mut |e, j, full| ld(e, sp, j, full), &mut combine);
            let r = finish(e, r);
            e.store(r, op, 1, 1);
            return;
        }
        // A vector of inner positions at a time, the reduced axis as a loop.
        for_vectors(e, inner, &mut |e, i, n| {
            let col = e.at(sp, i, 1);
            let i0 = E::carry_v(e.c(init));
            let acc = e.count_loop(reduce, &[i0], &mut |e, rr, a| {
                let p = e.at(col, rr, inner as i64);
                let v = e.load(p, 1, n);
                vec![E::carry_v(combine(e, E::v_of(a[0]), v))]
            });
            let r = finish(e, E::v_of(acc[0]));
            let to = e.at(op, i, 1);
            e.store(r, to, 1, n);
        });
    });
}
