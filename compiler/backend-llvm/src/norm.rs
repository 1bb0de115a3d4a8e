//! Row kernels: `Softmax` (row max, `exp(x − max)` stored with its sum,
//! scale by the reciprocal), `LayerNorm` (two-pass mean and variance, then
//! normalise, scale, shift) and `Reduce` (sum / mean / max / min over the
//! middle axis).
//!
//! Rows are swept a vector at a time with two independent accumulators,
//! reduced horizontally by a fixed tree; the `cols % lanes` tail is folded
//! in element by element as broadcasts, so padding never reaches a
//! reduction and the order of operations depends only on `cols`.

use vitc_lower::{Loc, ReduceOp};

use crate::fx::{Fx, I, P, R, V};

/// Per-position work: gets the element index in the row and whether it is
/// a full vector (else one element, which must come back broadcast).
type Per<'b, 'a, 'c> = dyn FnMut(&mut Fx<'a, 'c>, I<'c>, bool) -> R<V<'c>> + 'b;
/// Lane-wise combine.
type Combine<'b, 'a, 'c> = dyn FnMut(&Fx<'a, 'c>, V<'c>, V<'c>) -> R<V<'c>> + 'b;

/// Folds `per` over `cols` positions into one vector with the result in
/// every lane.
fn fold_row<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    cols: usize,
    init: f32,
    per: &mut Per<'_, 'a, 'c>,
    combine: &mut Combine<'_, 'a, 'c>,
) -> R<V<'c>> {
    let w = fx.w();
    let nv = cols / w;
    let i0 = fx.splat(init);
    let st = fx.count_loop(nv / 2, &[i0.into(), i0.into()], &mut |fx, i, s| {
        let j = fx.mul_c(i, 2 * w as i64)?;
        let v0 = per(fx, j, true)?;
        let j1 = fx.add_c(j, w as i64)?;
        let v1 = per(fx, j1, true)?;
        let a0 = combine(fx, s[0].into_vector_value(), v0)?;
        let a1 = combine(fx, s[1].into_vector_value(), v1)?;
        Ok(vec![a0.into(), a1.into()])
    })?;
    let (mut a0, a1) = (st[0].into_vector_value(), st[1].into_vector_value());
    if nv % 2 == 1 {
        let v = per(fx, fx.ic(((nv - 1) * w) as i64), true)?;
        a0 = combine(fx, a0, v)?;
    }
    let acc = combine(fx, a0, a1)?;
    let mut acc = fx.hreduce(acc, &mut |fx, a, b| combine(fx, a, b))?;
    for t in nv * w..cols {
        let v = per(fx, fx.ic(t as i64), false)?;
        acc = combine(fx, acc, v)?;
    }
    Ok(acc)
}

/// Runs `per` (for its stores) over every position of a row.
fn sweep_row<'a, 'c>(fx: &mut Fx<'a, 'c>, cols: usize, per: &mut Per<'_, 'a, 'c>) -> R<()> {
    let w = fx.w();
    fx.count_loop(cols / w, &[], &mut |fx, i, _| {
        let j = fx.mul_c(i, w as i64)?;
        per(fx, j, true)?;
        Ok(vec![])
    })?;
    for t in (cols / w) * w..cols {
        per(fx, fx.ic(t as i64), false)?;
    }
    Ok(())
}

/// A vector at `p + j`, or element `p[j]` broadcast.
fn ld<'c>(fx: &Fx<'_, 'c>, p: P<'c>, j: I<'c>, full: bool) -> R<V<'c>> {
    let q = fx.gep(p, j)?;
    if full { fx.load(q) } else { fx.load_splat(q) }
}

/// Stores a vector at `p + j`, or lane 0 at `p[j]`.
fn st<'c>(fx: &Fx<'_, 'c>, v: V<'c>, p: P<'c>, j: I<'c>, full: bool) -> R<()> {
    let q = fx.gep(p, j)?;
    if full { fx.store(v, q) } else { fx.store_lane0(v, q) }
}

/// Rows `start..end`, each with its pointers into `bases` (`row` elements
/// apart).
fn for_rows<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    bases: &[Loc],
    row: i64,
    body: &mut dyn FnMut(&mut Fx<'a, 'c>, &[P<'c>]) -> R<()>,
) -> R<()> {
    let bases: Vec<P<'c>> = bases.iter().map(|&l| fx.ptr(l)).collect::<R<_>>()?;
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, r, _| {
        let ptrs: Vec<P<'c>> = bases.iter().map(|&b| fx.gep_s(b, r, row)).collect::<R<_>>()?;
        body(fx, &ptrs)?;
        Ok(vec![])
    })?;
    Ok(())
}

fn add<'c>(fx: &Fx<'_, 'c>, a: V<'c>, b: V<'c>) -> R<V<'c>> {
    fx.fadd(a, b)
}

/// Emits a `Softmax` kernel (rows `start..end`).
pub(crate) fn emit_softmax(fx: &mut Fx<'_, '_>, cols: usize, x: Loc, out: Loc) -> R<()> {
    if cols == 0 {
        return Ok(());
    }
    for_rows(fx, &[x, out], cols as i64, &mut |fx, p| {
        let (xr, or) = (p[0], p[1]);
        let mx = fold_row(fx, cols, f32::NEG_INFINITY, &mut |fx, j, full| ld(fx, xr, j, full), &mut |fx, a, b| {
            fx.vmax(a, b)
        })?;
        let sum = fold_row(
            fx,
            cols,
            0.0,
            &mut |fx, j, full| {
                let v = ld(fx, xr, j, full)?;
                let e = fx.exp(fx.fsub(v, mx)?)?;
                st(fx, e, or, j, full)?;
                Ok(e)
            },
            &mut add,
        )?;
        let inv = fx.fdiv(fx.splat(1.0), sum)?;
        sweep_row(fx, cols, &mut |fx, j, full| {
            let v = ld(fx, or, j, full)?;
            let r = fx.fmul(v, inv)?;
            st(fx, r, or, j, full)?;
            Ok(r)
        })
    })
}

/// Emits a `LayerNorm` kernel (rows `start..end`).
pub(crate) fn emit_layer_norm(
    fx: &mut Fx<'_, '_>,
    cols: usize,
    eps: f32,
    x: Loc,
    scale: Loc,
    bias: Option<Loc>,
    out: Loc,
) -> R<()> {
    if cols == 0 {
        return Ok(());
    }
    let inv_n = 1.0 / cols as f32;
    let g = fx.ptr(scale)?;
    let bp = bias.map(|b| fx.ptr(b)).transpose()?;
    for_rows(fx, &[x, out], cols as i64, &mut |fx, p| {
        let (xr, or) = (p[0], p[1]);
        let sum = fold_row(fx, cols, 0.0, &mut |fx, j, full| ld(fx, xr, j, full), &mut add)?;
        let n = fx.splat(inv_n);
        let mean = fx.fmul(sum, n)?;
        let ss = fold_row(
            fx,
            cols,
            0.0,
            &mut |fx, j, full| {
                let d = fx.fsub(ld(fx, xr, j, full)?, mean)?;
                fx.fmul(d, d)
            },
            &mut add,
        )?;
        let var = fx.madd(ss, n, fx.splat(eps))?;
        let sd = fx.intr("llvm.sqrt", &[var])?;
        let inv = fx.fdiv(fx.splat(1.0), sd)?;
        sweep_row(fx, cols, &mut |fx, j, full| {
            let d = fx.fsub(ld(fx, xr, j, full)?, mean)?;
            let d = fx.fmul(d, inv)?;
            let gv = ld(fx, g, j, full)?;
            let y = match bp {
                Some(b) => fx.madd(d, gv, ld(fx, b, j, full)?)?,
                None => fx.fmul(d, gv)?,
            };
            st(fx, y, or, j, full)?;
            Ok(y)
        })
    })
}

/// Emits a `Reduce` kernel (outer indices `start..end`).
pub(crate) fn emit_reduce<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    op: ReduceOp,
    reduce: usize,
    inner: usize,
    src: Loc,
    out: Loc,
) -> R<()> {
    if inner == 0 {
        return Ok(());
    }
    let (init, scale) = (op.identity(), op.finish_scale(reduce));
    let combine = move |fx: &Fx<'a, 'c>, a: V<'c>, v: V<'c>| -> R<V<'c>> {
        match op {
            ReduceOp::Sum | ReduceOp::Mean => fx.fadd(a, v),
            ReduceOp::Max => fx.vmax(a, v),
            ReduceOp::Min => fx.vmin(a, v),
        }
    };
    let finish = |fx: &Fx<'a, 'c>, v: V<'c>| -> R<V<'c>> {
        match scale {
            Some(s) => fx.fmul(v, fx.splat(s)),
            None => Ok(v),
        }
    };
    let sb = fx.ptr(src)?;
    let ob = fx.ptr(out)?;
    let (lo, hi) = (fx.start, fx.end);
    let w = fx.w();
    fx.range_loop(lo, hi, 1, &[], &mut |fx, o, _| {
        let sp = fx.gep_s(sb, o, (reduce * inner) as i64)?;
        let op_ = fx.gep_s(ob, o, inner as i64)?;
        if inner == 1 {
            let r =
                fold_row(fx, reduce, init, &mut |fx, j, full| ld(fx, sp, j, full), &mut |fx, a, v| combine(fx, a, v))?;
            let r = finish(fx, r)?;
            return fx.store_lane0(r, op_).map(|()| vec![]);
        }
        // A vector of inner positions at a time, the reduced axis as a loop.
        let lanes_group = |fx: &mut Fx<'a, 'c>, i: I<'c>, n: usize| -> R<()> {
            let col = fx.gep(sp, i)?;
            let acc = fx.count_loop(reduce, &[fx.splat(init).into()], &mut |fx, rr, a| {
                let v = fx.gather(fx.gep_s(col, rr, inner as i64)?, 1, n, w as u32)?;
                Ok(vec![combine(fx, a[0].into_vector_value(), v)?.into()])
            })?;
            let r = finish(fx, acc[0].into_vector_value())?;
            fx.scatter(r, fx.gep(op_, i)?, 1, n)
        };
        fx.count_loop(inner / w, &[], &mut |fx, i, _| {
            let j = fx.mul_c(i, w as i64)?;
            lanes_group(fx, j, w)?;
            Ok(vec![])
        })?;
        if !inner.is_multiple_of(w) {
            lanes_group(fx, fx.ic(((inner / w) * w) as i64), inner % w)?;
        }
        Ok(vec![])
    })?;
    Ok(())
}
