//! Window kernels on one image, a thread per output element: direct
//! `Conv2d` (grouped and depthwise), `Im2col`, `Pool2d` and
//! `ConvTranspose2d`. Taps are unrolled with constant address offsets from
//! one per-thread base pointer when the window has at most [`UNROLL_TAPS`]
//! taps, and walked by loops otherwise; a tap outside the image is skipped
//! (its load is predicated off).

use crate::emit::{Body, D, F, P, R};
use crate::error::PtxError;
use crate::launch::{Ctx, Launch, fits, grid_stride, split};
use vitc_lower::elem::Elem;
use vitc_lower::{Activation, Conv2dGeom, Loc, PoolKind};

/// Windows with more taps than this are walked by loops.
const UNROLL_TAPS: usize = 64;

fn check(g: &Conv2dGeom) -> Result<(), PtxError> {
    if g.groups == 0
        || !g.c.is_multiple_of(g.groups)
        || !g.oc.is_multiple_of(g.groups)
        || g.stride_h == 0
        || g.stride_w == 0
    {
        return Err(PtxError::Invalid(format!("invalid geometry {g:?}")));
    }
    fits(g.c * g.h * g.w, "window input")?;
    fits(g.oc * g.oh * g.ow, "window output")?;
    fits(g.c * g.kh * g.kw * g.oh * g.ow, "window size")?;
    Ok(())
}

/// `v < size` as unsigned (so negative coordinates fail too).
fn inside(b: &mut Body, v: R, size: usize) -> P {
    b.setp("lt.u32", v, size)
}

/// Visits every tap `(ky, kx)` of output `(oy, ox)` that lies inside the
/// image, giving the pointer to the input pixel (from `plane`, an `h × w`
/// plane) and the tap index `ky·kw + kx` (a register in loops; constants
/// when unrolled are folded into the address).
fn for_taps(b: &mut Body, g: &Conv2dGeom, plane: D, oy: R, ox: R, mut visit: impl FnMut(&mut Body, Tap)) {
    let ty = b.rop("mul.lo.s32", oy, g.stride_h);
    let iy0 = b.rop("sub.s32", ty, g.pad_top);
    let tx = b.rop("mul.lo.s32", ox, g.stride_w);
    let ix0 = b.rop("sub.s32", tx, g.pad_left);
    if g.kh * g.kw <= UNROLL_TAPS {
        let start = b.rmad(iy0, g.w, ix0);
        let p0 = b.addr(plane, start);
        let vx: Vec<P> = (0..g.kw)
            .map(|kx| {
                let ix = b.rop("add.s32", ix0, kx * g.dil_w);
                inside(b, ix, g.w)
            })
            .collect();
        for ky in 0..g.kh {
            let iy = b.rop("add.s32", iy0, ky * g.dil_h);
            let vy = inside(b, iy, g.h);
            for (kx, &vx) in vx.iter().enumerate() {
                let valid = b.pand(vy, vx);
                let bytes = ((ky * g.dil_h * g.w + kx * g.dil_w) * 4) as i64;
                visit(b, Tap { valid, ptr: p0, bytes, index: TapIndex::Const(ky * g.kw + kx) });
            }
        }
    } else {
        b.for_range(0, g.kh, 1, |b, ky| {
            let iy = b.rmad(ky, g.dil_h, iy0);
            let vy = inside(b, iy, g.h);
            b.for_range(0, g.kw, 1, |b, kx| {
                let ix = b.rmad(kx, g.dil_w, ix0);
                let vx = inside(b, ix, g.w);
                let valid = b.pand(vy, vx);
                let pos = b.rmad(iy, g.w, ix);
                let ptr = b.addr(plane, pos);
                let index = b.rmad(ky, g.kw, kx);
                visit(b, Tap { valid, ptr, bytes: 0, index: TapIndex::Reg(index) });
            });
        });
    }
}

/// One tap of a window.
struct Tap {
    valid: P,
    ptr: D,
    bytes: i64,
    index: TapIndex,
}

#[derive(Clone, Copy)]
enum TapIndex {
    Const(usize),
    Reg(R),
}

/// Loads `[tap] ` when the tap is valid, else `0`.
fn load_tap(b: &mut Body, tap: &Tap) -> F {
    let v = b.fconst(0.0);
    b.ins(format!("@{} ld.global.nc.f32 {v}, [{}+{}]", tap.valid, tap.ptr, tap.bytes));
    v
}

/// Loads `w[base + tap index]`.
fn load_weight(b: &mut Body, wbase: D, index: TapIndex) -> F {
    match index {
        TapIndex::Const(i) => b.ld("global.nc", wbase, (i * 4) as i64),
        TapIndex::Reg(r) => {
            let a = b.addr(wbase, r);
            b.ld("global.nc", a, 0)
        }
    }
}

/// Direct convolution, `out[o, oy, ox]`.
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    b: &mut Body,
    ctx: &Ctx,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
    act: Activation,
) -> Result<Launch, PtxError> {
    check(g)?;
    let (icg, ocg) = (g.c / g.groups, g.oc / g.groups);
    let n = g.oc * g.oh * g.ow;
    let launch = Launch::strided(n);
    let (xb, wb, ob) = (ctx.base(b, x), ctx.base(b, w), ctx.base(b, out));
    let bb = bias.map(|l| ctx.base(b, l));
    grid_stride(b, &launch, fits(n, "conv output")?, |b, flat| {
        let idx = split(b, flat, &[g.oc, g.oh, g.ow]);
        let (o, oy, ox) = (idx[0], idx[1], idx[2]);
        let group = b.rop("div.u32", o, ocg);
        let gx = b.rop("mul.lo.s32", group, icg * g.h * g.w);
        let xg = b.addr(xb, gx);
        let wo = b.rop("mul.lo.s32", o, icg * g.kh * g.kw);
        let wg = b.addr(wb, wo);
        let acc = b.fconst(0.0);
        let per_channel = |b: &mut Body, plane: D, wc: D| {
            for_taps(b, g, plane, oy, ox, |b, tap| {
                let xv = load_tap(b, &tap);
                let wv = load_weight(b, wc, tap.index);
                b.ins(format!("fma.rn.f32 {acc}, {xv}, {wv}, {acc}"));
            });
        };
        if icg == 1 {
            per_channel(b, xg, wg);
        } else {
            b.for_range(0, icg, 1, |b, ci| {
                let xo = b.rop("mul.lo.s32", ci, g.h * g.w);
                let plane = b.addr(xg, xo);
                let wo = b.rop("mul.lo.s32", ci, g.kh * g.kw);
                let wc = b.addr(wg, wo);
                per_channel(b, plane, wc);
            });
        }
        let mut y = acc;
        if let Some(bb) = bb {
            let a = b.addr(bb, o);
            let bv = b.ld("global.nc", a, 0);
            y = b.add(y, bv);
        }
        let y = vitc_lower::elem::activation(b, act, y);
        let oa = b.addr(ob, flat);
        b.st("global", oa, 0, y);
    });
    Ok(launch)
}

/// The transposed im2col: `cols[(oy·ow + ox), (ci·kh + ky)·kw + kx]`.
pub fn im2col(b: &mut Body, ctx: &Ctx, g: &Conv2dGeom, x: Loc, out: Loc) -> Result<Launch, PtxError> {
    if g.stride_h == 0 || g.stride_w == 0 {
        return Err(PtxError::Invalid(format!("invalid geometry {g:?}")));
    }
    fits(g.c * g.h * g.w, "im2col input")?;
    let n = g.oh * g.ow * g.c * g.kh * g.kw;
    let launch = Launch::strided(n);
    let (xb, ob) = (ctx.base(b, x), ctx.base(b, out));
    grid_stride(b, &launch, fits(n, "im2col size")?, |b, flat| {
        let idx = split(b, flat, &[g.oh, g.ow, g.c, g.kh, g.kw]);
        let (oy, ox, ci, ky, kx) = (idx[0], idx[1], idx[2], idx[3], idx[4]);
        let ty = b.rop("mul.lo.s32", oy, g.stride_h);
        let ty = b.rop("sub.s32", ty, g.pad_top);
        let iy = b.rmad(ky, g.dil_h, ty);
        let tx = b.rop("mul.lo.s32", ox, g.stride_w);
        let tx = b.rop("sub.s32", tx, g.pad_left);
        let ix = b.rmad(kx, g.dil_w, tx);
        let vy = inside(b, iy, g.h);
        let vx = inside(b, ix, g.w);
        let valid = b.pand(vy, vx);
        let row = b.rmad(ci, g.h, iy);
        let pos = b.rmad(row, g.w, ix);
        let a = b.addr(xb, pos);
        let v = b.fconst(0.0);
        b.ins(format!("@{valid} ld.global.nc.f32 {v}, [{a}+0]"));
        let oa = b.addr(ob, flat);
        b.st("global", oa, 0, v);
    });
    Ok(launch)
}

/// Max or average pooling, `out[ch, oy, ox]`.
pub fn pool2d(
    b: &mut Body,
    ctx: &Ctx,
    kind: PoolKind,
    g: &Conv2dGeom,
    count_include_pad: bool,
    x: Loc,
    out: Loc,
) -> Result<Launch, PtxError> {
    if g.stride_h == 0 || g.stride_w == 0 {
        return Err(PtxError::Invalid(format!("invalid geometry {g:?}")));
    }
    fits(g.c * g.h * g.w, "pool input")?;
    let n = g.c * g.oh * g.ow;
    let launch = Launch::strided(n);
    let (xb, ob) = (ctx.base(b, x), ctx.base(b, out));
    grid_stride(b, &launch, fits(n, "pool output")?, |b, flat| {
        let idx = split(b, flat, &[g.c, g.oh, g.ow]);
        let (ch, oy, ox) = (idx[0], idx[1], idx[2]);
        let po = b.rop("mul.lo.s32", ch, g.h * g.w);
        let plane = b.addr(xb, po);
        let acc = b.fconst(if kind == PoolKind::Max { f32::NEG_INFINITY } else { 0.0 });
        let count = b.fconst(0.0);
        for_taps(b, g, plane, oy, ox, |b, tap| {
            let v = b.f();
            b.ins(format!("@{} ld.global.nc.f32 {v}, [{}+{}]", tap.valid, tap.ptr, tap.bytes));
            match kind {
                PoolKind::Max => b.ins(format!("@{} max.NaN.f32 {acc}, {acc}, {v}", tap.valid)),
                PoolKind::Avg => {
                    b.ins(format!("@{} add.rn.f32 {acc}, {acc}, {v}", tap.valid));
                    b.ins(format!("@{} add.rn.f32 {count}, {count}, 0f3F800000", tap.valid));
                }
            }
        });
        let y = match kind {
            PoolKind::Max => acc,
            PoolKind::Avg if count_include_pad => {
                let d = b.fconst((g.kh * g.kw) as f32);
                b.div(acc, d)
            }
            PoolKind::Avg => b.div(acc, count),
        };
        let oa = b.addr(ob, flat);
        b.st("global", oa, 0, y);
    });
    Ok(launch)
}

/// Transposed convolution: output `(h, w)`, input `(oh, ow)`.
pub fn conv_transpose2d(
    b: &mut Body,
    ctx: &Ctx,
    g: &Conv2dGeom,
    x: Loc,
    w: Loc,
    bias: Option<Loc>,
    out: Loc,
) -> Result<Launch, PtxError> {
    check(g)?;
    let (icg, ocg) = (g.c / g.groups, g.oc / g.groups);
    let n = g.oc * g.h * g.w;
    let launch = Launch::strided(n);
    let (xb, wb, ob) = (ctx.base(b, x), ctx.base(b, w), ctx.base(b, out));
    let bb = bias.map(|l| ctx.base(b, l));
    grid_stride(b, &launch, fits(n, "conv transpose output")?, |b, flat| {
        let idx = split(b, flat, &[g.oc, g.h, g.w]);
        let (o, y, xo) = (idx[0], idx[1], idx[2]);
        let group = b.rop("div.u32", o, ocg);
        let oj = b.rop("rem.u32", o, ocg);
        let acc = b.fconst(0.0);
        // Input index i with i·s − pad + t·dil = o: p = o + pad − t·dil ≥ 0, p % s = 0, p / s < size.
        let source = |b: &mut Body, o: R, t: R, stride: usize, pad: usize, dil: usize, size: usize| -> (P, R) {
            let op = b.rop("add.s32", o, pad);
            let td = b.rop("mul.lo.s32", t, dil);
            let p = b.rop("sub.s32", op, td);
            let nonneg = b.setp("ge.s32", p, 0);
            let pu = b.rop("max.s32", p, 0);
            let rem = b.rop("rem.u32", pu, stride);
            let exact = b.setp("eq.u32", rem, 0);
            let q = b.rop("div.u32", pu, stride);
            let below = b.setp("lt.u32", q, size);
            let ok = b.pand(nonneg, exact);
            (b.pand(ok, below), q)
        };
        b.for_range(0, icg, 1, |b, cl| {
            let ci = b.rmad(group, icg, cl);
            let plane_off = b.rop("mul.lo.s32", ci, g.oh * g.ow);
            let plane = b.addr(xb, plane_off);
            let wrow = b.rmad(ci, ocg, oj);
            let wo = b.rop("mul.lo.s32", wrow, g.kh * g.kw);
            let wc = b.addr(wb, wo);
            b.for_range(0, g.kh, 1, |b, ky| {
                let (vy, iy) = source(b, y, ky, g.stride_h, g.pad_top, g.dil_h, g.oh);
                b.for_range(0, g.kw, 1, |b, kx| {
                    let (vx, ix) = source(b, xo, kx, g.stride_w, g.pad_left, g.dil_w, g.ow);
                    let valid = b.pand(vy, vx);
                    let pos = b.rmad(iy, g.ow, ix);
                    let a = b.addr(plane, pos);
                    let xv = b.fconst(0.0);
                    b.ins(format!("@{valid} ld.global.nc.f32 {xv}, [{a}+0]"));
                    let ti = b.rmad(ky, g.kw, kx);
                    let wa = b.addr(wc, ti);
                    let wv = b.ld("global.nc", wa, 0);
                    b.ins(format!("fma.rn.f32 {acc}, {xv}, {wv}, {acc}"));
                });
            });
        });
        let mut v = acc;
        if let Some(bb) = bb {
            let a = b.addr(bb, o);
            let bv = b.ld("global.nc", a, 0);
            v = b.add(v, bv);
        }
        let oa = b.addr(ob, flat);
        b.st("global", oa, 0, v);
    });
    Ok(launch)
}
