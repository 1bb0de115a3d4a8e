//! The fused attention kernel ([`vitc_lower::Kernel::Attention`]), one query
//! row per outer index, its logits row in a stack scratch buffer:
//!
//! 1. logits: blocks of 16 keys (four f32x4 accumulators) swept over the
//!    depth, each step one broadcast `q[e]` against a row of `kt` (unit
//!    stride over keys), then `· scale + bias`;
//! 2. softmax in place with the row max subtracted (`norm::fold_row`),
//!    keeping `1 / Σ` for later;
//! 3. `p · v`: blocks of up to 32 value columns (eight accumulators) swept
//!    over the keys, each step one broadcast probability against a row of
//!    `v`; then `· 1/Σ`, the activation, and the LePE taps (branch-free:
//!    out-of-grid taps read a clamped row with a zero weight).

use cranelift_codegen::ir::{InstBuilder, StackSlotData, StackSlotKind, Value, condcodes::IntCC, types::F32};
use vitc_lower::{ATTENTION_MAX_KEYS, AttentionGeom, Lepe, View4};

use crate::BackendError;
use crate::emit::{EL, F32X4, Fx, I64};
use vitc_lower::Attention;

/// Vectors per block of keys in the logits sweep.
const KEY_BLOCK: usize = 4;
/// Vectors per block of value columns in the `p · v` sweep.
const VALUE_BLOCK: usize = 8;

/// Emits an `Attention` kernel (rows `start..end`).
pub(crate) fn emit_attention(fx: &mut Fx, att: &Attention) -> Result<(), BackendError> {
    let Attention { geom: g, scale, q, kt, v, bias, lepe, out, act } = att;
    let g = *g;
    if g.m == 0 || g.m > ATTENTION_MAX_KEYS {
        return Err(BackendError::Invalid(format!("attention with {} keys (1..={ATTENTION_MAX_KEYS})", g.m)));
    }
    for (what, x, len) in [("kt", kt, g.m), ("v", v, g.dv), ("out", out, g.dv)] {
        if x.strides[3] != 1 && len > 1 {
            return Err(BackendError::Invalid(format!(
                "attention operand {what} has last-axis stride {}",
                x.strides[3]
            )));
        }
    }
    if let Some(l) = lepe
        && (l.grid_h * l.grid_w != g.m || g.m != g.n)
    {
        return Err(BackendError::Invalid("LePE grid does not match the keys".into()));
    }
    let row_bytes = g.m.div_ceil(4) * 16;
    let slot = fx.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, row_bytes as u32, 4));
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, r, _| {
        let scratch = fx.b.ins().stack_addr(I64, slot, 0);
        let bh = fx.b.ins().udiv_imm_s(r, g.n as i64);
        let i = {
            let t = fx.mul_imm(bh, g.n as i64);
            fx.b.ins().isub(r, t)
        };
        let b = fx.b.ins().udiv_imm_s(bh, g.heads as i64);
        let h = {
            let t = fx.mul_imm(b, g.heads as i64);
            fx.b.ins().isub(bh, t)
        };
        let qp = base(fx, q, b, h, Some(i));
        let ktp = base(fx, kt, b, h, None);
        let vp = base(fx, v, b, h, None);
        let op = base(fx, out, b, h, Some(i));
        let biasp = bias.map(|at| {
            let p = fx.ptr(at);
            let hn = fx.mul_imm(h, g.n as i64);
            let row = fx.b.ins().iadd(hn, i);
            fx.index(p, row, (g.m as i64) * EL)
        });
        logits(fx, &g, *scale, qp, q.strides[3] as i64 * EL, ktp, kt.strides[2] as i64 * EL, biasp, scratch);
        let inv = softmax(fx, g.m, scratch);
        let lepe_ptrs = lepe.map(|l| lepe_rows(fx, &g, &l, h, i));
        weighted_sum(fx, &g, scratch, vp, v.strides[2] as i64 * EL, inv, *act, lepe_ptrs.as_ref(), op);
        Vec::new()
    });
    Ok(())
}

/// `at + b·s0 + h·s1 (+ i·s2)` in bytes.
fn base(fx: &mut Fx, x: &View4, b: Value, h: Value, i: Option<Value>) -> Value {
    let p = fx.ptr(x.at);
    let p = fx.index(p, b, x.strides[0] as i64 * EL);
    let p = fx.index(p, h, x.strides[1] as i64 * EL);
    match i {
        Some(i) => fx.index(p, i, x.strides[2] as i64 * EL),
        None => p,
    }
}

/// Writes `scale · q·kt + bias` for the row's `m` keys into `scratch`.
#[allow(clippy::too_many_arguments)]
fn logits(
    fx: &mut Fx,
    g: &AttentionGeom,
    scale: f32,
    qp: Value,
    q_step: i64,
    ktp: Value,
    kt_row: i64,
    bias: Option<Value>,
    scratch: Value,
) {
    let full = g.m / 4;
    let tail = g.m % 4;
    let mut col = 0usize;
    // Blocks of KEY_BLOCK vectors, then one block of the remaining vectors
    // (plus the partial one).
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let nblocks = full / KEY_BLOCK;
    let rest = full % KEY_BLOCK;
    if nblocks > 0 {
        blocks.push((nblocks, KEY_BLOCK));
    }
    let emit_block = |fx: &mut Fx, start_col: Value, vecs: usize, partial: usize| {
        let zero = fx.splat(0.0);
        let mut state = vec![qp, fx.index(ktp, start_col, EL)];
        state.extend(std::iter::repeat_n(zero, vecs + usize::from(partial > 0)));
        let res = fx.count_loop(g.d, &state, &mut |fx, _, s| {
            let qe = fx.load(F32, s[0], 0);
            let qv = fx.b.ins().splat(F32X4, qe);
            let mut next = vec![fx.add_imm(s[0], q_step), fx.add_imm(s[1], kt_row)];
            for u in 0..vecs {
                let k = fx.load(F32X4, s[1], u as i64 * 16);
                next.push(fx.madd(qv, k, s[2 + u]));
            }
            if partial > 0 {
                let k = fx.load_partial(s[1], vecs as i64 * 16, partial);
                next.push(fx.madd(qv, k, s[2 + vecs]));
            }
            next
        });
        let sc = fx.splat(scale);
        let dst = fx.index(scratch, start_col, EL);
        let bias_row = bias.map(|bp| fx.index(bp, start_col, EL));
        for (u, &acc) in res[2..].iter().enumerate() {
            let lanes = if u < vecs { 4 } else { partial };
            let mut l = fx.b.ins().fmul(acc, sc);
            if let Some(bp) = bias_row {
                let bv = fx.load_partial(bp, u as i64 * 16, lanes);
                l = fx.b.ins().fadd(l, bv);
            }
            fx.store_partial(l, dst, u as i64 * 16, lanes);
        }
    };
    for (count, vecs) in blocks {
        fx.count_loop(count, &[], &mut |fx, blk, _| {
            let c = fx.mul_imm(blk, (vecs * 4) as i64);
            emit_block(fx, c, vecs, 0);
            Vec::new()
        });
        col += count * vecs * 4;
    }
    if rest > 0 || tail > 0 {
        let c = fx.iconst(col as i64);
        emit_block(fx, c, rest, tail);
    }
}

/// Softmax of the scratch row in place, without the final division:
/// returns `1 / Σ exp(l − max)` in every lane.
fn softmax(fx: &mut Fx, m: usize, scratch: Value) -> Value {
    vitc_lower::cpu::rows::exp_row(fx, scratch, scratch, m)
}

/// The LePE taps of query `i`: for each tap, the byte offset of the V row
/// it reads (clamped into the grid) and a lane mask that is all ones when
/// the tap is inside the grid; plus the weights and bias rows of head `h`.
struct LepeRows {
    taps: Vec<(Value, Value)>,
    w: Value,
    bias: Option<Value>,
    dv: usize,
}

fn lepe_rows(fx: &mut Fx, g: &AttentionGeom, l: &Lepe, h: Value, i: Value) -> LepeRows {
    let gw = l.grid_w as i64;
    let y = fx.b.ins().udiv_imm_s(i, gw);
    let x = {
        let t = fx.mul_imm(y, gw);
        fx.b.ins().isub(i, t)
    };
    let mut taps = Vec::with_capacity(l.kh * l.kw);
    for ty in 0..l.kh as i64 {
        for tx in 0..l.kw as i64 {
            let sy = fx.add_imm(y, ty - l.pad_h as i64);
            let sx = fx.add_imm(x, tx - l.pad_w as i64);
            let zero = fx.iconst(0);
            let (hmax, wmax) = (fx.iconst(l.grid_h as i64 - 1), fx.iconst(gw - 1));
            let cy = fx.imax(sy, zero);
            let cy = fx.imin(cy, hmax);
            let cx = fx.imax(sx, zero);
            let cx = fx.imin(cx, wmax);
            let inside_y = fx.b.ins().icmp(IntCC::Equal, cy, sy);
            let inside_x = fx.b.ins().icmp(IntCC::Equal, cx, sx);
            let inside = fx.b.ins().band(inside_y, inside_x);
            let mask = fx.lane_mask(inside);
            let row = fx.mul_imm(cy, gw);
            let j = fx.b.ins().iadd(row, cx);
            taps.push((j, mask));
        }
    }
    let w = fx.ptr(l.w);
    let w = fx.index(w, h, (l.kh * l.kw * g.dv) as i64 * EL);
    let bias = l.bias.map(|at| {
        let p = fx.ptr(at);
        fx.index(p, h, g.dv as i64 * EL)
    });
    LepeRows { taps, w, bias, dv: g.dv }
}

/// `out[c] = act(inv · Σ_j p[j]·v[j, c]) (+ LePE)` over the row's columns.
#[allow(clippy::too_many_arguments)]
fn weighted_sum(
    fx: &mut Fx,
    g: &AttentionGeom,
    scratch: Value,
    vp: Value,
    v_row: i64,
    inv: Value,
    act: vitc_lower::Activation,
    lepe: Option<&LepeRows>,
    op: Value,
) {
    let vectors = g.dv.div_ceil(4);
    let mut c0 = 0usize;
    while c0 < vectors {
        let vecs = VALUE_BLOCK.min(vectors - c0);
        let lanes_of = |u: usize| (g.dv - (c0 + u) * 4).min(4);
        let zero = fx.splat(0.0);
        let mut state = vec![scratch, fx.add_imm(vp, c0 as i64 * 16)];
        state.extend(std::iter::repeat_n(zero, vecs));
        let res = fx.count_loop(g.m, &state, &mut |fx, _, s| {
            let p = fx.load(F32, s[0], 0);
            let pv = fx.b.ins().splat(F32X4, p);
            let mut next = vec![fx.add_imm(s[0], EL), fx.add_imm(s[1], v_row)];
            for u in 0..vecs {
                let x = fx.load_partial(s[1], u as i64 * 16, lanes_of(u));
                next.push(fx.madd(pv, x, s[2 + u]));
            }
            next
        });
        for u in 0..vecs {
            let lanes = lanes_of(u);
            let off = (c0 + u) as i64 * 16;
            let y = fx.b.ins().fmul(res[2 + u], inv);
            let mut y = vitc_lower::elem::activation(fx, act, y);
            if let Some(l) = lepe {
                let mut pe = match l.bias {
                    Some(bp) => fx.load_partial(bp, off, lanes),
                    None => fx.splat(0.0),
                };
                for (t, &(j, mask)) in l.taps.iter().enumerate() {
                    let w = fx.load_partial(l.w, (t * l.dv) as i64 * EL + off, lanes);
                    let zero = fx.splat(0.0);
                    let w = fx.select(mask, w, zero);
                    let row = fx.index(vp, j, v_row);
                    let x = fx.load_partial(row, off, lanes);
                    pe = fx.madd(w, x, pe);
                }
                y = fx.b.ins().fadd(y, pe);
            }
            fx.store_partial(y, op, off, lanes);
        }
        c0 += vecs;
    }
}
