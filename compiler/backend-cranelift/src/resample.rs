//! `Resample`: one axis of a separable linear or cubic resize,
//! `out[o, i, :] = Σ_t coeff[i, t] · src[o, index[i, t], :]`.
//!
//! For every output row `i` the taps are read from the two constant tables
//! (a u32 source row and an f32 weight per tap). The contiguous `inner` axis
//! is processed four lanes at a time (vector loads of the source rows, the
//! weight broadcast), the last `inner % 4` elements with partial loads and
//! stores; when `inner < 4` that tail is all there is.

use cranelift_codegen::ir::{InstBuilder, Value, types};
use vitc_lower::Loc;

use crate::emit::{EL, F32X4, Fx, I64};

/// The sizes of a `Resample` kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub src_axis: usize,
    pub inner: usize,
    pub dst_axis: usize,
    pub taps: usize,
}

/// `lanes` (1..=4) output elements at byte offset `off` of the current rows:
/// the weighted sum of the taps, accumulated from zero in tap order.
fn lanes_sum(fx: &mut Fx, sh: Shape, src_row0: Value, tabs: [Value; 2], off: i64, lanes: usize) -> Value {
    let inner_bytes = sh.inner as i64 * EL;
    let zero = fx.splat(0.0);
    let done = fx.count_loop(sh.taps, &[zero, tabs[0], tabs[1]], &mut |fx, _, s| {
        let j = fx.load(types::I32, s[1], 0);
        let j = fx.b.ins().uextend(I64, j);
        let row = fx.index(src_row0, j, inner_bytes);
        let v = fx.load_partial(row, off, lanes);
        let c = fx.load(types::F32, s[2], 0);
        let c = fx.b.ins().splat(F32X4, c);
        let acc = fx.madd(c, v, s[0]);
        vec![acc, fx.add_imm(s[1], EL), fx.add_imm(s[2], EL)]
    });
    done[0]
}

/// Emits a `Resample` kernel (outer indices `start..end`).
pub(crate) fn emit_resample(fx: &mut Fx, sh: Shape, index: Loc, coeff: Loc, src: Loc, out: Loc) {
    if sh.inner == 0 || sh.dst_axis == 0 {
        return;
    }
    let inner_bytes = sh.inner as i64 * EL;
    let tap_bytes = sh.taps as i64 * EL;
    let (xb, cb) = (fx.ptr(index), fx.ptr(coeff));
    let (sb, ob) = (fx.ptr(src), fx.ptr(out));
    let sp = fx.index(sb, fx.start, sh.src_axis as i64 * inner_bytes);
    let op = fx.index(ob, fx.start, sh.dst_axis as i64 * inner_bytes);
    let (lo, hi) = (fx.start, fx.end);
    fx.range_loop(lo, hi, 1, &[sp, op], &mut |fx, _, s| {
        let src_row0 = s[0];
        fx.count_loop(sh.dst_axis, &[xb, cb, s[1]], &mut |fx, _, r| {
            let tabs = [r[0], r[1]];
            let nv = sh.inner / 4;
            let zero = fx.iconst(0);
            let end = fx.count_loop(nv, &[zero, r[2]], &mut |fx, _, e| {
                let src_at = fx.b.ins().iadd(src_row0, e[0]);
                let acc = lanes_sum(fx, sh, src_at, tabs, 0, 4);
                fx.store(acc, e[1], 0);
                vec![fx.add_imm(e[0], 16), fx.add_imm(e[1], 16)]
            });
            let tail = sh.inner % 4;
            if tail > 0 {
                let src_at = fx.b.ins().iadd(src_row0, end[0]);
                let acc = lanes_sum(fx, sh, src_at, tabs, 0, tail);
                fx.store_partial(acc, end[1], 0, tail);
            }
            vec![fx.add_imm(r[0], tap_bytes), fx.add_imm(r[1], tap_bytes), fx.add_imm(r[2], inner_bytes)]
        });
        vec![fx.add_imm(s[0], sh.src_axis as i64 * inner_bytes), fx.add_imm(s[1], sh.dst_axis as i64 * inner_bytes)]
    });
}
