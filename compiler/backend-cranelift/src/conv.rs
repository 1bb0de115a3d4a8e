//! Direct convolutions of one image: `Conv2d` (grouped, depthwise being
//! the common case) and `ConvTranspose2d`.
//!
//! `Conv2d` computes each output row four outputs at a time (see
//! [`crate::window::sweep_out_row`]): per window tap a vector of inputs
//! (a plain load when the stride is 1, a gather otherwise), masked to zero
//! where the window row leaves the image, times the broadcast tap weight.
//! Depthwise weights (up to 5×5) are loaded once per channel. Dense
//! convolutions are expected to arrive as Im2col + Gemm; here they loop over
//! the group's input channels inside each output vector.
//!
//! `ConvTranspose2d` is scalar: the output plane is set to the bias, then
//! every input element is scattered through the window with branch-free
//! masking (an outside tap adds 0 to a clamped address).

use cranelift_codegen::ir::{InstBuilder, Value, condcodes::IntCC, types};
use vitc_lower::{Activation, Conv2dGeom, Loc};

use crate::BackendError;
use crate::emit::{EL, F32X4, Fx};
use crate::window::{sweep_out_row, tap_values, window_rows};

/// The group of output channel `o` (run time).
fn group_of(fx: &mut Fx, o: Value, per_group: usize, groups: usize) -> Value {
    if groups == 1 {
        fx.iconst(0)
    } else if per_group == 1 {
        o
    } else {
        fx.b.ins().udiv_imm_s(o, per_group as i64)
    }
}

/// Emits a `Conv2d` kernel (output channels `start..end`).
pub(crate) fn emit_conv(
    fx: &mut Fx,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
    act: Activation,
) -> Result<(), BackendError> {
    if g.oh == 0 || g.ow == 0 {
        return Ok(());
    }
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let plane = (g.h * g.w) as i64 * EL;
    let oplane = (g.oh * g.ow) as i64 * EL;
    let w_per_o = (cpg * taps) as i64 * EL;
    let xb = fx.ptr(x);
    let wb = fx.ptr(w);
    let ob = fx.ptr(out);
    let bb = bias.map(|b| fx.ptr(b));
    let o0 = fx.index(ob, fx.start, oplane);
    let w0 = fx.index(wb, fx.start, w_per_o);
    let (lo, hi) = (fx.start, fx.end);
    let preload = cpg == 1 && taps <= 25;
    fx.range_loop(lo, hi, 1, &[o0, w0], &mut |fx, o, s| {
        let (oc, wp) = (s[0], s[1]);
        let grp = group_of(fx, o, opg, g.groups);
        let xg = fx.index(xb, grp, cpg as i64 * plane);
        let b = match bb {
            Some(bp) => {
                let v = fx.index(bp, o, EL);
                let v = fx.load(types::F32, v, 0);
                fx.b.ins().splat(F32X4, v)
            }
            None => fx.splat(0.0),
        };
        let wts: Vec<Value> = if preload {
            (0..taps)
                .map(|t| {
                    let v = fx.load(types::F32, wp, t as i64 * EL);
                    fx.b.ins().splat(F32X4, v)
                })
                .collect()
        } else {
            vec![]
        };
        fx.count_loop(g.oh, &[oc], &mut |fx, oy, orow| {
            let wr = window_rows(fx, g, xg, oy);
            sweep_out_row(fx, g, orow[0], &mut |fx, xoff, cols, lanes| {
                let zero = fx.splat(0.0);
                let one_channel = |fx: &mut Fx, xoff: Value, wp: Value, mut acc: Value| {
                    for (ky, &row) in wr.rows.iter().enumerate() {
                        for &kx in cols {
                            let v = tap_values(fx, g, row, xoff, kx, lanes, zero);
                            let t = ky * g.kw + kx;
                            let wv = if preload {
                                wts[t]
                            } else {
                                let s = fx.load(types::F32, wp, t as i64 * EL);
                                fx.b.ins().splat(F32X4, s)
                            };
                            acc = fx.madd(v, wv, acc);
                        }
                    }
                    acc
                };
                let acc = if cpg == 1 {
                    one_channel(fx, xoff, wp, b)
                } else {
                    let r = fx.count_loop(cpg, &[xoff, wp, b], &mut |fx, _, c| {
                        let acc = one_channel(fx, c[0], c[1], c[2]);
                        vec![fx.add_imm(c[0], plane), fx.add_imm(c[1], taps as i64 * EL), acc]
                    });
                    r[2]
                };
                vitc_lower::elem::activation(fx, act, acc)
            });
            vec![fx.add_imm(orow[0], g.ow as i64 * EL)]
        });
        vec![fx.add_imm(oc, oplane), fx.add_imm(wp, w_per_o)]
    });
    Ok(())
}

/// Emits a `ConvTranspose2d` kernel (output channels `start..end`). Input
/// `c × oh × ow`, output `oc × h × w` (see the kernel docs).
pub(crate) fn emit_conv_transpose(
    fx: &mut Fx,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
) -> Result<(), BackendError> {
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let (ih, iw) = (g.oh, g.ow);
    let (oh, ow) = (g.h, g.w);
    let iplane = (ih * iw) as i64 * EL;
    let oplane = (oh * ow) as i64 * EL;
    if oplane == 0 {
        return Ok(());
    }
    let xb = fx.ptr(x);
    let wb = fx.ptr(w);
    let ob = fx.ptr(out);
    let bb = bias.map(|b| fx.ptr(b));
    let o0 = fx.index(ob, fx.start, oplane);
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[o0], &mut |fx, o, s| {
        let op = s[0];
        // The plane starts as the bias.
        let b = match bb {
            Some(bp) => {
                let v = fx.index(bp, o, EL);
                fx.load(types::F32, v, 0)
            }
            None => fx.fconst(0.0),
        };
        fx.count_loop(oh * ow, &[op], &mut |fx, _, p| {
            fx.store(b, p[0], 0);
            vec![fx.add_imm(p[0], EL)]
        });
        let grp = group_of(fx, o, opg, g.groups);
        let oo = if g.groups == 1 {
            o
        } else {
            let t = fx.mul_imm(grp, opg as i64);
            fx.b.ins().isub(o, t)
        };
        // x of the group's first channel; w[(ci_abs·opg + oo)·taps].
        let xg = fx.index(xb, grp, cpg as i64 * iplane);
        let wg = fx.index(wb, grp, (cpg * opg * taps) as i64 * EL);
        let wg = fx.index(wg, oo, taps as i64 * EL);
        fx.count_loop(cpg, &[xg, wg], &mut |fx, _, cw| {
            let (xc, wc) = (cw[0], cw[1]);
            let wts: Vec<Value> = (0..taps).map(|t| fx.load(types::F32, wc, t as i64 * EL)).collect();
            fx.count_loop(ih, &[xc], &mut |fx, iy, xr| {
                let y0 = fx.mul_imm(iy, g.stride_h as i64);
                let rows: Vec<(Value, Value)> = (0..g.kh)
                    .map(|ky| {
                        let yy = fx.add_imm(y0, (ky * g.dil_h) as i64 - g.pad_top as i64);
                        let ok = fx.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, yy, oh as i64);
                        let zero = fx.iconst(0);
                        let yc = fx.b.ins().select(ok, yy, zero);
                        (fx.index(op, yc, ow as i64 * EL), ok)
                    })
                    .collect();
                fx.count_loop(iw, &[xr[0]], &mut |fx, ix, xp| {
                    let xv = fx.load(types::F32, xp[0], 0);
                    let x0 = fx.mul_imm(ix, g.stride_w as i64);
                    for kx in 0..g.kw {
                        let xx = fx.add_imm(x0, (kx * g.dil_w) as i64 - g.pad_left as i64);
                        let okx = fx.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, xx, ow as i64);
                        let zero = fx.iconst(0);
                        let xc = fx.b.ins().select(okx, xx, zero);
                        let xc = fx.mul_imm(xc, EL);
                        for (ky, &(rp, oky)) in rows.iter().enumerate() {
                            let ok = fx.b.ins().band(okx, oky);
                            let addr = fx.b.ins().iadd(rp, xc);
                            let prod = fx.b.ins().fmul(xv, wts[ky * g.kw + kx]);
                            let z = fx.fconst(0.0);
                            let prod = fx.b.ins().select(ok, prod, z);
                            let cur = fx.load(types::F32, addr, 0);
                            let sum = fx.b.ins().fadd(cur, prod);
                            fx.store(sum, addr, 0);
                        }
                    }
                    vec![fx.add_imm(xp[0], EL)]
                });
                vec![fx.add_imm(xr[0], iw as i64 * EL)]
            });
            vec![fx.add_imm(xc, iplane), fx.add_imm(wc, (opg * taps) as i64 * EL)]
        });
        vec![fx.add_imm(op, oplane)]
    });
    Ok(())
}
