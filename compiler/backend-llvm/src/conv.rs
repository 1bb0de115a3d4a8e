//! Direct convolutions of one image: `Conv2d` (grouped; depthwise is the
//! common case, dense convolutions arrive as Im2col + Gemm) and
//! `ConvTranspose2d`.
//!
//! `Conv2d` computes each output row a vector of outputs at a time (see
//! [`crate::window::sweep_out_row`]): per window tap a vector of inputs (a
//! plain load when the stride is 1, a gather otherwise), masked to zero
//! where the window row leaves the image, times the broadcast tap weight.
//! Depthwise weights (up to 5×5) are loaded once per channel.
//!
//! `ConvTranspose2d` is scalar: the output plane is set to the bias, then
//! every input element is scattered through the window with branch-free
//! masking (an outside tap adds 0 to a clamped address).

use inkwell::IntPredicate;
use vitc_lower::{Activation, Conv2dGeom, Loc};

use crate::fx::{Fx, I, P, R, V};
use crate::window::{sweep_out_row, tap_values, window_rows};

/// Emits a `Conv2d` kernel (output channels `start..end`).
pub(crate) fn emit_conv<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
    act: Activation,
) -> R<()> {
    if g.oh == 0 || g.ow == 0 {
        return Ok(());
    }
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let plane = (g.h * g.w) as i64;
    let xb = fx.ptr(x)?;
    let wb = fx.ptr(w)?;
    let ob = fx.ptr(out)?;
    let bb = bias.map(|b| fx.ptr(b)).transpose()?;
    let (lo, hi) = (fx.start, fx.end);
    let preload = cpg == 1 && taps <= 25;
    fx.range_loop(lo, hi, 1, &[], &mut |fx, o, _| {
        let oc = fx.gep_s(ob, o, (g.oh * g.ow) as i64)?;
        let wp = fx.gep_s(wb, o, (cpg * taps) as i64)?;
        let grp = if g.groups == 1 { fx.ic(0) } else { fx.udiv_c(o, opg as i64)? };
        let xg = fx.gep_s(xb, grp, cpg as i64 * plane)?;
        let b = match bb {
            Some(bp) => fx.load_splat(fx.gep(bp, o)?)?,
            None => fx.splat(0.0),
        };
        let wts: Vec<V<'c>> =
            if preload { (0..taps).map(|t| fx.load_splat(fx.gep_c(wp, t as i64)?)).collect::<R<_>>()? } else { vec![] };
        fx.count_loop(g.oh, &[], &mut |fx, oy, _| {
            let wr = window_rows(fx, g, xg, oy)?;
            let orow = fx.gep_s(oc, oy, g.ow as i64)?;
            sweep_out_row(fx, g, orow, &mut |fx, xoff, cols, n| {
                let zero = fx.splat(0.0);
                let one_channel = |fx: &mut Fx<'a, 'c>, xoff: I<'c>, wp: P<'c>, mut acc: V<'c>| -> R<V<'c>> {
                    for (ky, &row) in wr.rows.iter().enumerate() {
                        for &kx in cols {
                            let v = tap_values(fx, g, row, xoff, kx, n, zero)?;
                            let t = ky * g.kw + kx;
                            let wv = if preload { wts[t] } else { fx.load_splat(fx.gep_c(wp, t as i64)?)? };
                            acc = fx.madd(v, wv, acc)?;
                        }
                    }
                    Ok(acc)
                };
                let acc = if cpg == 1 {
                    one_channel(fx, xoff, wp, b)?
                } else {
                    let r = fx.count_loop(cpg, &[b.into()], &mut |fx, ci, c| {
                        let xo = fx.add(xoff, fx.mul_c(ci, plane)?)?;
                        let wc = fx.gep_s(wp, ci, taps as i64)?;
                        Ok(vec![one_channel(fx, xo, wc, c[0].into_vector_value())?.into()])
                    })?;
                    r[0].into_vector_value()
                };
                fx.activation(act, acc)
            })?;
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}

/// Emits a `ConvTranspose2d` kernel (output channels `start..end`). Input
/// `c × oh × ow`, output `oc × h × w` (see the kernel docs).
pub(crate) fn emit_conv_transpose(
    fx: &mut Fx<'_, '_>,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
) -> R<()> {
    let (cpg, opg) = (g.c / g.groups, g.oc / g.groups);
    let taps = g.kh * g.kw;
    let (ih, iw) = (g.oh, g.ow);
    let (oh, ow) = (g.h, g.w);
    let iplane = (ih * iw) as i64;
    let oplane = (oh * ow) as i64;
    if oplane == 0 {
        return Ok(());
    }
    let xb = fx.ptr(x)?;
    let wb = fx.ptr(w)?;
    let ob = fx.ptr(out)?;
    let bb = bias.map(|b| fx.ptr(b)).transpose()?;
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, o, _| {
        let op = fx.gep_s(ob, o, oplane)?;
        let b = match bb {
            Some(bp) => fx.load_f(fx.gep(bp, o)?)?,
            None => fx.f32t().const_float(0.0),
        };
        fx.count_loop(oplane as usize, &[], &mut |fx, i, _| {
            fx.store_f(b, fx.gep(op, i)?)?;
            Ok(vec![])
        })?;
        let grp = if g.groups == 1 { fx.ic(0) } else { fx.udiv_c(o, opg as i64)? };
        let oo = fx.sub(o, fx.mul_c(grp, opg as i64)?)?;
        // x of the group's first channel; w[(ci_abs·opg + oo)·taps].
        let xg = fx.gep_s(xb, grp, cpg as i64 * iplane)?;
        let wg = fx.gep_s(wb, grp, (cpg * opg * taps) as i64)?;
        let wg = fx.gep_s(wg, oo, taps as i64)?;
        fx.count_loop(cpg, &[], &mut |fx, ci, _| {
            let xc = fx.gep_s(xg, ci, iplane)?;
            let wc = fx.gep_s(wg, ci, (opg * taps) as i64)?;
            let wts: Vec<_> = (0..taps).map(|t| fx.load_f(fx.gep_c(wc, t as i64)?)).collect::<R<_>>()?;
            fx.count_loop(ih, &[], &mut |fx, iy, _| {
                let y0 = fx.mul_c(iy, g.stride_h as i64)?;
                let mut rows = Vec::with_capacity(g.kh);
                for ky in 0..g.kh {
                    let yy = fx.add_c(y0, (ky * g.dil_h) as i64 - g.pad_top as i64)?;
                    let ok = fx.icmp(IntPredicate::ULT, yy, fx.ic(oh as i64))?;
                    let yc = fx.isel(ok, yy, fx.ic(0))?;
                    rows.push((fx.gep_s(op, yc, ow as i64)?, ok));
                }
                let xr = fx.gep_s(xc, iy, iw as i64)?;
                fx.count_loop(iw, &[], &mut |fx, ix, _| {
                    let xv = fx.load_f(fx.gep(xr, ix)?)?;
                    let x0 = fx.mul_c(ix, g.stride_w as i64)?;
                    for kx in 0..g.kw {
                        let xx = fx.add_c(x0, (kx * g.dil_w) as i64 - g.pad_left as i64)?;
                        let okx = fx.icmp(IntPredicate::ULT, xx, fx.ic(ow as i64))?;
                        let xcl = fx.isel(okx, xx, fx.ic(0))?;
                        for (ky, &(rp, oky)) in rows.iter().enumerate() {
                            let ok = fx.b.build_and(okx, oky, "")?;
                            let addr = fx.gep(rp, xcl)?;
                            let prod = fx.b.build_float_mul(xv, wts[ky * g.kw + kx], "")?;
                            let z = fx.f32t().const_float(0.0);
                            let prod = fx.b.build_select(ok, prod, z, "")?.into_float_value();
                            let cur = fx.load_f(addr)?;
                            let sum = fx.b.build_float_add(cur, prod, "")?;
                            fx.store_f(sum, addr)?;
                        }
                    }
                    Ok(vec![])
                })?;
                Ok(vec![])
            })?;
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}
