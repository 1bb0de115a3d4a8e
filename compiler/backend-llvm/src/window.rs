//! Data-movement and window kernels: `Gather` (rows picked by a constant
//! u32 table, copied with `llvm.memcpy`), `Im2col` and `Pool2d`, plus the
//! window helpers the convolutions share.
//!
//! Each output row of a window kernel is split at compile time into a left
//! border, an interior (every window column inside the input: a vector of
//! outputs at a time, no checks) and a right border (the taps inside known
//! at compile time). Row validity depends on the run-time output row: the
//! row pointer is clamped into the image and the loaded lanes masked.

use inkwell::IntPredicate;
use inkwell::values::BasicValueEnum;
use vitc_lower::{Conv2dGeom, Loc, PoolKind};

use crate::fx::{Fx, I, P, R, V};

pub(crate) use vitc_lower::{window_interior as interior, window_tap as tap};

/// Emits a `Gather` kernel (outer indices `start..end`).
pub(crate) fn emit_gather(
    fx: &mut Fx<'_, '_>,
    src_axis: usize,
    inner: usize,
    indices: usize,
    table: Loc,
    src: Loc,
    out: Loc,
) -> R<()> {
    if inner == 0 || indices == 0 {
        return Ok(());
    }
    let tb = fx.ptr(table)?;
    let sb = fx.ptr(src)?;
    let ob = fx.ptr(out)?;
    let (lo, hi) = (fx.start, fx.end);
    let bytes = fx.ic(inner as i64 * 4);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, o, _| {
        let sp = fx.gep_s(sb, o, (src_axis * inner) as i64)?;
        let op = fx.gep_s(ob, o, (indices * inner) as i64)?;
        fx.count_loop(indices, &[], &mut |fx, i, _| {
            let tp = fx.gep(tb, i)?;
            let ix = fx.b.build_load(fx.ctx.i32_type(), tp, "")?.into_int_value();
            let ix = fx.b.build_int_z_extend(ix, fx.i64t(), "")?;
            let from = fx.gep_s(sp, ix, inner as i64)?;
            let to = fx.gep_s(op, i, inner as i64)?;
            fx.b.build_memcpy(to, 4, from, 4, bytes)?;
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}

/// Emits an `Im2col` kernel (output rows `oy` in `start..end`).
pub(crate) fn emit_im2col(fx: &mut Fx<'_, '_>, g: &Conv2dGeom, x: Loc, out: Loc) -> R<()> {
    let ncols = g.c * g.kh * g.kw;
    if ncols == 0 || g.ow == 0 {
        return Ok(());
    }
    let row_len = (g.ow * ncols) as i64;
    let xb = fx.ptr(x)?;
    let ob = fx.ptr(out)?;
    let (lo, hi) = (fx.start, fx.end);
    let (ilo, ihi) = interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    let zero = fx.f32t().const_float(0.0);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, oy, _| {
        let orow = fx.gep_s(ob, oy, row_len)?;
        let y0 = fx.mul_c(oy, g.stride_h as i64)?;
        fx.count_loop(g.c, &[], &mut |fx, ci, _| {
            let xc = fx.gep_s(xb, ci, (g.h * g.w) as i64)?;
            let oc = fx.gep_s(orow, ci, (g.kh * g.kw) as i64)?;
            for ky in 0..g.kh {
                let iy = fx.add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64)?;
                let valid = fx.icmp(IntPredicate::ULT, iy, fx.ic(g.h as i64))?;
                let ok = fx.gep_c(oc, (ky * g.kw) as i64)?;
                fx.if_else(
                    valid,
                    &mut |fx| {
                        let xrow = fx.gep_s(xc, iy, g.w as i64)?;
                        for ox in (0..ilo).chain(ihi..g.ow) {
                            for kx in 0..g.kw {
                                let ix = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w);
                                let v =
                                    if ix >= 0 && (ix as usize) < g.w { fx.load_f(fx.gep_c(xrow, ix)?)? } else { zero };
                                fx.store_f(v, fx.gep_c(ok, (ox * ncols + kx) as i64)?)?;
                            }
                        }
                        let x0 = fx.gep_c(xrow, tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w))?;
                        let o0 = fx.gep_c(ok, (ilo * ncols) as i64)?;
                        fx.count_loop(ihi - ilo, &[], &mut |fx, i, _| {
                            let xp = fx.gep_s(x0, i, g.stride_w as i64)?;
                            let op = fx.gep_s(o0, i, ncols as i64)?;
                            for kx in 0..g.kw {
                                let v = fx.load_f(fx.gep_c(xp, (kx * g.dil_w) as i64)?)?;
                                fx.store_f(v, fx.gep_c(op, kx as i64)?)?;
                            }
                            Ok(vec![])
                        })?;
                        Ok(())
                    },
                    &mut |fx| {
                        fx.count_loop(g.ow, &[], &mut |fx, ox, _| {
                            let op = fx.gep_s(ok, ox, ncols as i64)?;
                            for kx in 0..g.kw {
                                fx.store_f(zero, fx.gep_c(op, kx as i64)?)?;
                            }
                            Ok(vec![])
                        })?;
                        Ok(())
                    },
                )?;
            }
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}

/// The rows of one output row's windows: per tap row `ky`, the input row
/// pointer (clamped into the image) and a lane mask, all true when the row
/// is inside; plus the number of valid rows (i64).
pub(crate) struct WindowRows<'c> {
    pub rows: Vec<(P<'c>, V<'c>)>,
    pub valid: I<'c>,
}

/// [`WindowRows`] of output row `oy` over the plane at `xc`.
pub(crate) fn window_rows<'c>(fx: &Fx<'_, 'c>, g: &Conv2dGeom, xc: P<'c>, oy: I<'c>) -> R<WindowRows<'c>> {
    let y0 = fx.mul_c(oy, g.stride_h as i64)?;
    let mut rows = Vec::with_capacity(g.kh);
    let mut valid = fx.ic(0);
    for ky in 0..g.kh {
        let iy = fx.add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64)?;
        let ok = fx.icmp(IntPredicate::ULT, iy, fx.ic(g.h as i64))?;
        let iyc = fx.isel(ok, iy, fx.ic(0))?;
        let rp = fx.gep_s(xc, iyc, g.w as i64)?;
        let m = fx.splat_bool(ok)?;
        let ok64 = fx.b.build_int_z_extend(ok, fx.i64t(), "")?;
        valid = fx.add(valid, ok64)?;
        rows.push((rp, m));
    }
    Ok(WindowRows { rows, valid })
}

/// Computes `n` outputs: `(fx, xoff, taps, n)`, see [`sweep_out_row`].
pub(crate) type OutputsFn<'f, 'a, 'c> = dyn FnMut(&mut Fx<'a, 'c>, I<'c>, &[usize], usize) -> R<V<'c>> + 'f;

/// Computes one output row at `orow`: `f(fx, xoff, taps, n)` returns `n`
/// consecutive outputs (in lanes `0..n`) whose first window column starts
/// `xoff` elements into each input row, using only the window columns
/// `taps`. Borders go one output at a time with the taps that fall inside;
/// the interior a vector at a time with all taps.
pub(crate) fn sweep_out_row<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    g: &Conv2dGeom,
    orow: P<'c>,
    f: &mut OutputsFn<'_, 'a, 'c>,
) -> R<()> {
    let (ilo, ihi) = interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    for ox in (0..ilo).chain(ihi..g.ow) {
        let taps: Vec<usize> = (0..g.kw)
            .filter(|&kx| {
                let ix = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w);
                ix >= 0 && (ix as usize) < g.w
            })
            .collect();
        let xoff = fx.ic(tap(ox, 0, g.stride_w, g.pad_left, g.dil_w));
        let r = f(fx, xoff, &taps, 1)?;
        fx.store_lane0(r, fx.gep_c(orow, ox as i64)?)?;
    }
    let all: Vec<usize> = (0..g.kw).collect();
    let n = ihi - ilo;
    let w = fx.w();
    let x0 = tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w);
    fx.count_loop(n / w, &[], &mut |fx, i, _| {
        let iw = fx.mul_c(i, w as i64)?;
        let xoff = fx.mul_c(iw, g.stride_w as i64)?;
        let xoff = fx.add_c(xoff, x0)?;
        let r = f(fx, xoff, &all, w)?;
        let o = fx.add_c(iw, ilo as i64)?;
        fx.store(r, fx.gep(orow, o)?)?;
        Ok(Vec::<BasicValueEnum<'c>>::new())
    })?;
    if !n.is_multiple_of(w) {
        let done = (n / w) * w;
        let xoff = fx.ic(x0 + (done * g.stride_w) as i64);
        let r = f(fx, xoff, &all, n % w)?;
        fx.scatter(r, fx.gep_c(orow, (ilo + done) as i64)?, 1, n % w)?;
    }
    Ok(())
}

/// `n` window values of `row` at `xoff`, column `kx`, masked to `fill`
/// where the row is outside the image.
pub(crate) fn tap_values<'c>(
    fx: &Fx<'_, 'c>,
    g: &Conv2dGeom,
    row: (P<'c>, V<'c>),
    xoff: I<'c>,
    kx: usize,
    n: usize,
    fill: V<'c>,
) -> R<V<'c>> {
    let (rp, m) = row;
    let p = fx.gep(rp, xoff)?;
    let p = fx.gep_c(p, (kx * g.dil_w) as i64)?;
    let v = fx.gather(p, g.stride_w as i64, n, fx.isa.lanes)?;
    fx.select(m, v, fill)
}

/// Emits a `Pool2d` kernel (channels `start..end`).
pub(crate) fn emit_pool(
    fx: &mut Fx<'_, '_>,
    kind: PoolKind,
    g: &Conv2dGeom,
    count_include_pad: bool,
    x: Loc,
    out: Loc,
) -> R<()> {
    if g.oh == 0 || g.ow == 0 {
        return Ok(());
    }
    let xb = fx.ptr(x)?;
    let ob = fx.ptr(out)?;
    let (lo, hi) = (fx.start, fx.end);
    let neutral = match kind {
        PoolKind::Max => f32::NEG_INFINITY,
        PoolKind::Avg => 0.0,
    };
    fx.range_loop(lo, hi, 1, &[], &mut |fx, ch, _| {
        let xc = fx.gep_s(xb, ch, (g.h * g.w) as i64)?;
        let oc = fx.gep_s(ob, ch, (g.oh * g.ow) as i64)?;
        fx.count_loop(g.oh, &[], &mut |fx, oy, _| {
            let wr = window_rows(fx, g, xc, oy)?;
            let vy = fx.b.build_signed_int_to_float(wr.valid, fx.f32t(), "")?;
            let vy = fx.splat_f(vy, fx.isa.lanes)?;
            let orow = fx.gep_s(oc, oy, g.ow as i64)?;
            sweep_out_row(fx, g, orow, &mut |fx, xoff, taps, n| {
                let fill = fx.splat(neutral);
                let mut acc = fill;
                for &row in &wr.rows {
                    for &kx in taps {
                        let v = tap_values(fx, g, row, xoff, kx, n, fill)?;
                        acc = match kind {
                            PoolKind::Max => {
                                // Keeps NaN, as the reference does.
                                let gt = fx.fcmp(crate::fx::Fp::UGT, v, acc)?;
                                fx.select(gt, v, acc)?
                            }
                            PoolKind::Avg => fx.fadd(acc, v)?,
                        };
                    }
                }
                if kind == PoolKind::Avg {
                    let inv = if count_include_pad {
                        fx.splat(1.0 / (g.kh * g.kw) as f32)
                    } else {
                        let cnt = fx.fmul(vy, fx.splat(taps.len() as f32))?;
                        fx.fdiv(fx.splat(1.0), cnt)?
                    };
                    acc = fx.fmul(acc, inv)?;
                }
                Ok(acc)
            })?;
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}
