//! Row kernels with a warp per row and `shfl.sync` butterfly reductions:
//! `Softmax` (max, then the sum of exponentials, then the quotients),
//! `LayerNorm` (mean, then the population variance, then the affine
//! output) and `Reduce` (a warp per output when the reduced axis is
//! innermost, else a thread per output walking the axis).

use crate::emit::{Body, F, R};
use crate::error::PtxError;
use crate::launch::{Ctx, Launch, fits, grid_stride};
use vitc_lower::elem::Elem;
use vitc_lower::{Loc, ReduceOp};

/// Threads per block of the row kernels (4 warps, one row each).
const ROW_BLOCK: u32 = 128;

/// Combines `v` across the warp with `op` (every lane gets the result).
pub fn warp_reduce(b: &mut Body, v: F, op: &str) -> F {
    let mut acc = v;
    for off in [16, 8, 4, 2, 1] {
        let t = b.f();
        b.ins(format!("shfl.sync.bfly.b32 {t}, {acc}, {off}, 31, -1"));
        let d = b.f();
        b.ins(format!("{op} {d}, {acc}, {t}"));
        acc = d;
    }
    acc
}

/// The row of this warp and the lane, or a jump past the body for warps
/// beyond the last row (whole warps leave together, so shuffles stay converged).
fn warp_row(b: &mut Body, rows: u32, body: impl FnOnce(&mut Body, R, R)) {
    let tid = b.sreg("%tid.x");
    let cta = b.sreg("%ctaid.x");
    let warp = b.rop("shr.u32", tid, 5);
    let lane = b.rop("and.b32", tid, 31);
    let row = b.rmad(cta, ROW_BLOCK / 32, warp);
    let done = b.label();
    let out = b.setp("ge.u32", row, rows);
    b.bra_if(out, done);
    body(b, row, lane);
    b.place(done);
}

/// Accumulates `step(acc, x[row_base + j])` over `j = lane; j < cols; j += 32`.
fn lane_loop(b: &mut Body, lane: R, cols: u32, init: F, mut step: impl FnMut(&mut Body, F, R)) -> F {
    let acc = b.f();
    b.ins(format!("mov.f32 {acc}, {init}"));
    b.for_range(lane, cols, 32, |b, j| step(b, acc, j));
    acc
}

/// `out[r, :] = softmax(x[r, :])`.
pub fn softmax(b: &mut Body, ctx: &Ctx, rows: usize, cols: usize, x: Loc, out: Loc) -> Result<Launch, PtxError> {
    let (r32, c32) = (fits(rows, "rows")?, fits(cols, "cols")?);
    fits(rows * cols, "softmax size")?;
    let launch = Launch::warp_rows(rows, ROW_BLOCK)?;
    let (xb, ob) = (ctx.base(b, x), ctx.base(b, out));
    warp_row(b, r32, |b, row, lane| {
        let start = b.rop("mul.lo.s32", row, c32);
        let xr = b.addr(xb, start);
        let or = b.addr(ob, start);
        let ninf = b.fconst(f32::NEG_INFINITY);
        let m = lane_loop(b, lane, c32, ninf, |b, acc, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            b.ins(format!("max.NaN.f32 {acc}, {acc}, {v}"));
        });
        let m = warp_reduce(b, m, "max.NaN.f32");
        let zero = b.fconst(0.0);
        let s = lane_loop(b, lane, c32, zero, |b, acc, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            let d = b.sub(v, m);
            let e = vitc_lower::elem::math::exp(b, d);
            b.ins(format!("add.rn.f32 {acc}, {acc}, {e}"));
        });
        let s = warp_reduce(b, s, "add.rn.f32");
        b.for_range(lane, c32, 32, |b, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            let d = b.sub(v, m);
            let e = vitc_lower::elem::math::exp(b, d);
            let y = b.div(e, s);
            let o = b.addr(or, j);
            b.st("global", o, 0, y);
        });
    });
    Ok(launch)
}

/// `out[r, :] = (x[r, :] − mean) / sqrt(var + eps) * scale + bias`.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm(
    b: &mut Body,
    ctx: &Ctx,
    rows: usize,
    cols: usize,
    eps: f32,
    x: Loc,
    scale: Loc,
    bias: Option<Loc>,
    out: Loc,
) -> Result<Launch, PtxError> {
    let (r32, c32) = (fits(rows, "rows")?, fits(cols, "cols")?);
    fits(rows * cols, "layer norm size")?;
    let launch = Launch::warp_rows(rows, ROW_BLOCK)?;
    let (xb, ob, sb) = (ctx.base(b, x), ctx.base(b, out), ctx.base(b, scale));
    let bb = bias.map(|l| ctx.base(b, l));
    warp_row(b, r32, |b, row, lane| {
        let start = b.rop("mul.lo.s32", row, c32);
        let xr = b.addr(xb, start);
        let or = b.addr(ob, start);
        let zero = b.fconst(0.0);
        let n = b.fconst(cols as f32);
        let s = lane_loop(b, lane, c32, zero, |b, acc, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            b.ins(format!("add.rn.f32 {acc}, {acc}, {v}"));
        });
        let s = warp_reduce(b, s, "add.rn.f32");
        let mean = b.div(s, n);
        let q = lane_loop(b, lane, c32, zero, |b, acc, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            let d = b.sub(v, mean);
            b.ins(format!("fma.rn.f32 {acc}, {d}, {d}, {acc}"));
        });
        let q = warp_reduce(b, q, "add.rn.f32");
        let var = b.div(q, n);
        let e = b.fconst(eps);
        let ve = b.add(var, e);
        let sd = b.sqrt(ve);
        let one = b.fconst(1.0);
        let inv = b.div(one, sd);
        b.for_range(lane, c32, 32, |b, j| {
            let a = b.addr(xr, j);
            let v = b.ld("global.nc", a, 0);
            let d = b.sub(v, mean);
            let y = b.mul(d, inv);
            let sa = b.addr(sb, j);
            let sv = b.ld("global.nc", sa, 0);
            let mut y = b.mul(y, sv);
            if let Some(bb) = bb {
                let ba = b.addr(bb, j);
                let bv = b.ld("global.nc", ba, 0);
                y = b.add(y, bv);
            }
            let o = b.addr(or, j);
            b.st("global", o, 0, y);
        });
    });
    Ok(launch)
}

/// The identity and the combining instruction of a reduction.
fn reduce_op(op: ReduceOp) -> (f32, &'static str) {
    match op {
        ReduceOp::Sum | ReduceOp::Mean => (0.0, "add.rn.f32"),
        ReduceOp::Max => (f32::NEG_INFINITY, "max.f32"),
        ReduceOp::Min => (f32::INFINITY, "min.f32"),
    }
}

/// `out[o, i] = reduce_r src[o, r, i]`.
#[allow(clippy::too_many_arguments)]
pub fn reduce(
    b: &mut Body,
    ctx: &Ctx,
    op: ReduceOp,
    outer: usize,
    reduce: usize,
    inner: usize,
    src: Loc,
    out: Loc,
) -> Result<Launch, PtxError> {
    fits(outer * reduce * inner, "reduce size")?;
    let r32 = fits(reduce, "reduce")?;
    let (init, ins) = reduce_op(op);
    let (sb, ob) = (ctx.base(b, src), ctx.base(b, out));
    let finish = |b: &mut Body, acc: F| -> F {
        if op == ReduceOp::Mean {
            let n = b.fconst(reduce as f32);
            b.div(acc, n)
        } else {
            acc
        }
    };
    if inner == 1 {
        let launch = Launch::warp_rows(outer, ROW_BLOCK)?;
        warp_row(b, fits(outer, "outer")?, |b, o, lane| {
            let start = b.rop("mul.lo.s32", o, r32);
            let sr = b.addr(sb, start);
            let i = b.fconst(init);
            let acc = lane_loop(b, lane, r32, i, |b, acc, j| {
                let a = b.addr(sr, j);
                let v = b.ld("global.nc", a, 0);
                b.ins(format!("{ins} {acc}, {acc}, {v}"));
            });
            let acc = warp_reduce(b, acc, ins);
            let y = finish(b, acc);
            let lead = b.setp("eq.u32", lane, 0);
            let oa = b.addr(ob, o);
            b.ins(format!("@{lead} st.global.f32 [{oa}+0], {y}"));
        });
        return Ok(launch);
    }
    let n = outer * inner;
    let launch = Launch::strided(n);
    grid_stride(b, &launch, fits(n, "reduce outputs")?, |b, flat| {
        let o = b.rop("div.u32", flat, inner);
        let i = b.rop("rem.u32", flat, inner);
        let base = b.rop("mul.lo.s32", o, (reduce * inner) as u64);
        let base = b.rop("add.s32", base, i);
        let sr = b.addr(sb, base);
        let acc = b.fconst(init);
        b.for_range(0, r32, 1, |b, r| {
            let off = b.rop("mul.lo.s32", r, inner);
            let a = b.addr(sr, off);
            let v = b.ld("global.nc", a, 0);
            b.ins(format!("{ins} {acc}, {acc}, {v}"));
        });
        let y = finish(b, acc);
        let oa = b.addr(ob, flat);
        b.st("global", oa, 0, y);
    });
    Ok(launch)
}
