//! Element-wise kernels, one thread per output element in a grid-stride
//! loop: `Fill`, `Map` (operands at any strides, dimensions merged where
//! every operand allows it), `Gather` and `Resample`.

use crate::emit::{Body, F};
use crate::error::PtxError;
use crate::launch::{Ctx, Launch, dot, fits, grid_stride, split};
use vitc_lower::{Loc, MapOp, Strided};

/// `out[0..len] = value`.
pub fn fill(b: &mut Body, ctx: &Ctx, len: usize, value: f32, out: Loc) -> Result<Launch, PtxError> {
    let total = fits(len, "fill length")?;
    let launch = Launch::strided(len);
    let out = ctx.base(b, out);
    let v = b.fconst(value);
    grid_stride(b, &launch, total, |b, i| {
        let a = b.addr(out, i);
        b.st("global", a, 0, v);
    });
    Ok(launch)
}

/// Drops size-1 dimensions and merges neighbours that every operand walks
/// as one (`stride[d] == stride[d+1] · dims[d+1]`); the output is dense.
pub fn merge_dims(dims: &[usize], strides: &[Vec<isize>]) -> (Vec<usize>, Vec<Vec<isize>>) {
    let mut md: Vec<usize> = Vec::new();
    let mut ms: Vec<Vec<isize>> = vec![Vec::new(); strides.len()];
    for (d, &size) in dims.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let mergeable =
            !md.is_empty() && strides.iter().zip(&ms).all(|(s, m)| m.last().copied() == Some(s[d] * size as isize));
        if mergeable {
            if let Some(last) = md.last_mut() {
                *last *= size;
            }
            for (s, m) in strides.iter().zip(ms.iter_mut()) {
                if let Some(l) = m.last_mut() {
                    *l = s[d];
                }
            }
        } else {
            md.push(size);
            for (s, m) in strides.iter().zip(ms.iter_mut()) {
                m.push(s[d]);
            }
        }
    }
    (md, ms)
}

/// `out[idx] = op(in_0[idx], ...)`.
pub fn map(
    b: &mut Body,
    ctx: &Ctx,
    op: MapOp,
    dims: &[usize],
    out: Loc,
    inputs: &[Strided],
) -> Result<Launch, PtxError> {
    if inputs.len() != op.arity() || inputs.iter().any(|i| i.strides.len() != dims.len()) {
        return Err(PtxError::Invalid("map operands do not fit the op and dims".into()));
    }
    let n: usize = dims.iter().product();
    let total = fits(n, "map size")?;
    let launch = Launch::strided(n);
    let strides: Vec<Vec<isize>> = inputs.iter().map(|i| i.strides.clone()).collect();
    let (mdims, mstrides) = merge_dims(dims, &strides);
    for s in mstrides.iter().flatten() {
        fits(s.unsigned_abs(), "map stride")?;
    }
    let out = ctx.base(b, out);
    let bases: Vec<_> = inputs.iter().map(|i| (ctx.base(b, i.at), ctx.space(i.at))).collect();
    grid_stride(b, &launch, total, |b, flat| {
        let idx = if mdims.len() > 1 { split(b, flat, &mdims) } else { vec![flat; mdims.len()] };
        let vals: Vec<F> = bases
            .iter()
            .zip(&mstrides)
            .map(|(&(base, space), s)| {
                let off = dot(b, &idx, s);
                let a = b.addr(base, off);
                b.ld(space, a, 0)
            })
            .collect();
        let y = vitc_lower::elem::map(b, op, &vals);
        let a = b.addr(out, flat);
        b.st("global", a, 0, y);
    });
    Ok(launch)
}

/// `out[o, i, :] = src[o, idx[i], :]`.
#[allow(clippy::too_many_arguments)]
pub fn gather(
    b: &mut Body,
    ctx: &Ctx,
    outer: usize,
    src_axis: usize,
    inner: usize,
    indices: usize,
    table: Loc,
    src: Loc,
    out: Loc,
) -> Result<Launch, PtxError> {
    let n = outer * indices * inner;
    let total = fits(n, "gather size")?;
    fits(outer * src_axis * inner, "gather source")?;
    let launch = Launch::strided(n);
    let out = ctx.base(b, out);
    let src = ctx.base(b, src);
    let table = ctx.base(b, table);
    grid_stride(b, &launch, total, |b, flat| {
        let idx = split(b, flat, &[outer, indices, inner]);
        let ta = b.addr(table, idx[1]);
        let j = b.r();
        b.ins(format!("ld.global.nc.u32 {j}, [{ta}+0]"));
        // Out-of-range indices (a lowering bug) read index 0 rather than stray memory.
        let bad = b.setp("ge.u32", j, src_axis);
        b.ins(format!("selp.b32 {j}, 0, {j}, {bad}"));
        let row = b.rmad(idx[0], src_axis, j);
        let pos = b.rmad(row, inner, idx[2]);
        let a = b.addr(src, pos);
        let v = b.ld("global.nc", a, 0);
        let o = b.addr(out, flat);
        b.st("global", o, 0, v);
    });
    Ok(launch)
}

/// `out[o, i, e] = Σ_t coeff[i·taps + t] · src[o, index[i·taps + t], e]`.
#[allow(clippy::too_many_arguments)]
pub fn resample(
    b: &mut Body,
    ctx: &Ctx,
    outer: usize,
    src_axis: usize,
    inner: usize,
    dst_axis: usize,
    taps: usize,
    index: Loc,
    coeff: Loc,
    src: Loc,
    out: Loc,
) -> Result<Launch, PtxError> {
    let n = outer * dst_axis * inner;
    let total = fits(n, "resample size")?;
    fits(outer * src_axis * inner, "resample source")?;
    fits(dst_axis * taps, "resample table")?;
    let launch = Launch::strided(n);
    let (ob, sb, ib, cb) = (ctx.base(b, out), ctx.base(b, src), ctx.base(b, index), ctx.base(b, coeff));
    grid_stride(b, &launch, total, |b, flat| {
        let idx = split(b, flat, &[outer, dst_axis, inner]);
        let first = b.rop("mul.lo.s32", idx[1], taps);
        let ip = b.addr(ib, first);
        let cp = b.addr(cb, first);
        let row = b.rop("mul.lo.s32", idx[0], src_axis);
        let acc = b.fconst(0.0);
        let tap = |b: &mut Body, ip: crate::emit::D, cp: crate::emit::D, bytes: i64| {
            let j = b.r();
            b.ins(format!("ld.global.nc.u32 {j}, [{ip}+{bytes}]"));
            let bad = b.setp("ge.u32", j, src_axis);
            b.ins(format!("selp.b32 {j}, 0, {j}, {bad}"));
            let c = b.ld("global.nc", cp, bytes);
            let r = b.rop("add.s32", row, j);
            let pos = b.rmad(r, inner, idx[2]);
            let a = b.addr(sb, pos);
            let v = b.ld("global.nc", a, 0);
            // The reference rounds the product before the sum.
            let p = b.f();
            b.ins(format!("mul.rn.f32 {p}, {c}, {v}"));
            b.ins(format!("add.rn.f32 {acc}, {acc}, {p}"));
        };
        if taps <= 8 {
            for t in 0..taps {
                tap(b, ip, cp, (t * 4) as i64);
            }
        } else {
            b.for_range(0, taps, 1, |b, t| {
                let ipt = b.addr(ip, t);
                let cpt = b.addr(cp, t);
                tap(b, ipt, cpt, 0);
            });
        }
        let o = b.addr(ob, flat);
        b.st("global", o, 0, acc);
    });
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use super::merge_dims;

    #[test]
    fn merges_dense_and_broadcast_dimensions() {
        let (d, s) = merge_dims(&[2, 3, 4], &[vec![12, 4, 1], vec![0, 0, 1]]);
        assert_eq!(d, vec![6, 4]);
        assert_eq!(s, vec![vec![4, 1], vec![0, 1]]);
        let (d, s) = merge_dims(&[2, 1, 4], &[vec![4, 4, 1]]);
        assert_eq!((d, s), (vec![8], vec![vec![1]]));
        let (d, s) = merge_dims(&[3, 4], &[vec![1, 3]]);
        assert_eq!((d, s), (vec![3, 4], vec![vec![1, 3]]));
        let (d, s) = merge_dims(&[1, 1], &[vec![0, 0]]);
        assert!(d.is_empty() && s[0].is_empty());
    }
}
