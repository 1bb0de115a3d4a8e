//! `Resample`: separable linear / cubic resizing of one axis,
//! `out[o, i, e] = Σ_t coeff[i·taps + t] · src[o, index[i·taps + t], e]`,
//! accumulated from zero in tap order. The inner axis runs a vector at a
//! time (partial vectors for its tail); the index and coefficient tables
//! are constants in the weights.

use crate::fx::{Fx, I, R};
use vitc_lower::Resample;

/// Emits a `Resample` kernel (outer indices `start..end`).
pub(crate) fn emit_resample<'a, 'c>(fx: &mut Fx<'a, 'c>, rs: &Resample) -> R<()> {
    let Resample { src_axis, inner, dst_axis, taps, index, coeff, src, out, .. } = rs;
    let (src_axis, inner, dst_axis, taps) = (*src_axis, *inner, *dst_axis, *taps);
    if inner == 0 || dst_axis == 0 {
        return Ok(());
    }
    let ib = fx.ptr(*index)?;
    let cb = fx.ptr(*coeff)?;
    let sb = fx.ptr(*src)?;
    let ob = fx.ptr(*out)?;
    let w = fx.w();
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[], &mut |fx, o, _| {
        let sp = fx.gep_s(sb, o, (src_axis * inner) as i64)?;
        let op = fx.gep_s(ob, o, (dst_axis * inner) as i64)?;
        fx.count_loop(dst_axis, &[], &mut |fx, i, _| {
            let orow = fx.gep_s(op, i, inner as i64)?;
            let t0 = fx.mul_c(i, taps as i64)?;
            // Lanes `e0..e0 + n` of the output row.
            let lanes = |fx: &mut Fx<'a, 'c>, e0: I<'c>, n: usize| -> R<()> {
                let mut acc = fx.splat(0.0);
                for t in 0..taps {
                    let ti = fx.add_c(t0, t as i64)?;
                    let j = fx.b.build_load(fx.ctx.i32_type(), fx.gep(ib, ti)?, "")?.into_int_value();
                    let j = fx.b.build_int_z_extend(j, fx.i64t(), "")?;
                    let c = fx.load_splat(fx.gep(cb, ti)?)?;
                    let row = fx.gep(fx.gep_s(sp, j, inner as i64)?, e0)?;
                    let x = fx.gather(row, 1, n, w as u32)?;
                    acc = fx.madd(c, x, acc)?;
                }
                fx.scatter(acc, fx.gep(orow, e0)?, 1, n)
            };
            fx.count_loop(inner / w, &[], &mut |fx, e, _| {
                let e0 = fx.mul_c(e, w as i64)?;
                lanes(fx, e0, w)?;
                Ok(vec![])
            })?;
            if !inner.is_multiple_of(w) {
                lanes(fx, fx.ic(((inner / w) * w) as i64), inner % w)?;
            }
            Ok(vec![])
        })?;
        Ok(vec![])
    })?;
    Ok(())
}
