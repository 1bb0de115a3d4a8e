//! `Gemm`: `C[b] = act(A[b]·B[b] + bias + residual[b])`, register-tiled.
//!
//! The micro-kernel keeps an `mr × 8` tile of C in `2·mr` f32x4 accumulators
//! across the whole k loop (unrolled by [`KU`], pointers and accumulators are
//! loop-carried block parameters): per k step it loads two B vectors, and for
//! each of the `mr` rows broadcasts one A element and issues two multiply-adds
//! (`vfmadd` / `fmla` when the target has FMA). The epilogue adds bias and
//! residual, applies the activation and stores; the last panel, when `n` is
//! not a multiple of 8, uses partial loads and stores so nothing past `n`
//! is touched.
//!
//! Loop nest for a chunk of flattened rows `[start, end)`:
//! batches → row blocks of [`mc`] rows (the A block stays in L1) → column
//! panels of 8 (a packed B panel, `k × 32` bytes, stays in L1) → tiles of
//! `mr` rows, with the < `mr` leftover rows done as 4-, 2- and 1-row tiles.
//!
//! B comes either pre-packed from the weights (`GemmB::Packed`: panel rows
//! are 32 contiguous bytes), or strided at run time: with unit column stride
//! its rows are read in place; otherwise each panel is first copied into a
//! packed stack buffer (or, for very deep k, gathered lane by lane).

use cranelift_codegen::ir::{InstBuilder, StackSlot, StackSlotData, StackSlotKind, Value};
use vitc_lower::{Activation, GEMM_NR, GemmB, Loc};

use crate::emit::{EL, F32X4, Fx, I64};
use crate::{Arch, BackendError, Target};
use vitc_lower::Gemm;

/// k steps per iteration of the micro-kernel loop.
const KU: usize = 4;

/// Largest packed panel kept on the stack, in bytes.
const MAX_PACK_BYTES: usize = 128 * 1024;

/// Rows of the micro-kernel tile.
pub(crate) fn mr(target: &Target) -> usize {
    match target.arch {
        Arch::X86_64 => 5,
        Arch::Aarch64 => 8,
    }
}

/// Rows per L1 block of A (a multiple of `mr`).
fn mc(k: usize, mr: usize) -> usize {
    let rows = (256 * 1024) / (k.max(1) * EL as usize);
    (rows / mr).clamp(1, 1024) * mr
}

/// Where the micro-kernel reads B.
#[derive(Clone, Copy)]
enum BSrc {
    /// Packed panels of `k × 8` (weights or the stack buffer): row `kk` of
    /// the current panel at `ptr + kk·32`.
    Panel,
    /// In place, unit column stride: row `kk` at `ptr + kk·row_stride`.
    Rows { row_bytes: i64 },
    /// Gathered: element `(kk, jj)` at `ptr + kk·row + jj·col`.
    Gather { row_bytes: i64, col_bytes: i64 },
}

impl BSrc {
    fn k_stride(self) -> i64 {
        match self {
            BSrc::Panel => (GEMM_NR as i64) * EL,
            BSrc::Rows { row_bytes } | BSrc::Gather { row_bytes, .. } => row_bytes,
        }
    }
}

/// The constant description of one GEMM.
struct Spec {
    m: usize,
    n: usize,
    k: usize,
    lda: i64,
    ldc: i64,
    has_bias: bool,
    has_res: bool,
    act: Activation,
    mr: usize,
}

/// Run-time pointers of the current batch / panel.
#[derive(Clone, Copy)]
struct Ptrs {
    /// A at row 0 of the batch.
    a: Value,
    /// C at row 0 of the batch, column `j0`.
    c: Value,
    /// Residual at row 0 of the batch, column `j0`.
    res: Value,
    /// Bias at column `j0`.
    bias: Value,
    /// B at the current panel (k row 0).
    b: Value,
}

/// The constant shape of one tile: rows, columns (up to 8 per panel, several
/// panels for short tiles), B vectors per row, where B comes from and the
/// byte distance between consecutive panels of B.
#[derive(Clone, Copy)]
struct Shape {
    mr: usize,
    cols: usize,
    nv: usize,
    src: BSrc,
    pstride: i64,
}

impl Shape {
    fn new(mr: usize, cols: usize, src: BSrc, k: usize) -> Shape {
        let pstride = match src {
            BSrc::Panel => (k * GEMM_NR) as i64 * EL,
            BSrc::Rows { .. } | BSrc::Gather { .. } => GEMM_NR as i64 * EL,
        };
        Shape { mr, cols, nv: cols.div_ceil(4), src, pstride }
    }

    /// Byte offset of B vector `h` within a k row.
    fn b_off(&self, h: usize) -> i64 {
        (h / 2) as i64 * self.pstride + (h % 2) as i64 * 16
    }
}

/// One k step for a tile: accumulate `A[rows, kk] · B[kk, panel]` (A and B
/// pointers at k step 0 of the current loop iteration).
fn k_step(fx: &mut Fx, s: &Spec, t: Shape, a: Value, b: Value, kk: i64, acc: &mut [Value]) {
    let Shape { mr, cols, nv, src, .. } = t;
    let boff = kk * src.k_stride();
    let bv: Vec<Value> = (0..nv)
        .map(|h| {
            let lanes = cols.saturating_sub(4 * h).min(4);
            match src {
                BSrc::Panel => fx.load(F32X4, b, boff + t.b_off(h)),
                BSrc::Rows { .. } => fx.load_partial(b, boff + t.b_off(h), lanes),
                BSrc::Gather { col_bytes, .. } => fx.gather4(b, boff + 4 * h as i64 * col_bytes, col_bytes, lanes),
            }
        })
        .collect();
    for r in 0..mr {
        let av = fx.load(cranelift_codegen::ir::types::F32, a, r as i64 * s.lda * EL + kk * EL);
        let av = fx.b.ins().splat(F32X4, av);
        for h in 0..nv {
            acc[r * nv + h] = fx.madd(av, bv[h], acc[r * nv + h]);
        }
    }
}

/// One `mr × cols` tile at row `row` (run-time, relative to the batch).
fn tile(fx: &mut Fx, s: &Spec, p: &Ptrs, shape: Shape, row: Value) {
    let Shape { mr, cols, nv, src, .. } = shape;
    let a0 = fx.index(p.a, row, s.lda * EL);
    let zero = fx.splat(0.0);
    let mut state = vec![a0, p.b];
    state.extend(std::iter::repeat_n(zero, mr * nv));
    let state = fx.count_loop(s.k / KU, &state, &mut |fx, _, st| {
        let (a, b) = (st[0], st[1]);
        let mut acc = st[2..].to_vec();
        for u in 0..KU as i64 {
            k_step(fx, s, shape, a, b, u, &mut acc);
        }
        let mut next = vec![fx.add_imm(a, KU as i64 * EL), fx.add_imm(b, KU as i64 * src.k_stride())];
        next.extend(acc);
        next
    });
    let (a, b) = (state[0], state[1]);
    let mut acc = state[2..].to_vec();
    for u in 0..(s.k % KU) as i64 {
        k_step(fx, s, shape, a, b, u, &mut acc);
    }
    // Epilogue.
    let c_row = fx.index(p.c, row, s.ldc * EL);
    let r_row = if s.has_res { fx.index(p.res, row, s.ldc * EL) } else { c_row };
    let bias: Vec<Value> = if s.has_bias {
        (0..nv).map(|h| fx.load_partial(p.bias, 16 * h as i64, cols - 4 * h)).collect()
    } else {
        vec![]
    };
    for r in 0..mr {
        for h in 0..nv {
            let lanes = (cols - 4 * h).min(4);
            let off = r as i64 * s.ldc * EL + 16 * h as i64;
            let mut v = acc[r * nv + h];
            if s.has_bias {
                v = fx.b.ins().fadd(v, bias[h]);
            }
            if s.has_res {
                let rv = fx.load_partial(r_row, off, lanes);
                v = fx.b.ins().fadd(v, rv);
            }
            v = vitc_lower::elem::activation(fx, s.act, v);
            fx.store_partial(v, c_row, off, lanes);
        }
    }
}

/// Full `mr`-row tiles from `lo` while they fit below `hi`; returns the
/// first row not done.
fn full_tiles(fx: &mut Fx, s: &Spec, p: &Ptrs, shape: Shape, lo: Value, hi: Value) -> Value {
    let mr = shape.mr as i64;
    let hi_full = fx.add_imm(hi, 1 - mr);
    let next = fx.range_loop(lo, hi_full, mr, &[lo], &mut |fx, r, _| {
        tile(fx, s, p, shape, r);
        vec![fx.add_imm(r, mr)]
    });
    next[0]
}

/// The leftover rows `[r, hi)` (fewer than `s.mr`) as tiles of 4, 2 and 1
/// rows: `each(fx, size, row)` emits one.
fn leftover(fx: &mut Fx, s: &Spec, r: Value, hi: Value, each: &mut dyn FnMut(&mut Fx, usize, Value)) {
    let mut r = r;
    for size in [4, 2, 1] {
        if size < s.mr {
            let left = fx.b.ins().isub(hi, r);
            let bit = fx.b.ins().band_imm_s(left, size as i64);
            let rr = r;
            fx.if_then(bit, &mut |fx| each(fx, size, rr));
            r = fx.b.ins().iadd(r, bit);
        }
    }
}

/// Pointers and B source for the panels from `pidx` on (`cols` columns);
/// strided B with a non-unit column stride is first packed on the stack.
fn panel_ptrs(
    fx: &mut Fx,
    s: &Spec,
    kb: &GemmB,
    base: &Ptrs,
    pack: Option<StackSlot>,
    pidx: Value,
    cols: usize,
) -> (Ptrs, BSrc) {
    let j0 = fx.mul_imm(pidx, GEMM_NR as i64 * EL);
    let c = fx.b.ins().iadd(base.c, j0);
    let res = fx.b.ins().iadd(base.res, j0);
    let bias = fx.b.ins().iadd(base.bias, j0);
    let (b, src) = match *kb {
        GemmB::Packed { .. } => {
            let off = fx.mul_imm(pidx, (s.k * GEMM_NR) as i64 * EL);
            (fx.b.ins().iadd(base.b, off), BSrc::Panel)
        }
        GemmB::Strided { row_stride, col_stride, .. } => {
            let jb = fx.mul_imm(pidx, GEMM_NR as i64 * col_stride as i64 * EL);
            let b = fx.b.ins().iadd(base.b, jb);
            let row_bytes = row_stride as i64 * EL;
            let col_bytes = col_stride as i64 * EL;
            if col_stride == 1 {
                (b, BSrc::Rows { row_bytes })
            } else if let Some(slot) = pack {
                let buf = fx.b.ins().stack_addr(I64, slot, 0);
                fx.count_loop(s.k, &[b, buf], &mut |fx, _, st| {
                    for h in 0..2 {
                        let lanes = cols.saturating_sub(4 * h).min(4);
                        let v = if lanes == 0 {
                            fx.splat(0.0)
                        } else {
                            fx.gather4(st[0], 4 * h as i64 * col_bytes, col_bytes, lanes)
                        };
                        fx.store(v, st[1], 16 * h as i64);
                    }
                    vec![fx.add_imm(st[0], row_bytes), fx.add_imm(st[1], GEMM_NR as i64 * EL)]
                });
                (buf, BSrc::Panel)
            } else {
                (b, BSrc::Gather { row_bytes, col_bytes })
            }
        }
    };
    (Ptrs { a: base.a, c, res, bias, b }, src)
}

/// Rows `[lo, hi)` of one batch: L1 row blocks × panels × tiles.
///
/// Short leftover tiles (1 or 2 rows) would leave the FMA pipes idle on
/// their 2–4 dependency chains, so when B is addressable panel by panel
/// (packed, or unit column stride) they run after the full tiles over
/// 4 or 2 panels at once (8 accumulators again).
fn batch_rows(fx: &mut Fx, s: &Spec, kb: &GemmB, base: Ptrs, lo: Value, hi: Value) {
    let full = s.n / GEMM_NR;
    let tail = s.n % GEMM_NR;
    let pack_bytes = s.k * GEMM_NR * EL as usize;
    let pack = match kb {
        GemmB::Strided { col_stride, .. } if *col_stride != 1 && pack_bytes <= MAX_PACK_BYTES => {
            let slot =
                fx.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, pack_bytes as u32, 6));
            Some(slot)
        }
        _ => None,
    };
    let wide = match kb {
        GemmB::Packed { .. } => true,
        GemmB::Strided { col_stride, .. } => *col_stride == 1,
    };
    // A panel packed on the stack is reused by every row of the block, so
    // blocks are made 4× taller to amortise the packing (A then streams
    // from L2, which costs less than re-packing).
    let mcb = (mc(s.k, s.mr) * if pack.is_some() { 4 } else { 1 }) as i64;
    fx.range_loop(lo, hi, mcb, &[], &mut |fx, r0, _| {
        let r1 = fx.add_imm(r0, mcb);
        let r1 = fx.imin(r1, hi);
        let panel = |fx: &mut Fx, pidx: Value, cols: usize| {
            let (p, src) = panel_ptrs(fx, s, kb, &base, pack, pidx, cols);
            let r = full_tiles(fx, s, &p, Shape::new(s.mr, cols, src, s.k), r0, r1);
            if !wide {
                leftover(fx, s, r, r1, &mut |fx, size, row| tile(fx, s, &p, Shape::new(size, cols, src, s.k), row));
            }
        };
        fx.count_loop(full, &[], &mut |fx, pidx, _| {
            panel(fx, pidx, GEMM_NR);
            vec![]
        });
        if tail > 0 {
            let pidx = fx.iconst(full as i64);
            panel(fx, pidx, tail);
        }
        if !wide {
            return vec![];
        }
        // First row after the full tiles (the same for every panel).
        let span = fx.b.ins().isub(r1, r0);
        let nfull = fx.b.ins().udiv_imm_s(span, s.mr as i64);
        let done = fx.mul_imm(nfull, s.mr as i64);
        let r = fx.b.ins().iadd(r0, done);
        leftover(fx, s, r, r1, &mut |fx, size, row| {
            let group = (4 / size).max(1);
            let run = |fx: &mut Fx, pidx: Value, cols: usize| {
                let (p, src) = panel_ptrs(fx, s, kb, &base, pack, pidx, cols);
                tile(fx, s, &p, Shape::new(size, cols, src, s.k), row);
            };
            fx.count_loop(full / group, &[], &mut |fx, gidx, _| {
                let pidx = fx.mul_imm(gidx, group as i64);
                run(fx, pidx, GEMM_NR * group);
                vec![]
            });
            if !full.is_multiple_of(group) {
                let pidx = fx.iconst((full - full % group) as i64);
                run(fx, pidx, GEMM_NR * (full % group));
            }
            if tail > 0 {
                let pidx = fx.iconst(full as i64);
                run(fx, pidx, tail);
            }
        });
        vec![]
    });
}

/// Emits a `Gemm` kernel.
pub(crate) fn emit_gemm(fx: &mut Fx, gemm: &Gemm) -> Result<(), BackendError> {
    let Gemm { m, n, k, batch, a, lda, a_batch_stride, .. } = gemm;
    let Gemm { b, c, ldc, c_batch_stride, bias, bias_batch_stride, residual, act, .. } = gemm;
    if let GemmB::Packed { nr, .. } = b
        && *nr != GEMM_NR
    {
        return Err(BackendError::Invalid(format!(
            "packed GEMM panels of {nr} columns; the Cranelift kernels read panels of {GEMM_NR} (lower with gemm_nr {GEMM_NR})"
        )));
    }
    if *m == 0 || *n == 0 || *batch == 0 {
        return Ok(());
    }
    let s = Spec {
        m: *m,
        n: *n,
        k: *k,
        lda: *lda as i64,
        ldc: *ldc as i64,
        has_bias: bias.is_some(),
        has_res: residual.is_some(),
        act: *act,
        mr: mr(&fx.target),
    };
    let a_base = fx.ptr(*a);
    let c_base = fx.ptr(*c);
    let res_base = match residual {
        Some(r) => fx.ptr(*r),
        None => c_base,
    };
    let bias_ptr = match bias {
        Some(bl) => fx.ptr(*bl),
        None => c_base,
    };
    let (b_loc, b_bs): (Loc, i64) = match b {
        GemmB::Packed { at, batch_stride, .. } => (*at, *batch_stride as i64),
        GemmB::Strided { at, batch_stride, .. } => (*at, *batch_stride as i64),
    };
    let b_base = fx.ptr(b_loc);
    if *batch == 1 {
        let base = Ptrs { a: a_base, c: c_base, res: res_base, bias: bias_ptr, b: b_base };
        let (lo, hi) = (fx.start, fx.end);
        batch_rows(fx, &s, b, base, lo, hi);
        return Ok(());
    }
    // Batches touched by the chunk: start/m ..= (end-1)/m.
    let mm = s.m as i64;
    let first = fx.b.ins().udiv_imm_s(fx.start, mm);
    let last = fx.add_imm(fx.end, mm - 1);
    let last = fx.b.ins().udiv_imm_s(last, mm);
    let (start, end) = (fx.start, fx.end);
    let (abs, cbs) = (*a_batch_stride as i64 * EL, *c_batch_stride as i64 * EL);
    fx.range_loop(first, last, 1, &[], &mut |fx, bt, _| {
        let row0 = fx.mul_imm(bt, mm);
        let lo = fx.b.ins().isub(start, row0);
        let zero = fx.iconst(0);
        let lo = fx.imax(lo, zero);
        let hi = fx.b.ins().isub(end, row0);
        let mconst = fx.iconst(mm);
        let hi = fx.imin(hi, mconst);
        let base = Ptrs {
            a: fx.index(a_base, bt, abs),
            c: fx.index(c_base, bt, cbs),
            res: if s.has_res { fx.index(res_base, bt, cbs) } else { res_base },
            bias: if s.has_bias { fx.index(bias_ptr, bt, *bias_batch_stride as i64 * EL) } else { bias_ptr },
            b: fx.index(b_base, bt, b_bs * EL),
        };
        batch_rows(fx, &s, b, base, lo, hi);
        vec![]
    });
    Ok(())
}
