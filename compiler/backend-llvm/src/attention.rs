//! `Attention`: fused scaled-dot-product attention, one query row per outer
//! index `r = (b·heads + h)·n + i`, with the logits row in a stack buffer
//! (`m` floats, at most `ATTENTION_MAX_KEYS`).
//!
//! 1. Logits, a vector of keys at a time (four vectors per pass over the
//!    query for instruction-level parallelism): `Σ_e q[e]·kt[e, j..]` with
//!    `q[e]` broadcast and `kt` rows loaded as vectors (unit stride), then
//!    `·scale + bias`.
//! 2. Row max, `exp(l − max)` stored back with its sum (as the Softmax
//!    kernel, see `norm.rs`).
//! 3. `Σ_j p[j]·v[j, c..]` for up to eight vectors of value columns at once,
//!    scaled by `1/sum`, the activation, then the LePE taps (`bias + Σ w·v`
//!    over the taps inside the grid, masked branch-free) added.
//!
//! Each row's result is the same sequence of operations wherever the chunk
//! boundaries fall.

use inkwell::IntPredicate;
use vitc_lower::{Activation, AttentionGeom, Kernel, Lepe, View4};

use crate::fx::{Fx, I, P, R, V};
use crate::{LlvmError, math};

/// Key vectors per pass over the query in the logits loop.
const KB: usize = 4;
/// Most value vectors accumulated at once.
const VB: usize = 8;

/// Element `(b, h, r, 0)` of a view, as a pointer.
fn row_ptr<'c>(fx: &Fx<'_, 'c>, x: &View4, b: I<'c>, h: I<'c>, r: I<'c>) -> R<P<'c>> {
    let p = fx.ptr(x.at)?;
    let p = fx.gep_s(p, b, x.strides[0] as i64)?;
    let p = fx.gep_s(p, h, x.strides[1] as i64)?;
    fx.gep_s(p, r, x.strides[2] as i64)
}

/// Emits an `Attention` kernel.
pub(crate) fn emit_attention(fx: &mut Fx<'_, '_>, kernel: &Kernel) -> R<()> {
    let Kernel::Attention { geom, scale, q, kt, v, bias, lepe, out, act } = kernel else {
        return Err(LlvmError::Invalid("emit_attention on another kernel".into()));
    };
    let g = *geom;
    if g.m == 0 || g.m > vitc_lower::ATTENTION_MAX_KEYS {
        return Err(LlvmError::Invalid(format!("attention with {} keys", g.m)));
    }
    if kt.strides[3] != 1 || v.strides[3] != 1 || out.strides[3] != 1 {
        return Err(LlvmError::Invalid("attention operands need unit stride on their last axis".into()));
    }
    if let Some(l) = lepe
        && l.grid_h * l.grid_w != g.m
    {
        return Err(LlvmError::Invalid("LePE grid does not match the keys".into()));
    }
    let w = fx.w();
    let scratch = fx.stack_buffer(g.m.div_ceil(w) * w)?;
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, r, _| {
        let i = fx.urem_c(r, g.n as i64)?;
        let bh = fx.udiv_c(r, g.n as i64)?;
        let h = fx.urem_c(bh, g.heads as i64)?;
        let b = fx.udiv_c(bh, g.heads as i64)?;
        let qr = row_ptr(fx, q, b, h, i)?;
        let kb = row_ptr(fx, kt, b, h, fx.ic(0))?;
        let bias_row = match bias {
            Some(bl) => {
                let hi_ = fx.add(fx.mul_c(h, g.n as i64)?, i)?;
                Some(fx.gep_s(fx.ptr(*bl)?, hi_, g.m as i64)?)
            }
            None => None,
        };
        logits(fx, &g, *scale, q.strides[3] as i64, kt.strides[2] as i64, qr, kb, bias_row, scratch)?;
        let inv = softmax_row(fx, g.m, scratch)?;
        let vb = row_ptr(fx, v, b, h, fx.ic(0))?;
        let orow = row_ptr(fx, out, b, h, i)?;
        let vs = v.strides[2] as i64;
        weighted_sum(fx, &g, scratch, vb, vs, inv, *act, lepe.as_ref(), h, i, orow)?;
        Ok(vec![])
    })?;
    Ok(())
}

/// `scratch[j] = scale·Σ_e q[e]·k[e, j] + bias[j]` for `j < m`.
#[allow(clippy::too_many_arguments)]
fn logits<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    g: &AttentionGeom,
    scale: f32,
    qs: i64,
    ks: i64,
    qr: P<'c>,
    kb: P<'c>,
    bias: Option<P<'c>>,
    scratch: P<'c>,
) -> R<()> {
    let w = fx.w();
    // `nvec` key vectors of `lanes` valid keys from key `j0`.
    let block = |fx: &mut Fx<'a, 'c>, j0: I<'c>, nvec: usize, lanes: usize| -> R<()> {
        let zero = fx.splat(0.0);
        let init: Vec<_> = (0..nvec).map(|_| zero.into()).collect();
        let kj = fx.gep(kb, j0)?;
        let acc = fx.count_loop(g.d, &init, &mut |fx, e, st| {
            let qe = fx.load_splat(fx.gep_s(qr, e, qs)?)?;
            let ke = fx.gep_s(kj, e, ks)?;
            let mut next = Vec::with_capacity(nvec);
            for (u, a) in st.iter().enumerate() {
                let kv = fx.gather(fx.gep_c(ke, (u * w) as i64)?, 1, lanes, w as u32)?;
                next.push(fx.madd(qe, kv, a.into_vector_value())?.into());
            }
            Ok(next)
        })?;
        for (u, a) in acc.iter().enumerate() {
            let mut l = fx.fmul(a.into_vector_value(), fx.splat(scale))?;
            let j = fx.add_c(j0, (u * w) as i64)?;
            if let Some(bp) = bias {
                l = fx.fadd(l, fx.gather(fx.gep(bp, j)?, 1, lanes, w as u32)?)?;
            }
            fx.scatter(l, fx.gep(scratch, j)?, 1, lanes)?;
        }
        Ok(())
    };
    let full = g.m / w;
    fx.count_loop(full / KB, &[], &mut |fx, t, _| {
        let j0 = fx.mul_c(t, (KB * w) as i64)?;
        block(fx, j0, KB, w)?;
        Ok(vec![])
    })?;
    for u in (full / KB) * KB..full {
        block(fx, fx.ic((u * w) as i64), 1, w)?;
    }
    if !g.m.is_multiple_of(w) {
        block(fx, fx.ic((full * w) as i64), 1, g.m % w)?;
    }
    Ok(())
}

/// Replaces `row[0..m]` by `exp(row − max)`; returns `1/Σ` broadcast.
fn softmax_row<'a, 'c>(fx: &mut Fx<'a, 'c>, m: usize, row: P<'c>) -> R<V<'c>> {
    let w = fx.w();
    let nv = m / w;
    let ninf = fx.splat(f32::NEG_INFINITY);
    let st = fx.count_loop(nv, &[ninf.into()], &mut |fx, t, a| {
        let x = fx.load(fx.gep_s(row, t, w as i64)?)?;
        Ok(vec![fx.vmax(a[0].into_vector_value(), x)?.into()])
    })?;
    let mut mx = fx.hreduce(st[0].into_vector_value(), &mut |fx, a, b| fx.vmax(a, b))?;
    for t in nv * w..m {
        mx = fx.vmax(mx, fx.load_splat(fx.gep_c(row, t as i64)?)?)?;
    }
    let zero = fx.splat(0.0);
    let st = fx.count_loop(nv, &[zero.into()], &mut |fx, t, a| {
        let p = fx.gep_s(row, t, w as i64)?;
        let e = math::exp(fx, fx.fsub(fx.load(p)?, mx)?)?;
        fx.store(e, p)?;
        Ok(vec![fx.fadd(a[0].into_vector_value(), e)?.into()])
    })?;
    let mut sum = fx.hsum(st[0].into_vector_value())?;
    for t in nv * w..m {
        let p = fx.gep_c(row, t as i64)?;
        let e = math::exp(fx, fx.fsub(fx.load_splat(p)?, mx)?)?;
        fx.store_lane0(e, p)?;
        sum = fx.fadd(sum, e)?;
    }
    fx.fdiv(fx.splat(1.0), sum)
}

/// `out[c] = act(inv·Σ_j p[j]·v[j, c]) + lepe[c]` for `c < dv`.
#[allow(clippy::too_many_arguments)]
fn weighted_sum<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    g: &AttentionGeom,
    p: P<'c>,
    vb: P<'c>,
    vs: i64,
    inv: V<'c>,
    act: Activation,
    lepe: Option<&Lepe>,
    h: I<'c>,
    i: I<'c>,
    orow: P<'c>,
) -> R<()> {
    let w = fx.w();
    let nvec = g.dv.div_ceil(w);
    let mut c0 = 0;
    while c0 < nvec {
        let cnt = (nvec - c0).min(VB);
        let lanes = |u: usize| (g.dv - (c0 + u) * w).min(w);
        let zero = fx.splat(0.0);
        let init: Vec<_> = (0..cnt).map(|_| zero.into()).collect();
        let vc = fx.gep_c(vb, (c0 * w) as i64)?;
        let acc = fx.count_loop(g.m, &init, &mut |fx, j, st| {
            let pj = fx.load_splat(fx.gep(p, j)?)?;
            let vj = fx.gep_s(vc, j, vs)?;
            let mut next = Vec::with_capacity(cnt);
            for (u, a) in st.iter().enumerate() {
                let vv = fx.gather(fx.gep_c(vj, (u * w) as i64)?, 1, lanes(u), w as u32)?;
                next.push(fx.madd(pj, vv, a.into_vector_value())?.into());
            }
            Ok(next)
        })?;
        for (u, a) in acc.iter().enumerate() {
            let c = ((c0 + u) * w) as i64;
            let y = fx.fmul(a.into_vector_value(), inv)?;
            let mut y = math::activation(fx, act, y)?;
            if let Some(l) = lepe {
                let pe = lepe_vec(fx, g, l, vb, vs, h, i, c, lanes(u))?;
                y = fx.fadd(y, pe)?;
            }
            fx.scatter(y, fx.gep_c(orow, c)?, 1, lanes(u))?;
        }
        c0 += cnt;
    }
    Ok(())
}

/// The LePE of query `i`, value columns `c..c + lanes`.
#[allow(clippy::too_many_arguments)]
fn lepe_vec<'c>(
    fx: &Fx<'_, 'c>,
    g: &AttentionGeom,
    l: &Lepe,
    vb: P<'c>,
    vs: i64,
    h: I<'c>,
    i: I<'c>,
    c: i64,
    lanes: usize,
) -> R<V<'c>> {
    let w = fx.isa.lanes;
    let yy = fx.udiv_c(i, l.grid_w as i64)?;
    let xx = fx.urem_c(i, l.grid_w as i64)?;
    let hc = fx.add_c(fx.mul_c(h, g.dv as i64)?, c)?;
    let mut pe = match l.bias {
        Some(b) => fx.gather(fx.gep(fx.ptr(b)?, hc)?, 1, lanes, w)?,
        None => fx.splat(0.0),
    };
    let wh = fx.gep_s(fx.ptr(l.w)?, h, (l.kh * l.kw * g.dv) as i64)?;
    let zero = fx.splat(0.0);
    for ty in 0..l.kh {
        let sy = fx.add_c(yy, ty as i64 - l.pad_h as i64)?;
        let oky = fx.icmp(IntPredicate::ULT, sy, fx.ic(l.grid_h as i64))?;
        for tx in 0..l.kw {
            let sx = fx.add_c(xx, tx as i64 - l.pad_w as i64)?;
            let okx = fx.icmp(IntPredicate::ULT, sx, fx.ic(l.grid_w as i64))?;
            let ok = fx.b.build_and(oky, okx, "")?;
            let j = fx.add(fx.mul_c(sy, l.grid_w as i64)?, sx)?;
            let j = fx.isel(ok, j, fx.ic(0))?;
            let wv = fx.gather(fx.gep_c(wh, ((ty * l.kw + tx) * g.dv) as i64 + c)?, 1, lanes, w)?;
            let vv = fx.gather(fx.gep_c(fx.gep_s(vb, j, vs)?, c)?, 1, lanes, w)?;
            let prod = fx.fmul(wv, vv)?;
            let okv = fx.splat_bool(ok)?;
            pe = fx.fadd(pe, fx.select(okv, prod, zero)?)?;
        }
    }
    Ok(pe)
}
