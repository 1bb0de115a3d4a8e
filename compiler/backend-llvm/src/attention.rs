//! `Attention`: fused scaled-dot-product attention over query rows
//! `r = (b·heads + h)·n + i`, a group of rows of one head at a time (12
//! with 32 vector registers, 4 with 16; the rows left over at the end of a
//! head or of a chunk in groups of 4, then one by one), with the
//! logits rows in a stack buffer (`m` floats each, at most
//! `ATTENTION_MAX_KEYS`).
//!
//! 1. Logits, a block of key vectors at a time for all the rows of the
//!    group: per depth `e`, the block's `kt[e, j..]` vectors are loaded once
//!    (unit stride) and each row's `q[e]` is broadcast into one FMA per
//!    vector, so every load of K feeds one FMA per row of the group; then `·scale + bias`.
//! 2. The row maxima are kept while the logits are stored; then
//!    `exp(l − max)` is stored back with its sum for all the rows of the
//!    group in one pass (the same operations per row as the Softmax kernel,
//!    see `norm.rs`).
//! 3. `Σ_j p[j]·v[j, c..]` for a block of value vectors and all the rows
//!    of the group (each `v[j]` load feeds one FMA per row), scaled by `1/sum`,
//!    the activation, then the LePE taps (`bias + Σ w·v` over the taps
//!    inside the grid, masked branch-free) added.
//!
//! Each row's result is the same sequence of operations whether it is
//! computed in a group or alone, so chunk boundaries never change a bit.

use inkwell::IntPredicate;
use inkwell::values::BasicValueEnum;
use vitc_lower::{Activation, AttentionGeom, Lepe, View4};

use crate::LlvmError;
use crate::fx::{Fx, I, P, R, V};
use vitc_lower::Attention;

/// Query rows computed together: `rows × BLOCK_VECTORS` accumulators stay
/// in registers (24 of 32 with AVX-512 or NEON, 8 of 16 with AVX2 / SSE).
/// More rows per group means fewer passes over K and V, which for long
/// sequences come from L2, per row.
fn group_rows(fx: &Fx<'_, '_>) -> usize {
    if fx.isa.lanes == 16 || fx.isa.aarch64 { ROWS_WIDE } else { 4 }
}

/// Key vectors per logits block and value vectors per weighted-sum pass.
const BLOCK_VECTORS: usize = 2;

/// How many rows of K (V) ahead the logits (weighted-sum) loop prefetches.
const PF_AHEAD: i64 = 8;

/// Query rows per group on 32-register targets.
const ROWS_WIDE: usize = 12;

/// One step `i` of an inner loop over its accumulators.
type Step<'s, 'a, 'c> = dyn Fn(&mut Fx<'a, 'c>, I<'c>, &mut [V<'c>]) -> R<()> + 's;

/// `step(i, acc)` for `i in 0..n` in order over loop-carried accumulators;
/// returns the accumulators.
fn step_loop<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    n: usize,
    init: &[BasicValueEnum<'c>],
    step: &Step<'_, 'a, 'c>,
) -> R<Vec<V<'c>>> {
    let st = fx.count_loop(n, init, &mut |fx, i, st| {
        let mut acc: Vec<V<'c>> = st.iter().map(|v| v.into_vector_value()).collect();
        step(fx, i, &mut acc)?;
        Ok(acc.into_iter().map(Into::into).collect())
    })?;
    Ok(st.iter().map(|v| v.into_vector_value()).collect())
}

/// Element `(b, h, r, 0)` of a view, as a pointer.
fn row_ptr<'c>(fx: &Fx<'_, 'c>, x: &View4, b: I<'c>, h: I<'c>, r: I<'c>) -> R<P<'c>> {
    let p = fx.ptr(x.at)?;
    let p = fx.gep_s(p, b, x.strides[0] as i64)?;
    let p = fx.gep_s(p, h, x.strides[1] as i64)?;
    fx.gep_s(p, r, x.strides[2] as i64)
}

/// What every row group of one `(batch, head)` slice shares.
struct Slice<'k, 'c> {
    g: AttentionGeom,
    scale: f32,
    act: Activation,
    lepe: Option<&'k Lepe>,
    h: I<'c>,
    /// Query row 0 of the slice, and the strides of `q` along rows and depth.
    q0: P<'c>,
    q_rows: i64,
    q_depth: i64,
    /// `kt[e = 0, j = 0]` and the stride along `e`.
    kt0: P<'c>,
    kt_depth: i64,
    /// `v[j = 0, c = 0]` and the stride along `j`.
    v0: P<'c>,
    v_rows: i64,
    /// Output row 0 and its row stride.
    out0: P<'c>,
    out_rows: i64,
    /// The bias table's row 0 for this head (rows of `m`).
    bias0: Option<P<'c>>,
    /// Logits rows: row `t` of the group at `scratch + t·stride`.
    scratch: P<'c>,
    scratch_stride: i64,
}

/// Emits an `Attention` kernel.
pub(crate) fn emit_attention(fx: &mut Fx<'_, '_>, att: &Attention) -> R<()> {
    let Attention { geom, scale, q, kt, v, bias, lepe, out, act } = att;
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
    if g.n == 0 || g.heads == 0 {
        return Ok(());
    }
    let w = fx.w();
    let rb = group_rows(fx);
    let row_len = g.m.div_ceil(w) * w;
    let scratch = fx.stack_buffer(rb * row_len)?;
    let n = g.n as i64;
    // The (batch, head) slices the chunk touches: start/n ..= (end-1)/n.
    let (start, end) = (fx.start, fx.end);
    let first = fx.udiv_c(start, n)?;
    let last = fx.udiv_c(fx.add_c(end, n - 1)?, n)?;
    fx.range_loop(first, last, 1, &[], &mut |fx, bh, _| {
        let h = fx.urem_c(bh, g.heads as i64)?;
        let b = fx.udiv_c(bh, g.heads as i64)?;
        let row0 = fx.mul_c(bh, n)?;
        let lo = fx.imax(fx.sub(start, row0)?, fx.ic(0))?;
        let hi = fx.imin(fx.sub(end, row0)?, fx.ic(n))?;
        let zero = fx.ic(0);
        let s = Slice {
            g,
            scale: *scale,
            act: *act,
            lepe: lepe.as_ref(),
            h,
            q0: row_ptr(fx, q, b, h, zero)?,
            q_rows: q.strides[2] as i64,
            q_depth: q.strides[3] as i64,
            kt0: row_ptr(fx, kt, b, h, zero)?,
            kt_depth: kt.strides[2] as i64,
            v0: row_ptr(fx, v, b, h, zero)?,
            v_rows: v.strides[2] as i64,
            out0: row_ptr(fx, out, b, h, zero)?,
            out_rows: out.strides[2] as i64,
            bias0: match bias {
                Some(bl) => Some(fx.gep_s(fx.ptr(*bl)?, h, (g.n * g.m) as i64)?),
                None => None,
            },
            scratch,
            scratch_stride: row_len as i64,
        };
        let hi_full = fx.add_c(hi, 1 - rb as i64)?;
        let after = fx.range_loop(lo, hi_full, rb as i64, &[lo.into()], &mut |fx, i, _| {
            rows(fx, &s, rb, i)?;
            Ok(vec![fx.add_c(i, rb as i64)?.into()])
        })?;
        // Fewer than `rb` rows left: groups of 4 while they last, then one by one.
        let mut i = after[0].into_int_value();
        if rb > 4 {
            let hi4 = fx.add_c(hi, -3)?;
            let after = fx.range_loop(i, hi4, 4, &[i.into()], &mut |fx, i, _| {
                rows(fx, &s, 4, i)?;
                Ok(vec![fx.add_c(i, 4)?.into()])
            })?;
            i = after[0].into_int_value();
        }
        fx.range_loop(i, hi, 1, &[], &mut |fx, i, _| {
            rows(fx, &s, 1, i)?;
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}

/// Query rows `i .. i + count` of a slice.
fn rows<'a, 'c>(fx: &mut Fx<'a, 'c>, s: &Slice<'_, 'c>, count: usize, i: I<'c>) -> R<()> {
    let at = |fx: &Fx<'a, 'c>, base: P<'c>, stride: i64, t: usize| fx.gep_s(base, fx.add_c(i, t as i64)?, stride);
    let qr: Vec<P<'c>> = (0..count).map(|t| at(fx, s.q0, s.q_rows, t)).collect::<R<_>>()?;
    let bias: Vec<Option<P<'c>>> =
        (0..count).map(|t| s.bias0.map(|b| at(fx, b, s.g.m as i64, t)).transpose()).collect::<R<_>>()?;
    let lr: Vec<P<'c>> = (0..count).map(|t| fx.gep_c(s.scratch, t as i64 * s.scratch_stride)).collect::<R<_>>()?;
    let mx = logits(fx, s, &qr, &bias, &lr)?;
    let inv = softmax_rows(fx, s.g.m, &lr, &mx)?;
    let orow: Vec<P<'c>> = (0..count).map(|t| at(fx, s.out0, s.out_rows, t)).collect::<R<_>>()?;
    weighted_sum(fx, s, &lr, &inv, i, &orow)
}

/// `lr[t][j] = scale·Σ_e q_t[e]·k[e, j] + bias_t[j]` for `j < m`, every
/// row `t`; returns each row's running maximum (a vector whose lanes' max
/// is the row's).
fn logits<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    s: &Slice<'_, 'c>,
    qr: &[P<'c>],
    bias: &[Option<P<'c>>],
    lr: &[P<'c>],
) -> R<Vec<V<'c>>> {
    let w = fx.w();
    let kb = BLOCK_VECTORS;
    let nrows = qr.len();
    // `nvec` key vectors of `lanes` valid keys (the last one) from key `j0`;
    // folds them into the running maxima `mx`.
    let block = |fx: &mut Fx<'a, 'c>, j0: I<'c>, nvec: usize, lanes: usize, mx: &mut [V<'c>]| -> R<()> {
        let zero = fx.splat(0.0);
        let init: Vec<_> = (0..nrows * nvec).map(|_| zero.into()).collect();
        let kj = fx.gep(s.kt0, j0)?;
        // One depth step `e` of every accumulator.
        let step = |fx: &mut Fx<'a, 'c>, e: I<'c>, acc: &mut [V<'c>]| -> R<()> {
            let ke = fx.gep_s(kj, e, s.kt_depth)?;
            // K rows are a stride apart: fetch the block's row PF_AHEAD steps on.
            for line in 0..(nvec * w).div_ceil(16) {
                fx.prefetch(fx.gep_c(ke, PF_AHEAD * s.kt_depth + (line * 16) as i64)?)?;
            }
            let kv: Vec<V<'c>> = (0..nvec)
                .map(|u| {
                    let l = if u + 1 == nvec { lanes } else { w };
                    fx.gather(fx.gep_c(ke, (u * w) as i64)?, 1, l, w as u32)
                })
                .collect::<R<_>>()?;
            for (t, &q) in qr.iter().enumerate() {
                let qe = fx.load_splat(fx.gep_s(q, e, s.q_depth)?)?;
                for (u, &k) in kv.iter().enumerate() {
                    acc[t * nvec + u] = fx.madd(qe, k, acc[t * nvec + u])?;
                }
            }
            Ok(())
        };
        let acc = step_loop(fx, s.g.d, &init, &step)?;
        // Lanes past the keys must not raise the maximum: they become −∞.
        let keep: Vec<u32> = (0..w as u32).map(|j| if (j as usize) < lanes { j } else { w as u32 }).collect();
        let ninf = fx.splat(f32::NEG_INFINITY);
        for t in 0..nrows {
            for u in 0..nvec {
                let last = u + 1 == nvec;
                let l = if last { lanes } else { w };
                let mut x = fx.fmul(acc[t * nvec + u], fx.splat(s.scale))?;
                let j = fx.add_c(j0, (u * w) as i64)?;
                if let Some(bp) = bias[t] {
                    x = fx.fadd(x, fx.gather(fx.gep(bp, j)?, 1, l, w as u32)?)?;
                }
                fx.scatter(x, fx.gep(lr[t], j)?, 1, l)?;
                let xm = if last && lanes < w { fx.shuffle(x, ninf, &keep)? } else { x };
                mx[t] = fx.vmax(mx[t], xm)?;
            }
        }
        Ok(())
    };
    let full = s.g.m / w;
    let init: Vec<_> = (0..nrows).map(|_| fx.splat(f32::NEG_INFINITY).into()).collect();
    let st = fx.count_loop(full / kb, &init, &mut |fx, t, st| {
        let j0 = fx.mul_c(t, (kb * w) as i64)?;
        let mut mx: Vec<V<'c>> = st.iter().map(|v| v.into_vector_value()).collect();
        block(fx, j0, kb, w, &mut mx)?;
        Ok(mx.into_iter().map(Into::into).collect())
    })?;
    let mut mx: Vec<V<'c>> = st.iter().map(|v| v.into_vector_value()).collect();
    let left = full % kb;
    let tail = s.g.m % w;
    if left > 0 || tail > 0 {
        let j0 = fx.ic(((full / kb) * kb * w) as i64);
        if tail > 0 {
            block(fx, j0, left + 1, tail, &mut mx)?;
        } else {
            block(fx, j0, left, w, &mut mx)?;
        }
    }
    Ok(mx)
}

/// Replaces each row `lr[t][0..m]` by `exp(row − max_t)` (`mx[t]` holds the
/// row's maximum across its lanes), all rows of the group in one pass;
/// returns each row's `1/Σ` broadcast.
fn softmax_rows<'a, 'c>(fx: &mut Fx<'a, 'c>, m: usize, lr: &[P<'c>], mx: &[V<'c>]) -> R<Vec<V<'c>>> {
    let w = fx.w();
    let nv = m / w;
    let mx: Vec<V<'c>> = mx.iter().map(|&v| fx.hreduce(v, &mut |fx, a, b| fx.vmax(a, b))).collect::<R<_>>()?;
    let zero = fx.splat(0.0);
    let init: Vec<_> = lr.iter().map(|_| zero.into()).collect();
    let st = fx.count_loop(nv, &init, &mut |fx, t, st| {
        let mut next = Vec::with_capacity(lr.len());
        for (r, &row) in lr.iter().enumerate() {
            let p = fx.gep_s(row, t, w as i64)?;
            let e = fx.exp(fx.fsub(fx.load(p)?, mx[r])?)?;
            fx.store(e, p)?;
            next.push(fx.fadd(st[r].into_vector_value(), e)?.into());
        }
        Ok(next)
    })?;
    let mut inv = Vec::with_capacity(lr.len());
    for (r, &row) in lr.iter().enumerate() {
        let mut sum = fx.hsum(st[r].into_vector_value())?;
        for t in nv * w..m {
            let p = fx.gep_c(row, t as i64)?;
            let e = fx.exp(fx.fsub(fx.load_splat(p)?, mx[r])?)?;
            fx.store_lane0(e, p)?;
            sum = fx.fadd(sum, e)?;
        }
        inv.push(fx.fdiv(fx.splat(1.0), sum)?);
    }
    Ok(inv)
}

/// `out_t[c] = act(inv_t·Σ_j p_t[j]·v[j, c]) + lepe_t[c]` for `c < dv`,
/// every row `t` (query `i + t`).
fn weighted_sum<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    s: &Slice<'_, 'c>,
    lr: &[P<'c>],
    inv: &[V<'c>],
    i: I<'c>,
    orow: &[P<'c>],
) -> R<()> {
    let w = fx.w();
    let g = &s.g;
    let vb = BLOCK_VECTORS;
    let nrows = lr.len();
    let nvec = g.dv.div_ceil(w);
    let mut c0 = 0;
    while c0 < nvec {
        let cnt = (nvec - c0).min(vb);
        let lanes = |u: usize| (g.dv - (c0 + u) * w).min(w);
        let zero = fx.splat(0.0);
        let init: Vec<_> = (0..nrows * cnt).map(|_| zero.into()).collect();
        let vc = fx.gep_c(s.v0, (c0 * w) as i64)?;
        // One key `j` of every accumulator.
        let step = |fx: &mut Fx<'a, 'c>, j: I<'c>, acc: &mut [V<'c>]| -> R<()> {
            let vj = fx.gep_s(vc, j, s.v_rows)?;
            for line in 0..(cnt * w).div_ceil(16) {
                fx.prefetch(fx.gep_c(vj, PF_AHEAD * s.v_rows + (line * 16) as i64)?)?;
            }
            let vv: Vec<V<'c>> =
                (0..cnt).map(|u| fx.gather(fx.gep_c(vj, (u * w) as i64)?, 1, lanes(u), w as u32)).collect::<R<_>>()?;
            for (t, &row) in lr.iter().enumerate() {
                let pj = fx.load_splat(fx.gep(row, j)?)?;
                for (u, &x) in vv.iter().enumerate() {
                    acc[t * cnt + u] = fx.madd(pj, x, acc[t * cnt + u])?;
                }
            }
            Ok(())
        };
        let acc = step_loop(fx, g.m, &init, &step)?;
        for t in 0..nrows {
            let it = fx.add_c(i, t as i64)?;
            for u in 0..cnt {
                let c = ((c0 + u) * w) as i64;
                let y = fx.fmul(acc[t * cnt + u], inv[t])?;
                let mut y = fx.activation(s.act, y)?;
                if let Some(l) = s.lepe {
                    let pe = lepe_vec(fx, g, l, s.v0, s.v_rows, s.h, it, c, lanes(u))?;
                    y = fx.fadd(y, pe)?;
                }
                fx.scatter(y, fx.gep_c(orow[t], c)?, 1, lanes(u))?;
            }
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
