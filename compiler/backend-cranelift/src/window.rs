//! Data-movement and window kernels: `Gather` (rows picked by a constant
//! u32 table), `Im2col` and `Pool2d`.
//!
//! Window kernels split each output row at compile time into a left border,
//! an interior (every window column inside the input, so no checks) and a
//! right border (columns checked at compile time). Row validity depends on
//! the chunk's run-time row index: im2col branches on it, pooling clamps the
//! row pointer and masks the loaded lanes.

use cranelift_codegen::ir::{InstBuilder, Value, condcodes::IntCC, types};
use vitc_lower::{Conv2dGeom, Loc, PoolKind};

use crate::emit::{EL, F32X4, Fx, I64};

pub(crate) use vitc_lower::{window_interior as interior, window_tap as tap};

/// Emits a `Gather` kernel (outer indices `start..end`).
pub(crate) fn emit_gather(fx: &mut Fx, src_axis: usize, inner: usize, indices: usize, table: Loc, src: Loc, out: Loc) {
    if inner == 0 || indices == 0 {
        return;
    }
    let inner_bytes = inner as i64 * EL;
    let tb = fx.ptr(table);
    let sb = fx.ptr(src);
    let ob = fx.ptr(out);
    let sp = fx.index(sb, fx.start, src_axis as i64 * inner_bytes);
    let op = fx.index(ob, fx.start, indices as i64 * inner_bytes);
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[sp, op], &mut |fx, _, s| {
        let end = fx.count_loop(indices, &[tb, s[1]], &mut |fx, _, t| {
            let ix = fx.load(types::I32, t[0], 0);
            let ix = fx.b.ins().uextend(I64, ix);
            let from = fx.index(s[0], ix, inner_bytes);
            let nv = inner / 4;
            let st = fx.count_loop(nv / 4, &[from, t[1]], &mut |fx, _, p| {
                for u in 0..4 {
                    let v = fx.load(F32X4, p[0], 16 * u);
                    fx.store(v, p[1], 16 * u);
                }
                vec![fx.add_imm(p[0], 64), fx.add_imm(p[1], 64)]
            });
            for u in 0..(nv % 4) as i64 {
                let v = fx.load(F32X4, st[0], 16 * u);
                fx.store(v, st[1], 16 * u);
            }
            let base = 16 * (nv % 4) as i64;
            for e in 0..(inner % 4) as i64 {
                let v = fx.load(types::F32, st[0], base + e * EL);
                fx.store(v, st[1], base + e * EL);
            }
            vec![fx.add_imm(t[0], 4), fx.add_imm(t[1], inner_bytes)]
        });
        let _ = end;
        vec![fx.add_imm(s[0], src_axis as i64 * inner_bytes), fx.add_imm(s[1], indices as i64 * inner_bytes)]
    });
}

/// Emits an `Im2col` kernel (output rows `oy` in `start..end`).
pub(crate) fn emit_im2col(fx: &mut Fx, g: &Conv2dGeom, x: Loc, out: Loc) {
    let ncols = g.c * g.kh * g.kw;
    if ncols == 0 || g.ow == 0 {
        return;
    }
    let col_bytes = ncols as i64 * EL;
    let row_bytes = g.ow as i64 * col_bytes;
    let xb = fx.ptr(x);
    let ob = fx.ptr(out);
    let o0 = fx.index(ob, fx.start, row_bytes);
    let (lo, hi) = (fx.start, fx.end);
    let (ilo, ihi) = interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    fx.range_loop(lo, hi, 1, &[o0], &mut |fx, oy, s| {
        let y0 = fx.mul_imm(oy, g.stride_h as i64);
        fx.count_loop(g.c, &[xb, s[0]], &mut |fx, _, t| {
            for ky in 0..g.kh {
                let iy = fx.add_imm(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
                let valid = fx.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, iy, g.h as i64);
                let base = (ky * g.kw) as i64 * EL;
                let (xc, oc) = (t[0], t[1]);
                fx.if_else(
                    valid,
                    &mut |fx| {
                        let xrow = fx.index(xc, iy, g.w as i64 * EL);
                        // Borders: taps checked at compile time.
                        for ox in (0..ilo).chain(ihi..g.ow) {
                            for kx in 0..g.kw {
                                let ix = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w);
                                let v = if ix >= 0 && (ix as usize) < g.w {
                                    fx.load(types::F32, xrow, ix * EL)
                                } else {
                                    fx.fconst(0.0)
                                };
                                fx.store(v, oc, base + ox as i64 * col_bytes + kx as i64 * EL);
                            }
                        }
                        // Interior: every tap inside.
                        let x0 = fx.add_imm(xrow, tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w) * EL);
                        let o0 = fx.add_imm(oc, base + ilo as i64 * col_bytes);
                        fx.count_loop(ihi - ilo, &[x0, o0], &mut |fx, _, p| {
                            for kx in 0..g.kw {
                                let v = fx.load(types::F32, p[0], (kx * g.dil_w) as i64 * EL);
                                fx.store(v, p[1], kx as i64 * EL);
                            }
                            vec![fx.add_imm(p[0], g.stride_w as i64 * EL), fx.add_imm(p[1], col_bytes)]
                        });
                    },
                    &mut |fx| {
                        let o0 = fx.add_imm(oc, base);
                        fx.count_loop(g.ow, &[o0], &mut |fx, _, p| {
                            let z = fx.fconst(0.0);
                            for kx in 0..g.kw {
                                fx.store(z, p[0], kx as i64 * EL);
                            }
                            vec![fx.add_imm(p[0], col_bytes)]
                        });
                    },
                );
            }
            vec![fx.add_imm(t[0], (g.h * g.w) as i64 * EL), fx.add_imm(t[1], (g.kh * g.kw) as i64 * EL)]
        });
        vec![fx.add_imm(s[0], row_bytes)]
    });
}

/// The rows of one output row's windows: per tap row `ky`, the input row
/// pointer (clamped into the image) and a lane mask that is all ones when
/// the row is really inside; plus the number of valid rows (i64).
pub(crate) struct WindowRows {
    pub rows: Vec<(Value, Value)>,
    pub valid: Value,
}

/// [`WindowRows`] of output row `oy` (run time) over the plane at `xc`.
pub(crate) fn window_rows(fx: &mut Fx, g: &Conv2dGeom, xc: Value, oy: Value) -> WindowRows {
    let y0 = fx.mul_imm(oy, g.stride_h as i64);
    let mut rows = Vec::with_capacity(g.kh);
    let mut valid = fx.iconst(0);
    for ky in 0..g.kh {
        let iy = fx.add_imm(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
        let ok = fx.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, iy, g.h as i64);
        let zero = fx.iconst(0);
        let iyc = fx.b.ins().select(ok, iy, zero);
        let rp = fx.index(xc, iyc, g.w as i64 * EL);
        let m = fx.lane_mask(ok);
        let ok64 = fx.b.ins().uextend(I64, ok);
        valid = fx.b.ins().iadd(valid, ok64);
        rows.push((rp, m));
    }
    WindowRows { rows, valid }
}

/// Computes `lanes` outputs: `(fx, xoff, taps, lanes)` (see
/// [`sweep_out_row`]).
pub(crate) type OutputsFn<'f, 'a, 'r> = dyn FnMut(&mut Fx<'a, 'r>, Value, &[usize], usize) -> Value + 'f;

/// Computes one output row at `orow`: `f(fx, xoff, taps, lanes)` returns
/// `lanes` consecutive outputs whose first window column starts `xoff` bytes
/// into each input row, using only the window columns `taps`. Borders go one
/// output at a time with the taps that fall inside; the interior four at a
/// time with all taps.
pub(crate) fn sweep_out_row<'a, 'r>(fx: &mut Fx<'a, 'r>, g: &Conv2dGeom, orow: Value, f: &mut OutputsFn<'_, 'a, 'r>) {
    let (ilo, ihi) = interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    for ox in (0..ilo).chain(ihi..g.ow) {
        let taps: Vec<usize> = (0..g.kw)
            .filter(|&kx| {
                let ix = tap(ox, kx, g.stride_w, g.pad_left, g.dil_w);
                ix >= 0 && (ix as usize) < g.w
            })
            .collect();
        let xoff = fx.iconst(tap(ox, 0, g.stride_w, g.pad_left, g.dil_w) * EL);
        let r = f(fx, xoff, &taps, 1);
        fx.store_lane0(r, orow, ox as i64 * EL);
    }
    let all: Vec<usize> = (0..g.kw).collect();
    let n = ihi - ilo;
    let xoff0 = fx.iconst(tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w) * EL);
    let op0 = fx.add_imm(orow, ilo as i64 * EL);
    let st = fx.count_loop(n / 4, &[xoff0, op0], &mut |fx, _, p| {
        let r = f(fx, p[0], &all, 4);
        fx.store(r, p[1], 0);
        vec![fx.add_imm(p[0], 4 * g.stride_w as i64 * EL), fx.add_imm(p[1], 16)]
    });
    if n % 4 > 0 {
        let r = f(fx, st[0], &all, n % 4);
        fx.store_partial(r, st[1], 0, n % 4);
    }
}

/// `lanes` window values of row `rp` (+ `xoff`), column `kx`, masked to
/// `fill` where the row is outside the image.
pub(crate) fn tap_values(
    fx: &mut Fx,
    g: &Conv2dGeom,
    row: (Value, Value),
    xoff: Value,
    kx: usize,
    lanes: usize,
    fill: Value,
) -> Value {
    let (rp, m) = row;
    let p = fx.b.ins().iadd(rp, xoff);
    let v = fx.gather4(p, (kx * g.dil_w) as i64 * EL, g.stride_w as i64 * EL, lanes);
    fx.select(m, v, fill)
}

/// Emits a `Pool2d` kernel (channels `start..end`).
pub(crate) fn emit_pool(fx: &mut Fx, kind: PoolKind, g: &Conv2dGeom, count_include_pad: bool, x: Loc, out: Loc) {
    if g.oh == 0 || g.ow == 0 {
        return;
    }
    let plane = (g.h * g.w) as i64 * EL;
    let oplane = (g.oh * g.ow) as i64 * EL;
    let xb = fx.ptr(x);
    let ob = fx.ptr(out);
    let x0 = fx.index(xb, fx.start, plane);
    let o0 = fx.index(ob, fx.start, oplane);
    let (lo, hi) = (fx.start, fx.end);
    let neutral = match kind {
        PoolKind::Max => f32::NEG_INFINITY,
        PoolKind::Avg => 0.0,
    };
    fx.range_loop(lo, hi, 1, &[x0, o0], &mut |fx, _, s| {
        let (xc, oc) = (s[0], s[1]);
        fx.count_loop(g.oh, &[oc], &mut |fx, oy, orow| {
            let wr = window_rows(fx, g, xc, oy);
            let vy = fx.b.ins().fcvt_from_sint(types::F32, wr.valid);
            let vy = fx.b.ins().splat(F32X4, vy);
            sweep_out_row(fx, g, orow[0], &mut |fx, xoff, taps, lanes| {
                let n = fx.splat(neutral);
                let mut acc = n;
                for &row in &wr.rows {
                    for &kx in taps {
                        let v = tap_values(fx, g, row, xoff, kx, lanes, n);
                        acc = match kind {
                            PoolKind::Max => fx.vmax(acc, v),
                            PoolKind::Avg => fx.b.ins().fadd(acc, v),
                        };
                    }
                }
                if kind == PoolKind::Avg {
                    let inv = if count_include_pad {
                        fx.splat(1.0 / (g.kh * g.kw) as f32)
                    } else {
                        let vx = fx.splat(taps.len() as f32);
                        let cnt = fx.b.ins().fmul(vy, vx);
                        let one = fx.splat(1.0);
                        fx.b.ins().fdiv(one, cnt)
                    };
                    acc = fx.b.ins().fmul(acc, inv);
                }
                acc
            });
            vec![fx.add_imm(orow[0], g.ow as i64 * EL)]
        });
        vec![fx.add_imm(xc, plane), fx.add_imm(oc, oplane)]
    });
}
