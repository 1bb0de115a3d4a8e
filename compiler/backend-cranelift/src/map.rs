//! `Map` (element-wise ops over strided views) and `Fill`.
//!
//! A map's loop nest is first simplified at compile time: size-1 axes are
//! dropped and adjacent axes merged whenever every operand is contiguous
//! across them (merging into axis 0 scales the chunk range, so a dense
//! `[196, 384]` map becomes one flat loop over `[start·384, end·384)`). The
//! innermost axis is processed four lanes at a time: operands with stride 1
//! are vector loads, stride 0 a broadcast, anything else a gather of four
//! scalars; the tail uses partial loads and stores. Outer axes keep one
//! pointer per operand as loop-carried values bumped by constant strides.

use cranelift_codegen::ir::Value;
use vitc_lower::{BinaryOp, Loc, MapLevel, MapOp, Strided, UnaryOp, map_levels};

use crate::emit::{EL, Fx};

/// The shared map levels with strides in bytes.
fn simplify(dims: &[usize], inputs: &[Strided]) -> (Vec<MapLevel>, usize) {
    let (mut levels, scale) = map_levels(dims, inputs);
    for l in &mut levels {
        l.strides.iter_mut().for_each(|s| *s *= EL);
    }
    (levels, scale)
}

/// Whether an op is costly enough that the unroll factor should stay low.
fn expensive(op: MapOp) -> bool {
    use vitc_lower::Activation as A;
    matches!(
        op,
        MapOp::Unary(
            UnaryOp::Exp
                | UnaryOp::Log
                | UnaryOp::Erf
                | UnaryOp::Tanh
                | UnaryOp::Act(A::Sigmoid | A::Gelu | A::GeluTanh)
        ) | MapOp::Binary(BinaryOp::Pow)
    )
}

/// Computes `lanes` (1..=4) elements at byte offset `e` (in elements, per
/// operand scaled by its stride) from the operand pointers `ptrs` (output
/// first).
fn group(fx: &mut Fx, op: MapOp, ptrs: &[Value], strides: &[i64], e: i64, lanes: usize) {
    let args: Vec<Value> = (1..ptrs.len()).map(|j| fx.gather4(ptrs[j], e * strides[j], strides[j], lanes)).collect();
    let r = vitc_lower::elem::map(fx, op, &args);
    if lanes == 1 {
        fx.store_lane0(r, ptrs[0], e * strides[0]);
    } else {
        fx.store_partial(r, ptrs[0], e * strides[0], lanes);
    }
}

fn bump(fx: &mut Fx, ptrs: &[Value], strides: &[i64], elems: i64) -> Vec<Value> {
    ptrs.iter().zip(strides).map(|(&p, &s)| fx.add_imm(p, s * elems)).collect()
}

/// `n` (constant) elements of the innermost level.
fn inner_const(fx: &mut Fx, op: MapOp, n: usize, ptrs: &[Value], strides: &[i64]) {
    let unroll = if expensive(op) { 2 } else { 4 };
    let nv = n / 4;
    let ptrs = fx.count_loop(nv / unroll, ptrs, &mut |fx, _, p| {
        for u in 0..unroll {
            group(fx, op, p, strides, 4 * u as i64, 4);
        }
        bump(fx, p, strides, 4 * unroll as i64)
    });
    for u in 0..nv % unroll {
        group(fx, op, &ptrs, strides, 4 * u as i64, 4);
    }
    let tail = n % 4;
    if tail > 0 {
        group(fx, op, &ptrs, strides, 4 * (nv % unroll) as i64, tail);
    }
}

/// Elements `lo..hi` (run-time) of a single flat level.
fn inner_runtime(fx: &mut Fx, op: MapOp, lo: Value, hi: Value, ptrs: &[Value], strides: &[i64]) {
    let unroll = if expensive(op) { 2 } else { 4 };
    let w = 4 * unroll as i64;
    // Vector loop while i + w <= hi, i.e. i < hi - w + 1.
    let hi_u = fx.add_imm(hi, 1 - w);
    let state = [&[lo][..], ptrs].concat();
    let state = fx.range_loop(lo, hi_u, w, &state, &mut |fx, i, s| {
        for u in 0..unroll {
            group(fx, op, &s[1..], strides, 4 * u as i64, 4);
        }
        let mut next = vec![fx.add_imm(i, w)];
        next.extend(bump(fx, &s[1..], strides, w));
        next
    });
    let hi4 = fx.add_imm(hi, -3);
    let state = fx.range_loop(state[0], hi4, 4, &state, &mut |fx, i, s| {
        group(fx, op, &s[1..], strides, 0, 4);
        let mut next = vec![fx.add_imm(i, 4)];
        next.extend(bump(fx, &s[1..], strides, 4));
        next
    });
    fx.range_loop(state[0], hi, 1, &state[1..], &mut |fx, _, s| {
        group(fx, op, s, strides, 0, 1);
        bump(fx, s, strides, 1)
    });
}

/// MapLevels `1..` (constant trip counts) from the given pointers.
fn nest(fx: &mut Fx, op: MapOp, levels: &[MapLevel], ptrs: &[Value]) {
    match levels {
        [] => group(fx, op, ptrs, &vec![0; ptrs.len()], 0, 1),
        [last] => inner_const(fx, op, last.n, ptrs, &last.strides),
        [first, rest @ ..] => {
            fx.count_loop(first.n, ptrs, &mut |fx, _, p| {
                nest(fx, op, rest, p);
                bump(fx, p, &first.strides, 1)
            });
        }
    }
}

/// Emits a `Map` kernel.
pub(crate) fn emit_map(fx: &mut Fx, op: MapOp, dims: &[usize], out: Loc, inputs: &[Strided]) {
    let (levels, scale) = simplify(dims, inputs);
    let mut bases = vec![fx.ptr(out)];
    bases.extend(inputs.iter().map(|s| fx.ptr(s.at)));
    let lo = fx.mul_imm(fx.start, scale as i64);
    let hi = fx.mul_imm(fx.end, scale as i64);
    let l0 = &levels[0];
    let ptrs: Vec<Value> = bases.iter().zip(&l0.strides).map(|(&b, &s)| fx.index(b, lo, s)).collect();
    if levels.len() == 1 {
        inner_runtime(fx, op, lo, hi, &ptrs, &l0.strides);
        return;
    }
    fx.range_loop(lo, hi, 1, &ptrs, &mut |fx, _, p| {
        nest(fx, op, &levels[1..], p);
        bump(fx, p, &l0.strides, 1)
    });
}

/// Emits a `Fill` kernel: `out[start..end] = value`.
pub(crate) fn emit_fill(fx: &mut Fx, value: f32, out: Loc) {
    // A map with no inputs whose element function is the constant.
    let base = fx.ptr(out);
    let ptr = fx.index(base, fx.start, EL);
    let (lo, hi) = (fx.start, fx.end);
    let hi16 = fx.add_imm(hi, -15);
    let ptr = fx.range_loop(lo, hi16, 16, &[lo, ptr], &mut |fx, i, s| {
        let v = fx.splat(value);
        for u in 0..4 {
            fx.store(v, s[1], 16 * u);
        }
        vec![fx.add_imm(i, 16), fx.add_imm(s[1], 64)]
    });
    let hi4 = fx.add_imm(hi, -3);
    let ptr = fx.range_loop(ptr[0], hi4, 4, &ptr, &mut |fx, i, s| {
        let v = fx.splat(value);
        fx.store(v, s[1], 0);
        vec![fx.add_imm(i, 4), fx.add_imm(s[1], 16)]
    });
    fx.range_loop(ptr[0], hi, 1, &ptr[1..], &mut |fx, _, s| {
        let v = fx.fconst(value);
        fx.store(v, s[0], 0);
        vec![fx.add_imm(s[0], EL)]
    });
}
