//! `Gemm`: `C[b] = act(A[b]·B[b] + bias + residual[b])`, register-tiled.
//!
//! The micro-kernel keeps an `mr × cols` tile of C in registers across
//! the whole k loop (accumulators are loop-carried phis; the loop is
//! unrolled [`KU`] times): per k step it loads one k row of B as
//! `cols / lanes` vectors, and for each of the `mr` rows broadcasts one A
//! element and issues one `llvm.fma` per B vector. With AVX-512 the tile is
//! 12×32 (24 zmm accumulators, two B vectors, one broadcast, of 32
//! registers); with AVX2 6×16 (12 ymm accumulators, two B vectors, one
//! broadcast: 15 of 16 registers); on aarch64 6×16 in 24 `<4 x float>`
//! accumulators (of 32 NEON registers); on SSE-only x86-64 4×8. The
//! epilogue adds bias and residual, applies the activation and stores;
//! columns past `n` are never stored.
//!
//! Loop nest for a chunk of flattened rows `[start, end)`: batches → row
//! blocks of [`mc`] rows (the A block stays in L2) → column groups of the
//! tile's width (the B micro-panel, `k × cols` floats, stays in L1 or L2
//! while every row tile of the block uses it; only the first tile
//! prefetches it, and the next group's into L2) → tiles of `mr` rows, the `< mr` leftover rows
//! as tiles of 4 rows and single rows. Each element of C is the same sequence of
//! FMAs over `k` in order whatever tile computes it, so chunking never
//! changes a bit.
//!
//! B comes pre-packed from the weights (`GemmB::Packed`: panels of `nr`
//! columns, `k` rows each; the driver lowers with `nr` = 16 for AVX-512,
//! 8 otherwise, so one B vector is one panel row), or strided at run time:
//! then each column group is first copied into panels of
//! [`panel_width`] columns in a stack buffer (zero past `n`), or, when
//! that buffer would exceed [`MAX_PACK`] floats, read in place lane by
//! lane. A vector wider than the panels (16 lanes over 8-column panels) is
//! assembled from one row of each panel it spans.

use vitc_lower::{Activation, GEMM_NR, GemmB, Loc};

use crate::LlvmError;
use crate::fx::{Fx, I, P, R, V};
use vitc_lower::Gemm;

/// Rows of the tiles that take the rows left over below `mr`.
const LEFTOVER_TILE: usize = 4;

/// k steps per iteration of the micro-kernel loop.
const KU: usize = 2;

/// How far ahead (in k rows of a panel) the micro-kernel prefetches B.
const PF_ROWS: usize = 32;

/// Largest packed B group kept on the stack, in floats (256 KiB).
const MAX_PACK: usize = 64 * 1024;

/// The register tile of a target: rows and columns (a multiple of the
/// vector lanes and of the panel width).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub mr: usize,
    pub cols: usize,
}

/// The micro-kernel tile for a vector width.
pub(crate) fn tile_for(lanes: u32, aarch64: bool) -> Tile {
    match (lanes, aarch64) {
        (16, _) => Tile { mr: 12, cols: 32 },
        (8, _) => Tile { mr: 6, cols: 16 },
        (_, true) => Tile { mr: 6, cols: 16 },
        _ => Tile { mr: 4, cols: 8 },
    }
}

/// The panel width the lowering should pack constant B operands with for
/// a vector width: one panel row per vector, at least [`GEMM_NR`].
pub(crate) fn panel_width(lanes: u32) -> usize {
    (lanes as usize).max(GEMM_NR)
}

/// Rows per L2 block of A (a multiple of `mr`).
fn mc(k: usize, mr: usize) -> usize {
    let rows = (256 * 1024) / (k.max(1) * 4);
    (rows / mr).clamp(1, 1024) * mr
}

/// The constant description of one GEMM.
struct Spec {
    n: usize,
    k: usize,
    lda: i64,
    ldc: i64,
    act: Activation,
    tile: Tile,
}

/// Where a tile reads B.
#[derive(Clone, Copy)]
enum BSrc<'c> {
    /// Panels of `k × nr`: panel `q` of the group at `base + q·pstride`,
    /// row `kk` at `+ kk·nr`. `next`: the offset of the next column
    /// group's panels when they follow in memory (packed weights), which
    /// the micro-kernel prefetches.
    Panels { base: P<'c>, pstride: i64, nr: usize, next: Option<i64> },
    /// In place: element `(kk, j)` of the group at `base + kk·row + j·col`.
    Strided { base: P<'c>, row: i64, col: i64 },
}

/// Run-time pointers of the current row block and column group.
#[derive(Clone, Copy)]
struct Ptrs<'c> {
    /// A at row 0 of the batch.
    a: P<'c>,
    /// C at row 0 of the batch, column `j0`.
    c: P<'c>,
    /// Residual at row 0 of the batch, column `j0`.
    res: Option<P<'c>>,
    /// Bias at column `j0`.
    bias: Option<P<'c>>,
    b: BSrc<'c>,
}

/// One k step (`kk` relative to the pointers) of an `mr × cols` tile.
fn k_step<'c>(fx: &Fx<'_, 'c>, s: &Spec, mr: usize, cols: usize, a: P<'c>, b: BSrc<'c>, acc: &mut [V<'c>]) -> R<()> {
    let w = fx.w();
    let nv = cols.div_ceil(w);
    let bv: Vec<V<'c>> = (0..nv)
        .map(|h| {
            let lanes = (cols - h * w).min(w);
            match b {
                BSrc::Panels { base, pstride, nr, .. } => {
                    let at = |j: usize| fx.gep_c(base, (j / nr) as i64 * pstride + (j % nr) as i64);
                    if w <= nr {
                        fx.load(at(h * w)?)
                    } else {
                        // One row of each of the `w / nr` panels the vector
                        // spans; panels past the group's columns do not exist.
                        let parts: Vec<V<'c>> = (0..w / nr)
                            .map(|q| {
                                let j = h * w + q * nr;
                                if j < cols { fx.load_vt(at(j)?, nr as u32) } else { Ok(fx.splat_t(0.0, nr as u32)) }
                            })
                            .collect::<R<_>>()?;
                        fx.concat(&parts)
                    }
                }
                BSrc::Strided { base, col, .. } => {
                    fx.gather(fx.gep_c(base, (h * w) as i64 * col)?, col, lanes, w as u32)
                }
            }
        })
        .collect::<R<_>>()?;
    for r in 0..mr {
        let av = fx.load_splat(fx.gep_c(a, r as i64 * s.lda)?)?;
        for h in 0..nv {
            acc[r * nv + h] = fx.madd(av, bv[h], acc[r * nv + h])?;
        }
    }
    Ok(())
}

/// B advanced by `kk` rows.
fn b_at<'c>(fx: &Fx<'_, 'c>, b: BSrc<'c>, kk: I<'c>) -> R<BSrc<'c>> {
    Ok(match b {
        BSrc::Panels { base, pstride, nr, next } => {
            BSrc::Panels { base: fx.gep_s(base, kk, nr as i64)?, pstride, nr, next }
        }
        BSrc::Strided { base, row, col } => BSrc::Strided { base: fx.gep_s(base, kk, row)?, row, col },
    })
}

/// One `mr × cols` tile at row `row` (run time, relative to the batch).
/// `prefetch`: fetch the weights ahead (the first tile of a column group).
#[allow(clippy::too_many_arguments)]
fn tile<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    s: &Spec,
    p: &Ptrs<'c>,
    mr: usize,
    cols: usize,
    row: I<'c>,
    prefetch: bool,
) -> R<()> {
    let w = fx.w();
    let nv = cols.div_ceil(w);
    let a0 = fx.gep_s(p.a, row, s.lda)?;
    let zero = fx.splat(0.0);
    let init: Vec<_> = (0..mr * nv).map(|_| zero.into()).collect();
    let b = p.b;
    let st = fx.count_loop(s.k / KU, &init, &mut |fx, i, st| {
        let kk = fx.mul_c(i, KU as i64)?;
        let a = fx.gep(a0, kk)?;
        let bb = b_at(fx, b, kk)?;
        let mut acc: Vec<V<'c>> = st.iter().map(|v| v.into_vector_value()).collect();
        if let (true, BSrc::Panels { base, pstride, nr, next }) = (prefetch, bb) {
            // Weights stream from memory once per column group: fetch
            // [`PF_ROWS`] k rows ahead in every panel of the group, each
            // 64-byte line of the `KU` rows this iteration consumes.
            for q in 0..cols.div_ceil(nr) {
                for line in 0..(KU * nr).div_ceil(16) {
                    let off = q as i64 * pstride + (line * 16) as i64;
                    fx.prefetch(fx.gep_c(base, off + (PF_ROWS * nr) as i64)?)?;
                    if let Some(next) = next {
                        // Into L2 only: in L1 it would evict the group in use.
                        fx.prefetch_to(fx.gep_c(base, off + next)?, 2)?;
                    }
                }
            }
        }
        for u in 0..KU {
            let au = fx.gep_c(a, u as i64)?;
            let bu = b_at(fx, bb, fx.ic(u as i64))?;
            k_step(fx, s, mr, cols, au, bu, &mut acc)?;
        }
        Ok(acc.into_iter().map(Into::into).collect())
    })?;
    let mut acc: Vec<V<'c>> = st.iter().map(|v| v.into_vector_value()).collect();
    for u in (s.k / KU) * KU..s.k {
        let au = fx.gep_c(a0, u as i64)?;
        let bu = b_at(fx, b, fx.ic(u as i64))?;
        k_step(fx, s, mr, cols, au, bu, &mut acc)?;
    }
    // Epilogue.
    let c_row = fx.gep_s(p.c, row, s.ldc)?;
    let r_row = match p.res {
        Some(res) => Some(fx.gep_s(res, row, s.ldc)?),
        None => None,
    };
    let bias: Vec<V<'c>> = match p.bias {
        Some(bp) => (0..nv)
            .map(|h| fx.gather(fx.gep_c(bp, (h * w) as i64)?, 1, (cols - h * w).min(w), w as u32))
            .collect::<R<_>>()?,
        None => vec![],
    };
    for r in 0..mr {
        for h in 0..nv {
            let lanes = (cols - h * w).min(w);
            let off = r as i64 * s.ldc + (h * w) as i64;
            let mut v = acc[r * nv + h];
            if let Some(bv) = bias.get(h) {
                v = fx.fadd(v, *bv)?;
            }
            if let Some(rr) = r_row {
                let rv = fx.gather(fx.gep_c(rr, off)?, 1, lanes, w as u32)?;
                v = fx.fadd(v, rv)?;
            }
            v = fx.activation(s.act, v)?;
            fx.scatter(v, fx.gep_c(c_row, off)?, 1, lanes)?;
        }
    }
    Ok(())
}

/// Rows `[lo, hi)` (run time) of one column group: full tiles, then the
/// leftover rows as tiles of [`LEFTOVER_TILE`] rows and single rows.
fn group_rows<'a, 'c>(fx: &mut Fx<'a, 'c>, s: &Spec, p: &Ptrs<'c>, cols: usize, lo: I<'c>, hi: I<'c>) -> R<()> {
    let mr = s.tile.mr as i64;
    let hi_full = fx.add_c(hi, 1 - mr)?;
    // The first full tile streams B from memory and prefetches it; the
    // others find it in cache.
    let first = fx.icmp(inkwell::IntPredicate::SLT, lo, hi_full)?;
    fx.if_then(first, &mut |fx| tile(fx, s, p, s.tile.mr, cols, lo, true))?;
    let lo_rest = fx.add_c(lo, mr)?;
    let after = fx.range_loop(lo_rest, hi_full, mr, &[lo_rest.into()], &mut |fx, r, _| {
        tile(fx, s, p, s.tile.mr, cols, r, false)?;
        Ok(vec![fx.add_c(r, mr)?.into()])
    })?;
    // Where the loop ran no tile, `lo` itself (no full tile at all) or
    // `lo + mr` (the first tile only).
    let done = after[0].into_int_value();
    let mut r = fx.isel(first, done, lo)?;
    // Leftover rows: tiles of 4 while they last, then single rows (two tile
    // bodies rather than one per power of two keeps the code, and LLVM's
    // compile time, small; the models' row counts leave 0, 1 or 4 rows).
    if LEFTOVER_TILE < s.tile.mr {
        let hi4 = fx.add_c(hi, 1 - LEFTOVER_TILE as i64)?;
        let after = fx.range_loop(r, hi4, LEFTOVER_TILE as i64, &[r.into()], &mut |fx, rr, _| {
            tile(fx, s, p, LEFTOVER_TILE, cols, rr, true)?;
            Ok(vec![fx.add_c(rr, LEFTOVER_TILE as i64)?.into()])
        })?;
        r = after[0].into_int_value();
    }
    fx.range_loop(r, hi, 1, &[], &mut |fx, rr, _| {
        tile(fx, s, p, 1, cols, rr, true)?;
        Ok(vec![])
    })?;
    Ok(())
}

/// Copies B columns `[j0, j0 + cols)` (at `b` = column `j0`, strided) into
/// `buf` as panels of `k × nr`, zero past `cols`.
#[allow(clippy::too_many_arguments)]
fn pack<'a, 'c>(
    fx: &mut Fx<'a, 'c>,
    s: &Spec,
    b: P<'c>,
    row: i64,
    col: i64,
    cols: usize,
    nr: usize,
    buf: P<'c>,
) -> R<()> {
    let panels = cols.div_ceil(nr);
    let w = fx.w();
    fx.count_loop(s.k, &[], &mut |fx, kk, _| {
        let src = fx.gep_s(b, kk, row)?;
        for q in 0..panels {
            for h in 0..nr / w {
                let j = q * nr + h * w;
                let lanes = cols.saturating_sub(j).min(w);
                let v = if lanes == 0 {
                    fx.splat(0.0)
                } else {
                    fx.gather(fx.gep_c(src, j as i64 * col)?, col, lanes, w as u32)?
                };
                let dst = fx.gep_c(buf, (q * s.k * nr + h * w) as i64)?;
                fx.store(v, fx.gep_s(dst, kk, nr as i64)?)?;
            }
        }
        Ok(vec![])
    })?;
    Ok(())
}

/// The batch's bases: A, C, residual, bias at row 0 and column 0, and B.
struct Bases<'c> {
    a: P<'c>,
    c: P<'c>,
    res: Option<P<'c>>,
    bias: Option<P<'c>>,
    b: P<'c>,
}

/// Rows `[lo, hi)` of one batch: row blocks × column groups × tiles.
fn batch_rows<'a, 'c>(fx: &mut Fx<'a, 'c>, s: &Spec, kb: &GemmB, base: &Bases<'c>, lo: I<'c>, hi: I<'c>) -> R<()> {
    let pnr = match *kb {
        GemmB::Packed { nr, .. } => nr,
        GemmB::Strided { .. } => panel_width(fx.isa.lanes),
    };
    if !pnr.is_power_of_two() {
        return Err(LlvmError::Invalid(format!("GEMM panels of {pnr} columns (expected a power of two)")));
    }
    // Panels wider than the target's tile (16 columns on SSE) widen the
    // group: correct, though with more accumulators than registers.
    let gw = s.tile.cols.max(pnr);
    let full = s.n / gw;
    let rem = s.n % gw;
    let buf = match kb {
        GemmB::Strided { .. } if s.k * gw <= MAX_PACK => Some(fx.stack_buffer(s.k * gw)?),
        _ => None,
    };
    let mcb = mc(s.k, s.tile.mr) as i64;
    fx.range_loop(lo, hi, mcb, &[], &mut |fx, r0, _| {
        let r1 = fx.add_c(r0, mcb)?;
        let r1 = fx.imin(r1, hi)?;
        // Column group `g` (run time) of `cols` columns.
        let group = |fx: &mut Fx<'a, 'c>, g: I<'c>, cols: usize| -> R<()> {
            let j0 = fx.mul_c(g, gw as i64)?;
            let b = match *kb {
                GemmB::Packed { .. } => {
                    let off = fx.mul_c(g, (gw * s.k) as i64)?;
                    BSrc::Panels {
                        base: fx.gep(base.b, off)?,
                        pstride: (s.k * pnr) as i64,
                        nr: pnr,
                        next: Some((gw * s.k) as i64),
                    }
                }
                GemmB::Strided { row_stride, col_stride, .. } => {
                    let (row, col) = (row_stride as i64, col_stride as i64);
                    let bj = fx.gep_s(base.b, j0, col)?;
                    match buf {
                        Some(buf) => {
                            pack(fx, s, bj, row, col, cols, pnr, buf)?;
                            BSrc::Panels { base: buf, pstride: (s.k * pnr) as i64, nr: pnr, next: None }
                        }
                        None => BSrc::Strided { base: bj, row, col },
                    }
                }
            };
            let p = Ptrs {
                a: base.a,
                c: fx.gep(base.c, j0)?,
                res: match base.res {
                    Some(r) => Some(fx.gep(r, j0)?),
                    None => None,
                },
                bias: match base.bias {
                    Some(bp) => Some(fx.gep(bp, j0)?),
                    None => None,
                },
                b,
            };
            group_rows(fx, s, &p, cols, r0, r1)
        };
        fx.count_loop(full, &[], &mut |fx, g, _| {
            group(fx, g, gw)?;
            Ok(vec![])
        })?;
        if rem > 0 {
            let g = fx.ic(full as i64);
            group(fx, g, rem)?;
        }
        Ok(vec![])
    })?;
    Ok(())
}

/// Emits a `Gemm` kernel.
pub(crate) fn emit_gemm(fx: &mut Fx<'_, '_>, gemm: &Gemm) -> R<()> {
    let Gemm { m, n, k, batch, a, lda, a_batch_stride, .. } = gemm;
    let Gemm { b, c, ldc, c_batch_stride, bias, bias_batch_stride, residual, act, .. } = gemm;
    if *m == 0 || *n == 0 || *batch == 0 {
        return Ok(());
    }
    let s = Spec {
        n: *n,
        k: *k,
        lda: *lda as i64,
        ldc: *ldc as i64,
        act: *act,
        tile: tile_for(fx.isa.lanes, fx.isa.aarch64),
    };
    let (b_loc, b_bs): (Loc, i64) = match b {
        GemmB::Packed { at, batch_stride, .. } => (*at, *batch_stride as i64),
        GemmB::Strided { at, batch_stride, .. } => (*at, *batch_stride as i64),
    };
    let a0 = fx.ptr(*a)?;
    let c0 = fx.ptr(*c)?;
    let res0 = residual.map(|r| fx.ptr(r)).transpose()?;
    let bias0 = bias.map(|bl| fx.ptr(bl)).transpose()?;
    let b0 = fx.ptr(b_loc)?;
    if *batch == 1 {
        let base = Bases { a: a0, c: c0, res: res0, bias: bias0, b: b0 };
        let (lo, hi) = (fx.start, fx.end);
        return batch_rows(fx, &s, b, &base, lo, hi);
    }
    // Batches touched by the chunk: start/m ..= (end-1)/m.
    let mm = *m as i64;
    let first = fx.udiv_c(fx.start, mm)?;
    let last = fx.add_c(fx.end, mm - 1)?;
    let last = fx.udiv_c(last, mm)?;
    let (start, end) = (fx.start, fx.end);
    let (abs, cbs) = (*a_batch_stride as i64, *c_batch_stride as i64);
    fx.range_loop(first, last, 1, &[], &mut |fx, bt, _| {
        let row0 = fx.mul_c(bt, mm)?;
        let lo = fx.sub(start, row0)?;
        let lo = fx.imax(lo, fx.ic(0))?;
        let hi = fx.sub(end, row0)?;
        let hi = fx.imin(hi, fx.ic(mm))?;
        let base = Bases {
            a: fx.gep_s(a0, bt, abs)?,
            c: fx.gep_s(c0, bt, cbs)?,
            res: match res0 {
                Some(r) => Some(fx.gep_s(r, bt, cbs)?),
                None => None,
            },
            bias: match bias0 {
                Some(bp) => Some(fx.gep_s(bp, bt, *bias_batch_stride as i64)?),
                None => None,
            },
            b: fx.gep_s(b0, bt, b_bs)?,
        };
        batch_rows(fx, &s, b, &base, lo, hi)?;
        Ok(vec![])
    })?;
    Ok(())
}
