//! Row kernels: `Softmax` (max, `exp(x − max)` stored with its sum, scale),
//! `LayerNorm` (two-pass mean and variance, then normalise, scale, shift)
//! and `Reduce` (sum / mean / max / min over the middle axis).
//!
//! Rows are swept four lanes at a time with two independent accumulators;
//! the `cols % 4` tail is folded in element by element (as broadcasts, so
//! padding lanes never reach a reduction).

use cranelift_codegen::ir::{InstBuilder, Value, types::F32};
use vitc_lower::{Loc, ReduceOp};

use crate::emit::{EL, F32X4, Fx};

/// Per-position work: gets the row pointers, a byte offset from them and
/// the lane count (4, or 1 for a tail element, which must come back
/// broadcast to all lanes).
type Per<'c> = &'c mut dyn FnMut(&mut Fx, &[Value], i64, usize) -> Value;
/// Lane-wise combine of an accumulator with one vector.
type Combine<'c> = &'c mut dyn FnMut(&mut Fx, Value, Value) -> Value;
/// Combines the four lanes into every lane.
type Horiz<'c> = &'c mut dyn FnMut(&mut Fx, Value) -> Value;

/// Loads four floats (or one, broadcast) at `ptr + off`.
pub(crate) fn ld(fx: &mut Fx, ptr: Value, off: i64, lanes: usize) -> Value {
    if lanes == 4 {
        fx.load(F32X4, ptr, off)
    } else {
        let s = fx.load(F32, ptr, off);
        fx.b.ins().splat(F32X4, s)
    }
}

/// Stores four lanes (or lane 0).
pub(crate) fn st(fx: &mut Fx, v: Value, ptr: Value, off: i64, lanes: usize) {
    if lanes == 4 {
        fx.store(v, ptr, off);
    } else {
        fx.store_lane0(v, ptr, off);
    }
}

/// Folds `per` over the `cols` positions of a row (pointers `ptrs` all move
/// in step) into one vector holding the result in every lane.
pub(crate) fn fold_row(
    fx: &mut Fx,
    ptrs: &[Value],
    cols: usize,
    init: f32,
    per: Per,
    combine: Combine,
    horiz: Horiz,
) -> Value {
    let np = ptrs.len();
    let nv = cols / 4;
    let i0 = fx.splat(init);
    let mut state = ptrs.to_vec();
    state.extend([i0, i0]);
    let out = fx.count_loop(nv / 2, &state, &mut |fx, _, s| {
        let v0 = per(fx, &s[..np], 0, 4);
        let v1 = per(fx, &s[..np], 16, 4);
        let a0 = combine(fx, s[np], v0);
        let a1 = combine(fx, s[np + 1], v1);
        let mut next: Vec<Value> = s[..np].iter().map(|&p| fx.add_imm(p, 32)).collect();
        next.extend([a0, a1]);
        next
    });
    let (p, mut a0, a1) = (&out[..np], out[np], out[np + 1]);
    if nv % 2 == 1 {
        let v = per(fx, p, 0, 4);
        a0 = combine(fx, a0, v);
    }
    let acc = combine(fx, a0, a1);
    let mut acc = horiz(fx, acc);
    let base = (nv % 2) as i64 * 16;
    for t in 0..(cols % 4) as i64 {
        let v = per(fx, p, base + t * EL, 1);
        acc = combine(fx, acc, v);
    }
    acc
}

/// Runs `per` (for its stores) over every position of a row.
fn sweep_row(fx: &mut Fx, ptrs: &[Value], cols: usize, per: Per) {
    let np = ptrs.len();
    let out = fx.count_loop(cols / 8, ptrs, &mut |fx, _, s| {
        per(fx, s, 0, 4);
        per(fx, s, 16, 4);
        s.iter().map(|&p| fx.add_imm(p, 32)).collect()
    });
    let p = &out[..np];
    let mut off = 0;
    if cols % 8 >= 4 {
        per(fx, p, 0, 4);
        off = 16;
    }
    for t in 0..(cols % 4) as i64 {
        per(fx, p, off + t * EL, 1);
    }
}

fn add(fx: &mut Fx, a: Value, b: Value) -> Value {
    fx.b.ins().fadd(a, b)
}

/// Row pointers of the chunk's first row for each base, then a loop over
/// rows `start..end` with the pointers advancing by `row_bytes`.
fn for_rows(fx: &mut Fx, bases: &[Loc], row_bytes: i64, body: &mut dyn FnMut(&mut Fx, &[Value])) {
    let ptrs: Vec<Value> = bases
        .iter()
        .map(|&l| {
            let b = fx.ptr(l);
            fx.index(b, fx.start, row_bytes)
        })
        .collect();
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &ptrs, &mut |fx, _, s| {
        body(fx, s);
        s.iter().map(|&p| fx.add_imm(p, row_bytes)).collect()
    });
}

/// Emits a `Softmax` kernel (rows `start..end`).
pub(crate) fn emit_softmax(fx: &mut Fx, cols: usize, x: Loc, out: Loc) {
    if cols == 0 {
        return;
    }
    for_rows(fx, &[x, out], cols as i64 * EL, &mut |fx, s| {
        let mx = fold_row(
            fx,
            &s[..1],
            cols,
            f32::NEG_INFINITY,
            &mut |fx, p, off, lanes| ld(fx, p[0], off, lanes),
            &mut |fx, a, v| fx.vmax(a, v),
            &mut |fx, v| fx.hmax(v),
        );
        // e = exp(x − max), stored, and summed.
        let sum = fold_row(
            fx,
            s,
            cols,
            0.0,
            &mut |fx, p, off, lanes| {
                let v = ld(fx, p[0], off, lanes);
                let d = fx.b.ins().fsub(v, mx);
                let e = vitc_lower::elem::math::exp(fx, d);
                st(fx, e, p[1], off, lanes);
                e
            },
            &mut add,
            &mut |fx, v| fx.hsum(v),
        );
        let one = fx.splat(1.0);
        let inv = fx.b.ins().fdiv(one, sum);
        sweep_row(fx, &s[1..], cols, &mut |fx, p, off, lanes| {
            let v = ld(fx, p[0], off, lanes);
            let r = fx.b.ins().fmul(v, inv);
            st(fx, r, p[0], off, lanes);
            r
        });
    });
}

/// Emits a `LayerNorm` kernel (rows `start..end`).
pub(crate) fn emit_layer_norm(fx: &mut Fx, cols: usize, eps: f32, x: Loc, scale: Loc, bias: Option<Loc>, out: Loc) {
    if cols == 0 {
        return;
    }
    let inv_n = 1.0 / cols as f32;
    for_rows(fx, &[x, out], cols as i64 * EL, &mut |fx, s| {
        let sum =
            fold_row(fx, &s[..1], cols, 0.0, &mut |fx, p, off, l| ld(fx, p[0], off, l), &mut add, &mut |fx, v| {
                fx.hsum(v)
            });
        let n = fx.splat(inv_n);
        let mean = fx.b.ins().fmul(sum, n);
        let ss = fold_row(
            fx,
            &s[..1],
            cols,
            0.0,
            &mut |fx, p, off, lanes| {
                let v = ld(fx, p[0], off, lanes);
                let d = fx.b.ins().fsub(v, mean);
                fx.b.ins().fmul(d, d)
            },
            &mut add,
            &mut |fx, v| fx.hsum(v),
        );
        let e = fx.splat(eps);
        let var = fx.madd(ss, n, e);
        let sd = fx.b.ins().sqrt(var);
        let one = fx.splat(1.0);
        let inv = fx.b.ins().fdiv(one, sd);
        let mut ptrs = vec![s[0], s[1], fx.ptr(scale)];
        if let Some(b) = bias {
            ptrs.push(fx.ptr(b));
        }
        sweep_row(fx, &ptrs, cols, &mut |fx, p, off, lanes| {
            let v = ld(fx, p[0], off, lanes);
            let d = fx.b.ins().fsub(v, mean);
            let d = fx.b.ins().fmul(d, inv);
            let g = ld(fx, p[2], off, lanes);
            let y = if p.len() > 3 {
                let bv = ld(fx, p[3], off, lanes);
                fx.madd(d, g, bv)
            } else {
                fx.b.ins().fmul(d, g)
            };
            st(fx, y, p[1], off, lanes);
            y
        });
    });
}

/// Emits a `Reduce` kernel (outer indices `start..end`).
pub(crate) fn emit_reduce(fx: &mut Fx, op: ReduceOp, reduce: usize, inner: usize, src: Loc, out: Loc) {
    if inner == 0 {
        return;
    }
    let (init, scale) = (op.identity(), op.finish_scale(reduce));
    let mut combine = move |fx: &mut Fx, a: Value, v: Value| match op {
        ReduceOp::Sum | ReduceOp::Mean => fx.b.ins().fadd(a, v),
        ReduceOp::Max => fx.vmax(a, v),
        ReduceOp::Min => fx.vmin(a, v),
    };
    let finish = |fx: &mut Fx, v: Value| match scale {
        Some(s) => {
            let sv = fx.splat(s);
            fx.b.ins().fmul(v, sv)
        }
        None => v,
    };
    let src_row = (reduce * inner) as i64 * EL;
    let sb = fx.ptr(src);
    let ob = fx.ptr(out);
    let sp = fx.index(sb, fx.start, src_row);
    let op_ = fx.index(ob, fx.start, inner as i64 * EL);
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[sp, op_], &mut |fx, _, s| {
        if inner == 1 {
            // A contiguous run of `reduce` floats.
            let r = fold_row(
                fx,
                &s[..1],
                reduce,
                init,
                &mut |fx, p, off, l| ld(fx, p[0], off, l),
                &mut combine,
                &mut |fx, v| match op {
                    ReduceOp::Sum | ReduceOp::Mean => fx.hsum(v),
                    ReduceOp::Max => fx.hmax(v),
                    ReduceOp::Min => fx.hmin(v),
                },
            );
            let r = finish(fx, r);
            fx.store_lane0(r, s[1], 0);
        } else {
            // Four inner positions at a time, the reduced axis as a loop.
            let inner_bytes = inner as i64 * EL;
            let group = |fx: &mut Fx, sp: Value, op: Value, lanes: usize| {
                let i0 = fx.splat(init);
                let acc = fx.count_loop(reduce, &[sp, i0], &mut |fx, _, t| {
                    let v = fx.load_partial(t[0], 0, lanes);
                    let a = combine(fx, t[1], v);
                    vec![fx.add_imm(t[0], inner_bytes), a]
                });
                let r = finish(fx, acc[1]);
                fx.store_partial(r, op, 0, lanes);
            };
            let ends = fx.count_loop(inner / 4, &[s[0], s[1]], &mut |fx, _, t| {
                group(fx, t[0], t[1], 4);
                vec![fx.add_imm(t[0], 16), fx.add_imm(t[1], 16)]
            });
            if !inner.is_multiple_of(4) {
                group(fx, ends[0], ends[1], inner % 4);
            }
        }
        vec![fx.add_imm(s[0], src_row), fx.add_imm(s[1], inner as i64 * EL)]
    });
}
