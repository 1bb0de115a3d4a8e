//! `Map` (element-wise ops over strided views) and `Fill`.
//!
//! A map's loop nest is first simplified at compile time: size-1 axes are
//! dropped and adjacent axes merged whenever every operand is contiguous
//! across them (merging into axis 0 scales the chunk range, so a dense
//! `[196, 384]` map becomes one flat loop over `[start·384, end·384)`). The
//! innermost axis runs a vector at a time: unit-stride operands are vector
//! loads, stride 0 a broadcast, others a gather of scalars. The tail runs
//! the same vector code on a partially filled vector, so every element gets
//! the same instructions wherever a chunk boundary falls.

use inkwell::values::BasicValueEnum;
use vitc_lower::{Loc, MapLevel, MapOp, Strided, map_levels};

use crate::fx::{Fx, I, P, R, V};

/// Computes `n` (≤ lanes) elements from the operand pointers `ptrs`
/// (output first) with innermost strides `strides`.
fn group<'c>(fx: &Fx<'_, 'c>, op: MapOp, ptrs: &[P<'c>], strides: &[i64], n: usize) -> R<()> {
    let lanes = fx.isa.lanes;
    let args: Vec<V<'c>> = (1..ptrs.len()).map(|j| fx.gather(ptrs[j], strides[j], n, lanes)).collect::<R<_>>()?;
    let r = fx.map_op(op, &args)?;
    fx.scatter(r, ptrs[0], strides[0], n)
}

/// Pointers advanced by `i` steps of `strides`.
fn at<'c>(fx: &Fx<'_, 'c>, ptrs: &[P<'c>], strides: &[i64], i: I<'c>) -> R<Vec<P<'c>>> {
    ptrs.iter().zip(strides).map(|(&p, &s)| fx.gep_s(p, i, s)).collect()
}

/// Elements `lo..hi` (run time) of the innermost level.
fn inner_range<'a, 'c>(fx: &mut Fx<'a, 'c>, op: MapOp, lo: I<'c>, hi: I<'c>, ptrs: &[P<'c>], strides: &[i64]) -> R<()> {
    let w = fx.w() as i64;
    let hi_v = fx.add_c(hi, 1 - w)?;
    let init: Vec<BasicValueEnum<'c>> = vec![lo.into()];
    let after = fx.range_loop(lo, hi_v, w, &init, &mut |fx, i, _| {
        let p = at(fx, ptrs, strides, i)?;
        group(fx, op, &p, strides, w as usize)?;
        Ok(vec![fx.add_c(i, w)?.into()])
    })?;
    let rest = after[0].into_int_value();
    fx.range_loop(rest, hi, 1, &[], &mut |fx, i, _| {
        let p = at(fx, ptrs, strides, i)?;
        group(fx, op, &p, strides, 1)?;
        Ok(vec![])
    })?;
    Ok(())
}

/// MapLevels `levels` (constant trip counts) from the pointers `ptrs`.
fn nest<'a, 'c>(fx: &mut Fx<'a, 'c>, op: MapOp, levels: &[MapLevel], ptrs: &[P<'c>]) -> R<()> {
    match levels {
        [] => group(fx, op, ptrs, &vec![0; ptrs.len()], 1),
        [last] => {
            let w = fx.w();
            let full = last.n / w;
            let s = &last.strides;
            fx.count_loop(full, &[], &mut |fx, i, _| {
                let iw = fx.mul_c(i, w as i64)?;
                let p = at(fx, ptrs, s, iw)?;
                group(fx, op, &p, s, w)?;
                Ok(vec![])
            })?;
            if !last.n.is_multiple_of(w) {
                let k = fx.ic((full * w) as i64);
                let p = at(fx, ptrs, s, k)?;
                group(fx, op, &p, s, last.n % w)?;
            }
            Ok(())
        }
        [first, rest @ ..] => {
            fx.count_loop(first.n, &[], &mut |fx, i, _| {
                let p = at(fx, ptrs, &first.strides, i)?;
                nest(fx, op, rest, &p)?;
                Ok(vec![])
            })?;
            Ok(())
        }
    }
}

/// Emits a `Map` kernel.
pub(crate) fn emit_map(fx: &mut Fx<'_, '_>, op: MapOp, dims: &[usize], out: Loc, inputs: &[Strided]) -> R<()> {
    let (levels, scale) = map_levels(dims, inputs);
    let mut bases = vec![fx.ptr(out)?];
    for s in inputs {
        bases.push(fx.ptr(s.at)?);
    }
    let lo = fx.mul_c(fx.start, scale as i64)?;
    let hi = fx.mul_c(fx.end, scale as i64)?;
    let l0 = levels[0].clone();
    if levels.len() == 1 {
        return inner_range(fx, op, lo, hi, &bases, &l0.strides);
    }
    fx.range_loop(lo, hi, 1, &[], &mut |fx, i, _| {
        let p = at(fx, &bases, &l0.strides, i)?;
        nest(fx, op, &levels[1..], &p)?;
        Ok(vec![])
    })?;
    Ok(())
}

/// Emits a `Fill` kernel: `out[start..end] = value`.
pub(crate) fn emit_fill(fx: &mut Fx<'_, '_>, value: f32, out: Loc) -> R<()> {
    let base = fx.ptr(out)?;
    let w = fx.w() as i64;
    let (lo, hi) = (fx.start, fx.end);
    let hi_v = fx.add_c(hi, 1 - w)?;
    let after = fx.range_loop(lo, hi_v, w, &[lo.into()], &mut |fx, i, _| {
        let p = fx.gep(base, i)?;
        fx.store(fx.splat(value), p)?;
        Ok(vec![fx.add_c(i, w)?.into()])
    })?;
    let rest = after[0].into_int_value();
    fx.range_loop(rest, hi, 1, &[], &mut |fx, i, _| {
        let p = fx.gep(base, i)?;
        fx.store_f(fx.f32t().const_float(f64::from(value)), p)?;
        Ok(vec![])
    })?;
    Ok(())
}
