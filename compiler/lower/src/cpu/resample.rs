//! `Resample`: one axis of a separable linear or cubic resize,
//! `out[o, i, e] = Σ_t coeff[i·taps + t] · src[o, index[i·taps + t], e]`,
//! accumulated from zero in tap order. The contiguous inner axis runs a
//! vector at a time (a partial vector for its tail); the index (u32) and
//! coefficient tables are constants in the weights.

use super::{CpuEmitter, for_chunk, for_count, for_vectors};
use crate::Resample;

/// A `Resample` kernel (outer indices `start..end`).
pub fn resample<E: CpuEmitter>(e: &mut E, k: &Resample) {
    let (src_axis, inner, dst_axis, taps) = (k.src_axis, k.inner, k.dst_axis, k.taps);
    if inner == 0 || dst_axis == 0 {
        return;
    }
    let ib = e.base(k.index);
    let cb = e.base(k.coeff);
    let sb = e.base(k.src);
    let ob = e.base(k.out);
    for_chunk(e, &mut |e, o| {
        let sp = e.at(sb, o, (src_axis * inner) as i64);
        let op = e.at(ob, o, (dst_axis * inner) as i64);
        for_count(e, dst_axis, &mut |e, i| {
            let orow = e.at(op, i, inner as i64);
            let t0 = e.idx_mul_c(i, taps as i64);
            for_vectors(e, inner, &mut |e, e0, n| {
                let mut acc = e.c(0.0);
                for t in 0..taps {
                    let ti = e.idx_add_c(t0, t as i64);
                    let ip = e.at(ib, ti, 1);
                    let j = e.load_index(ip);
                    let cp = e.at(cb, ti, 1);
                    let c = e.load_splat(cp);
                    let row = e.at(sp, j, inner as i64);
                    let row = e.at(row, e0, 1);
                    let x = e.load(row, 1, n);
                    acc = e.fma(c, x, acc);
                }
                let to = e.at(orow, e0, 1);
                e.store(acc, to, 1, n);
            });
        });
    });
}
