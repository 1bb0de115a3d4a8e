//! Fused attention: one 128-thread block per query row `(b, h, i)`.
//!
//! The block stages the query row in shared memory, computes the logits
//! row `l[j] = scale · q·kt[:, j] + bias[h, i, j]` into shared memory
//! (threads over keys, so the reads of `kt` are coalesced), reduces its
//! maximum and the sum of `e^{l − max}` across the block (warp shuffles,
//! then one slot per warp), normalises the row in place, and computes
//! `out[c] = act(Σ_j p[j]·v[j, c]) + lepe[c]` with threads over value
//! channels (coalesced reads of `v`); when `dv` is narrow, groups of
//! threads split the keys and their partial sums are added in shared
//! memory. The logits never touch global memory.

use crate::emit::{Body, D, F, R};
use crate::error::PtxError;
use crate::launch::{Ctx, Launch, fits};
use crate::rows::warp_reduce;
use vitc_lower::elem::Elem;
use vitc_lower::{ATTENTION_MAX_KEYS, Activation, AttentionGeom, Lepe, Loc, View4};

const THREADS: usize = 128;
const WARPS: usize = THREADS / 32;

/// `Σ idx_d · strides_d` for the leading `(b, h)` of a view plus `r · strides[2]`.
fn row_offset(b: &mut Body, v: &View4, bi: R, hi: R, r: R) -> R {
    let o = b.rop("mul.lo.s32", bi, v.strides[0]);
    let o = b.rmad(hi, v.strides[1], o);
    b.rmad(r, v.strides[2], o)
}

/// Block-wide combination of `v` with `op` (every thread gets the result);
/// `red` is the byte address of `WARPS` scratch floats.
fn block_reduce(b: &mut Body, v: F, op: &str, red: R, warp: R, lane: R) -> F {
    let w = warp_reduce(b, v, op);
    let lead = b.setp("eq.u32", lane, 0);
    let slot = b.rmad(warp, 4, red);
    b.ins(format!("@{lead} st.shared.f32 [{slot}+0], {w}"));
    b.ins("bar.sync 0");
    let mut acc = b.ld("shared", red, 0);
    for k in 1..WARPS {
        let x = b.ld("shared", red, (k * 4) as i64);
        let d = b.f();
        b.ins(format!("{op} {d}, {acc}, {x}"));
        acc = d;
    }
    b.ins("bar.sync 0");
    acc
}

/// Emits the attention kernel.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    b: &mut Body,
    ctx: &Ctx,
    g: &AttentionGeom,
    scale: f32,
    q: &View4,
    kt: &View4,
    v: &View4,
    bias: Option<Loc>,
    lepe: Option<&Lepe>,
    out: &View4,
    act: Activation,
) -> Result<Launch, PtxError> {
    if g.m > ATTENTION_MAX_KEYS || g.m == 0 {
        return Err(PtxError::Invalid(format!("attention with {} keys (1..={ATTENTION_MAX_KEYS})", g.m)));
    }
    let rows = g.batch * g.heads * g.n;
    fits(rows.max(1), "attention rows")?;
    for view in [q, kt, v, out] {
        let reach: usize =
            view.strides.iter().map(|s| s.unsigned_abs()).sum::<usize>() * (g.batch + g.heads + g.n + g.m + g.d + g.dv);
        fits(reach, "attention operand")?;
    }
    // Shared: logits[m], q row[d], reduction slots[WARPS], partial sums[THREADS].
    let logits_at = 0;
    let q_at = g.m * 4;
    let red_at = q_at + g.d * 4;
    let part_at = red_at + WARPS * 4;
    let shared = part_at + THREADS * 4;
    b.shared_bytes = shared;
    let launch =
        Launch { grid: [fits(rows.max(1), "attention rows")?, 1], block: THREADS as u32, shared_bytes: shared as u32 };
    if rows == 0 {
        return Ok(launch);
    }

    let tid = b.sreg("%tid.x");
    let row = b.sreg("%ctaid.x");
    let warp = b.rop("shr.u32", tid, 5);
    let lane = b.rop("and.b32", tid, 31);
    let i = b.rop("rem.u32", row, g.n);
    let bh = b.rop("div.u32", row, g.n);
    let hi = b.rop("rem.u32", bh, g.heads);
    let bi = b.rop("div.u32", bh, g.heads);
    let smem = b.r();
    b.ins(format!("mov.u32 {smem}, {}", ctx.smem));
    let logits = b.rop("add.s32", smem, logits_at);
    let qs = b.rop("add.s32", smem, q_at);
    let red = b.rop("add.s32", smem, red_at);
    let part = b.rop("add.s32", smem, part_at);

    // 1. The query row into shared memory.
    let qbase = ctx.base(b, q.at);
    let qrow = row_offset(b, q, bi, hi, i);
    let qptr = b.addr(qbase, qrow);
    b.for_range(tid, g.d, THREADS, |b, e| {
        let off = b.rop("mul.lo.s32", e, q.strides[3]);
        let a = b.addr(qptr, off);
        let x = b.ld("global.nc", a, 0);
        let s = b.rmad(e, 4, qs);
        b.st("shared", s, 0, x);
    });
    b.ins("bar.sync 0");

    // 2. Logits and their maximum.
    let zero = b.rconst(0);
    let ktbase = ctx.base(b, kt.at);
    let ktrow = row_offset(b, kt, bi, hi, zero);
    let ktptr = b.addr(ktbase, ktrow);
    let bias_ptr: Option<D> = bias.map(|l| {
        let base = ctx.base(b, l);
        let hrow = b.rmad(hi, g.n, i);
        let off = b.rop("mul.lo.s32", hrow, g.m);
        b.addr(base, off)
    });
    let scale_r = b.fconst(scale);
    let local_max = b.fconst(f32::NEG_INFINITY);
    b.for_range(tid, g.m, THREADS, |b, j| {
        let jo = b.rop("mul.lo.s32", j, kt.strides[3]);
        let kp = b.addr(ktptr, jo);
        let acc = b.fconst(0.0);
        let term = |b: &mut Body, kp: D, bytes: i64, qbytes: R, qoff: i64| {
            let k = b.ld("global.nc", kp, bytes);
            let qv = b.ld("shared", qbytes, qoff);
            b.ins(format!("fma.rn.f32 {acc}, {qv}, {k}, {acc}"));
        };
        if g.d <= 128 {
            for e in 0..g.d {
                term(b, kp, e as i64 * kt.strides[2] as i64 * 4, qs, (e * 4) as i64);
            }
        } else {
            b.for_range(0, g.d, 1, |b, e| {
                let eo = b.rop("mul.lo.s32", e, kt.strides[2]);
                let kpe = b.addr(kp, eo);
                let qa = b.rmad(e, 4, qs);
                term(b, kpe, 0, qa, 0);
            });
        }
        let mut l = b.mul(acc, scale_r);
        if let Some(bp) = bias_ptr {
            let a = b.addr(bp, j);
            let bv = b.ld("global.nc", a, 0);
            l = b.add(l, bv);
        }
        let s = b.rmad(j, 4, logits);
        b.st("shared", s, 0, l);
        b.ins(format!("max.f32 {local_max}, {local_max}, {l}"));
    });
    let max = block_reduce(b, local_max, "max.f32", red, warp, lane);

    // 3. Exponentials and their sum, then the normalised row.
    let local_sum = b.fconst(0.0);
    b.for_range(tid, g.m, THREADS, |b, j| {
        let s = b.rmad(j, 4, logits);
        let l = b.ld("shared", s, 0);
        let d = b.sub(l, max);
        let e = vitc_lower::elem::math::exp(b, d);
        b.st("shared", s, 0, e);
        b.ins(format!("add.rn.f32 {local_sum}, {local_sum}, {e}"));
    });
    let sum = block_reduce(b, local_sum, "add.rn.f32", red, warp, lane);
    b.for_range(tid, g.m, THREADS, |b, j| {
        let s = b.rmad(j, 4, logits);
        let e = b.ld("shared", s, 0);
        let p = b.div(e, sum);
        b.st("shared", s, 0, p);
    });
    b.ins("bar.sync 0");

    // 4. out[c] = act(Σ_j p[j] v[j, c]) + lepe[c]: `groups` thread groups of
    // `width` threads split the keys when dv is narrow.
    let width = g.dv.next_power_of_two().clamp(32, THREADS);
    let groups = THREADS / width;
    let vbase = ctx.base(b, v.at);
    let vrow = row_offset(b, v, bi, hi, zero);
    let vptr = b.addr(vbase, vrow);
    let obase = ctx.base(b, out.at);
    let orow = row_offset(b, out, bi, hi, i);
    let optr = b.addr(obase, orow);
    let grp = b.rop("div.u32", tid, width);
    let cl = b.rop("rem.u32", tid, width);
    let weighted = |b: &mut Body, c: R| -> F {
        let acc = b.fconst(0.0);
        let co = b.rop("mul.lo.s32", c, v.strides[3]);
        let vc = b.addr(vptr, co);
        b.for_range(grp, g.m, groups, |b, j| {
            let s = b.rmad(j, 4, logits);
            let p = b.ld("shared", s, 0);
            let jo = b.rop("mul.lo.s32", j, v.strides[2]);
            let a = b.addr(vc, jo);
            let x = b.ld("global.nc", a, 0);
            b.ins(format!("fma.rn.f32 {acc}, {p}, {x}, {acc}"));
        });
        acc
    };
    let finish = |b: &mut Body, c: R, acc: F| {
        let mut y = vitc_lower::elem::activation(b, act, acc);
        if let Some(l) = lepe {
            let pe = lepe_value(b, ctx, g, l, v, vptr, hi, i, c);
            y = b.add(y, pe);
        }
        let co = b.rop("mul.lo.s32", c, out.strides[3]);
        let a = b.addr(optr, co);
        b.st("global", a, 0, y);
    };
    if groups == 1 {
        b.for_range(tid, g.dv, THREADS, |b, c| {
            let acc = weighted(b, c);
            finish(b, c, acc);
        });
    } else {
        // dv ≤ width: one channel per thread, partial sums per group.
        let active = b.setp("lt.u32", cl, g.dv);
        let acc = b.fconst(0.0);
        let skip = b.label();
        b.bra_unless(active, skip);
        let w = weighted(b, cl);
        b.ins(format!("mov.f32 {acc}, {w}"));
        b.place(skip);
        let slot = b.rmad(tid, 4, part);
        b.st("shared", slot, 0, acc);
        b.ins("bar.sync 0");
        let lead = b.setp("eq.u32", grp, 0);
        let both = b.pand(lead, active);
        let done = b.label();
        b.bra_unless(both, done);
        let total = b.ld("shared", slot, 0);
        for k in 1..groups {
            let x = b.ld("shared", slot, (k * width * 4) as i64);
            b.ins(format!("add.rn.f32 {total}, {total}, {x}"));
        }
        finish(b, cl, total);
        b.place(done);
    }
    Ok(launch)
}

/// The LePE term of query `i`, channel `c`: `bias[h, c] + Σ taps w · v`.
#[allow(clippy::too_many_arguments)]
fn lepe_value(b: &mut Body, ctx: &Ctx, g: &AttentionGeom, l: &Lepe, v: &View4, vptr: D, hi: R, i: R, c: R) -> F {
    let pe = match l.bias {
        Some(bl) => {
            let base = ctx.base(b, bl);
            let off = b.rmad(hi, g.dv, c);
            let a = b.addr(base, off);
            b.ld("global.nc", a, 0)
        }
        None => b.fconst(0.0),
    };
    let y = b.rop("div.u32", i, l.grid_w);
    let x = b.rop("rem.u32", i, l.grid_w);
    let wbase = ctx.base(b, l.w);
    let taps = l.kh * l.kw;
    let wrow = b.rop("mul.lo.s32", hi, taps * g.dv);
    let wrow = b.rop("add.s32", wrow, c);
    let wptr = b.addr(wbase, wrow);
    let co = b.rop("mul.lo.s32", c, v.strides[3]);
    let vc = b.addr(vptr, co);
    for ty in 0..l.kh {
        let sy = b.rop("add.s32", y, ty as i64 - l.pad_h as i64);
        let vy = b.setp("lt.u32", sy, l.grid_h);
        for tx in 0..l.kw {
            let sx = b.rop("add.s32", x, tx as i64 - l.pad_w as i64);
            let vx = b.setp("lt.u32", sx, l.grid_w);
            let ok = b.pand(vy, vx);
            let j = b.rmad(sy, l.grid_w, sx);
            let jo = b.rop("mul.lo.s32", j, v.strides[2]);
            let a = b.addr(vc, jo);
            let xv = b.fconst(0.0);
            b.ins(format!("@{ok} ld.global.nc.f32 {xv}, [{a}+0]"));
            let wv = b.ld("global.nc", wptr, ((ty * l.kw + tx) * g.dv * 4) as i64);
            b.ins(format!("fma.rn.f32 {pe}, {wv}, {xv}, {pe}"));
        }
    }
    pe
}
