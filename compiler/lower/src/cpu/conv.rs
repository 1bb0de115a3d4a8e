//! Direct convolutions of one image: `Conv2d` (grouped; depthwise is the
//! common case, dense convolutions arrive as Im2col + Gemm) and
//! `ConvTranspose2d`.
//!
//! `Conv2d` computes each output row a vector of outputs at a time (see
//! [`super::window::sweep_out_row`]): per window tap a vector of inputs (a
//! plain load when the stride is 1, a gather otherwise), masked to zero
//! where the window row leaves the image, times the broadcast tap weight.
//! Depthwise weights (up to 5×5) are loaded once per channel.
//!
//! `ConvTranspose2d` goes one input element at a time: the output plane is
//! set to the bias, then every input element is scattered through the
//! window with branch-free masking (an outside tap adds 0 to a clamped
//! address).

use super::window::{sweep_out_row, tap_values, window_rows};
use super::{CpuEmitter, for_chunk, for_count};
use crate::{Conv2d, ConvTranspose2d, elem};

/// The group of output channel `o`.
fn group_of<E: CpuEmitter>(e: &mut E, o: E::Idx, per_group: usize, groups: usize) -> E::Idx {
    if groups == 1 { e.idx(0) } else { e.idx_div_c(o, per_group as i64) }
}

/// A `Conv2d` kernel (output channels `start..end`).
pub fn conv<E: CpuEmitter>(e: &mut E, k: &Conv2d) {
    let g = &k.geom;
    if g.oh == 0 || g.ow == 0 {
        return;
    }
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let plane = (g.h * g.w) as i64;
    let xb = e.base(k.x);
    let wb = e.base(k.w);
    let ob = e.base(k.out);
    let bb = k.bias.map(|b| e.base(b));
    let preload = cpg == 1 && taps <= 25;
    for_chunk(e, &mut |e, o| {
        let oc = e.at(ob, o, (g.oh * g.ow) as i64);
        let wp = e.at(wb, o, (cpg * taps) as i64);
        let grp = group_of(e, o, opg, g.groups);
        let xg = e.at(xb, grp, cpg as i64 * plane);
        let b = match bb {
            Some(bp) => {
                let p = e.at(bp, o, 1);
                e.load_splat(p)
            }
            None => e.c(0.0),
        };
        let wts: Vec<E::V> = if preload {
            (0..taps)
                .map(|t| {
                    let p = e.at_c(wp, t as i64);
                    e.load_splat(p)
                })
                .collect()
        } else {
            vec![]
        };
        for_count(e, g.oh, &mut |e, oy| {
            let wr = window_rows(e, g, xg, oy);
            let orow = e.at(oc, oy, g.ow as i64);
            sweep_out_row(e, g, orow, &mut |e, xoff, cols, n| {
                let zero = e.c(0.0);
                let one_channel = |e: &mut E, xoff: E::Idx, wp: E::Ptr, mut acc: E::V| {
                    for (ky, &row) in wr.rows.iter().enumerate() {
                        for &kx in cols {
                            let v = tap_values(e, g, row, xoff, kx, n, zero);
                            let t = ky * g.kw + kx;
                            let wv = if preload {
                                wts[t]
                            } else {
                                let p = e.at_c(wp, t as i64);
                                e.load_splat(p)
                            };
                            acc = e.fma(v, wv, acc);
                        }
                    }
                    acc
                };
                let acc = if cpg == 1 {
                    one_channel(e, xoff, wp, b)
                } else {
                    let r = e.count_loop(cpg, &[E::carry_v(b)], &mut |e, ci, c| {
                        let off = e.idx_mul_c(ci, plane);
                        let xo = e.idx_add(xoff, off);
                        let wc = e.at(wp, ci, taps as i64);
                        vec![E::carry_v(one_channel(e, xo, wc, E::v_of(c[0])))]
                    });
                    E::v_of(r[0])
                };
                elem::activation(e, k.act, acc)
            });
        });
    });
}

/// A `ConvTranspose2d` kernel (output channels `start..end`). Input
/// `c × oh × ow`, output `oc × h × w` (see the kernel docs).
pub fn conv_transpose<E: CpuEmitter>(e: &mut E, k: &ConvTranspose2d) {
    let g = &k.geom;
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let (ih, iw) = (g.oh, g.ow);
    let (oh, ow) = (g.h, g.w);
    let iplane = (ih * iw) as i64;
    let oplane = (oh * ow) as i64;
    if oplane == 0 {
        return;
    }
    let xb = e.base(k.x);
    let wb = e.base(k.w);
    let ob = e.base(k.out);
    let bb = k.bias.map(|b| e.base(b));
    for_chunk(e, &mut |e, o| {
        let op = e.at(ob, o, oplane);
        let b = match bb {
            Some(bp) => {
                let p = e.at(bp, o, 1);
                e.load_splat(p)
            }
            None => e.c(0.0),
        };
        for_count(e, oplane as usize, &mut |e, i| {
            let p = e.at(op, i, 1);
            e.store(b, p, 1, 1);
        });
        let grp = group_of(e, o, opg, g.groups);
        let first = e.idx_mul_c(grp, opg as i64);
        let oo = e.idx_sub(o, first);
        // x of the group's first channel; w[(ci_abs·opg + oo)·taps].
        let xg = e.at(xb, grp, cpg as i64 * iplane);
        let wg = e.at(wb, grp, (cpg * opg * taps) as i64);
        let wg = e.at(wg, oo, taps as i64);
        for_count(e, cpg, &mut |e, ci| {
            let xc = e.at(xg, ci, iplane);
            let wc = e.at(wg, ci, (opg * taps) as i64);
            let wts: Vec<E::V> = (0..taps)
                .map(|t| {
                    let p = e.at_c(wc, t as i64);
                    e.load_splat(p)
                })
                .collect();
            for_count(e, ih, &mut |e, iy| {
                let y0 = e.idx_mul_c(iy, g.stride_h as i64);
                let mut rows = Vec::with_capacity(g.kh);
                for ky in 0..g.kh {
                    let yy = e.idx_add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
                    let ok = e.below(yy, oh as i64);
                    let zero = e.idx(0);
                    let yc = e.idx_select(ok, yy, zero);
                    rows.push((e.at(op, yc, ow as i64), ok));
                }
                let xr = e.at(xc, iy, iw as i64);
                for_count(e, iw, &mut |e, ix| {
                    let xp = e.at(xr, ix, 1);
                    let xv = e.load_splat(xp);
                    let x0 = e.idx_mul_c(ix, g.stride_w as i64);
                    for kx in 0..g.kw {
                        let xx = e.idx_add_c(x0, (kx * g.dil_w) as i64 - g.pad_left as i64);
                        let okx = e.below(xx, ow as i64);
                        let zero = e.idx(0);
                        let xcl = e.idx_select(okx, xx, zero);
                        for (ky, &(rp, oky)) in rows.iter().enumerate() {
                            let ok = e.both(okx, oky);
                            let mask = e.mask_of_cond(ok);
                            let addr = e.at(rp, xcl, 1);
                            let prod = e.mul(xv, wts[ky * g.kw + kx]);
                            let z = e.c(0.0);
                            let prod = e.sel(mask, prod, z);
                            let cur = e.load(addr, 1, 1);
                            let sum = e.add(cur, prod);
                            e.store(sum, addr, 1, 1);
                        }
                    }
                });
            });
        });
    });
}
