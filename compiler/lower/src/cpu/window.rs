//! Data-movement and window kernels: `Gather` (rows picked by a constant
//! u32 table), `Im2col` and `Pool2d`, plus the window sweep the
//! convolutions share.
//!
//! Each output row of a window kernel is split at compile time into a left
//! border, an interior (every window column inside the input: a vector of
//! outputs at a time, no checks) and a right border (the taps inside known
//! at compile time). Row validity depends on the run-time output row: the
//! row pointer is clamped into the image and the loaded lanes masked
//! (im2col branches instead, as it only copies).

use super::{CpuEmitter, for_chunk, for_count, for_vectors};
use crate::elem::Cmp;
use crate::{Conv2dGeom, Gather, Loc, Pool2d, PoolKind, window_interior, window_tap};

/// A `Gather` kernel (outer indices `start..end`).
pub fn gather<E: CpuEmitter>(e: &mut E, k: &Gather) {
    let (src_axis, inner, indices) = (k.src_axis, k.inner, k.indices);
    if inner == 0 || indices == 0 {
        return;
    }
    let tb = e.base(k.table);
    let sb = e.base(k.src);
    let ob = e.base(k.out);
    for_chunk(e, &mut |e, o| {
        let sp = e.at(sb, o, (src_axis * inner) as i64);
        let op = e.at(ob, o, (indices * inner) as i64);
        for_count(e, indices, &mut |e, i| {
            let tp = e.at(tb, i, 1);
            let ix = e.load_index(tp);
            let from = e.at(sp, ix, inner as i64);
            let to = e.at(op, i, inner as i64);
            e.copy(to, from, inner);
        });
    });
}

/// Whether window column `kx` of output column `ox` lies inside the row.
fn tap_inside(g: &Conv2dGeom, ox: usize, kx: usize) -> Option<i64> {
    let ix = window_tap(ox, kx, g.stride_w, g.pad_left, g.dil_w);
    (ix >= 0 && (ix as usize) < g.w).then_some(ix)
}

/// An `Im2col` kernel (output rows `oy` in `start..end`).
pub fn im2col<E: CpuEmitter>(e: &mut E, g: &Conv2dGeom, x: Loc, out: Loc) {
    let ncols = g.c * g.kh * g.kw;
    if ncols == 0 || g.ow == 0 {
        return;
    }
    let row_len = (g.ow * ncols) as i64;
    let xb = e.base(x);
    let ob = e.base(out);
    let (ilo, ihi) = window_interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    for_chunk(e, &mut |e, oy| {
        let orow = e.at(ob, oy, row_len);
        let y0 = e.idx_mul_c(oy, g.stride_h as i64);
        for_count(e, g.c, &mut |e, ci| {
            let xc = e.at(xb, ci, (g.h * g.w) as i64);
            let oc = e.at(orow, ci, (g.kh * g.kw) as i64);
            for ky in 0..g.kh {
                let iy = e.idx_add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
                let valid = e.below(iy, g.h as i64);
                let ok = e.at_c(oc, (ky * g.kw) as i64);
                e.if_else(
                    valid,
                    &mut |e| {
                        let xrow = e.at(xc, iy, g.w as i64);
                        for ox in (0..ilo).chain(ihi..g.ow) {
                            for kx in 0..g.kw {
                                let v = match tap_inside(g, ox, kx) {
                                    Some(ix) => {
                                        let p = e.at_c(xrow, ix);
                                        e.load(p, 1, 1)
                                    }
                                    None => e.c(0.0),
                                };
                                let to = e.at_c(ok, (ox * ncols + kx) as i64);
                                e.store(v, to, 1, 1);
                            }
                        }
                        let x0 = e.at_c(xrow, window_tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w));
                        let o0 = e.at_c(ok, (ilo * ncols) as i64);
                        for_count(e, ihi - ilo, &mut |e, i| {
                            let xp = e.at(x0, i, g.stride_w as i64);
                            let op = e.at(o0, i, ncols as i64);
                            for kx in 0..g.kw {
                                let p = e.at_c(xp, (kx * g.dil_w) as i64);
                                let v = e.load(p, 1, 1);
                                let to = e.at_c(op, kx as i64);
                                e.store(v, to, 1, 1);
                            }
                        });
                    },
                    &mut |e| {
                        let zero = e.c(0.0);
                        for_count(e, g.ow, &mut |e, ox| {
                            let op = e.at(ok, ox, ncols as i64);
                            for kx in 0..g.kw {
                                let to = e.at_c(op, kx as i64);
                                e.store(zero, to, 1, 1);
                            }
                        });
                    },
                );
            }
        });
    });
}

/// The rows of one output row's windows: per tap row `ky`, the input row
/// pointer (clamped into the image) and a lane mask, all true when the row
/// is inside; plus the number of valid rows.
pub struct WindowRows<E: CpuEmitter> {
    pub rows: Vec<(E::Ptr, E::M)>,
    pub valid: E::Idx,
}

/// [`WindowRows`] of output row `oy` over the plane at `xc`.
pub fn window_rows<E: CpuEmitter>(e: &mut E, g: &Conv2dGeom, xc: E::Ptr, oy: E::Idx) -> WindowRows<E> {
    let y0 = e.idx_mul_c(oy, g.stride_h as i64);
    let mut rows = Vec::with_capacity(g.kh);
    let mut valid = e.idx(0);
    for ky in 0..g.kh {
        let iy = e.idx_add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
        let ok = e.below(iy, g.h as i64);
        let zero = e.idx(0);
        let iyc = e.idx_select(ok, iy, zero);
        let rp = e.at(xc, iyc, g.w as i64);
        let m = e.mask_of_cond(ok);
        let one = e.idx_of_cond(ok);
        valid = e.idx_add(valid, one);
        rows.push((rp, m));
    }
    WindowRows { rows, valid }
}

/// Computes `n` outputs: `(e, xoff, taps, n)`, see [`sweep_out_row`].
pub type OutputsFn<'f, E> =
    dyn FnMut(&mut E, <E as CpuEmitter>::Idx, &[usize], usize) -> <E as crate::elem::Elem>::V + 'f;

/// Computes one output row at `orow`: `f(e, xoff, taps, n)` returns `n`
/// consecutive outputs (in lanes `0..n`) whose first window column starts
/// `xoff` elements into each input row, using only the window columns
/// `taps`. Borders go one output at a time with the taps that fall inside;
/// the interior a vector at a time with all taps.
pub fn sweep_out_row<E: CpuEmitter>(e: &mut E, g: &Conv2dGeom, orow: E::Ptr, f: &mut OutputsFn<'_, E>) {
    let (ilo, ihi) = window_interior(g.ow, g.w, g.kw, g.stride_w, g.pad_left, g.dil_w);
    for ox in (0..ilo).chain(ihi..g.ow) {
        let taps: Vec<usize> = (0..g.kw).filter(|&kx| tap_inside(g, ox, kx).is_some()).collect();
        let xoff = e.idx(window_tap(ox, 0, g.stride_w, g.pad_left, g.dil_w));
        let r = f(e, xoff, &taps, 1);
        let to = e.at_c(orow, ox as i64);
        e.store(r, to, 1, 1);
    }
    let all: Vec<usize> = (0..g.kw).collect();
    let x0 = window_tap(ilo, 0, g.stride_w, g.pad_left, g.dil_w);
    let o0 = e.at_c(orow, ilo as i64);
    for_vectors(e, ihi - ilo, &mut |e, i, n| {
        let xoff = e.idx_mul_c(i, g.stride_w as i64);
        let xoff = e.idx_add_c(xoff, x0);
        let r = f(e, xoff, &all, n);
        let to = e.at(o0, i, 1);
        e.store(r, to, 1, n);
    });
}

/// `n` window values of `row` at `xoff`, column `kx`, set to `fill` where
/// the row is outside the image.
pub fn tap_values<E: CpuEmitter>(
    e: &mut E,
    g: &Conv2dGeom,
    row: (E::Ptr, E::M),
    xoff: E::Idx,
    kx: usize,
    n: usize,
    fill: E::V,
) -> E::V {
    let (rp, m) = row;
    let p = e.at(rp, xoff, 1);
    let p = e.at_c(p, (kx * g.dil_w) as i64);
    let v = e.load(p, g.stride_w as i64, n);
    e.sel(m, v, fill)
}

/// A `Pool2d` kernel (channels `start..end`).
pub fn pool<E: CpuEmitter>(e: &mut E, k: &Pool2d) {
    let (kind, g) = (k.kind, &k.geom);
    if g.oh == 0 || g.ow == 0 {
        return;
    }
    let xb = e.base(k.x);
    let ob = e.base(k.out);
    let neutral = match kind {
        PoolKind::Max => f32::NEG_INFINITY,
        PoolKind::Avg => 0.0,
    };
    for_chunk(e, &mut |e, ch| {
        let xc = e.at(xb, ch, (g.h * g.w) as i64);
        let oc = e.at(ob, ch, (g.oh * g.ow) as i64);
        for_count(e, g.oh, &mut |e, oy| {
            let wr = window_rows(e, g, xc, oy);
            let vy = e.float_of_idx(wr.valid);
            let orow = e.at(oc, oy, g.ow as i64);
            sweep_out_row(e, g, orow, &mut |e, xoff, taps, n| {
                let fill = e.c(neutral);
                let mut acc = fill;
                for &row in &wr.rows {
                    for &kx in taps {
                        let v = tap_values(e, g, row, xoff, kx, n, fill);
                        acc = match kind {
                            // `v` unless `v ≤ acc`: a NaN is kept, as the reference does.
                            PoolKind::Max => {
                                let le = e.cmp(Cmp::Le, v, acc);
                                e.sel(le, acc, v)
                            }
                            PoolKind::Avg => e.add(acc, v),
                        };
                    }
                }
                if kind == PoolKind::Avg {
                    let inv = if k.count_include_pad {
                        e.c(1.0 / (g.kh * g.kw) as f32)
                    } else {
                        let t = e.c(taps.len() as f32);
                        let cnt = e.mul(vy, t);
                        let one = e.c(1.0);
                        e.div(one, cnt)
                    };
                    acc = e.mul(acc, inv);
                }
                acc
            });
        });
    });
}
