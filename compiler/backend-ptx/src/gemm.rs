//! The tiled GEMM: `C[b] = act(A[b] · B[b] + bias + residual[b])`.
//!
//! A block of 256 threads computes a 64 × 64 tile of C, walking k in
//! slices of 16: both operand slices are staged in shared memory k-major
//! (`As[kk][i]`, `Bs[kk][j]`, 4 KiB each), each thread owns a 4 × 4
//! register micro-tile (rows `4·ty..`, columns `4·tx..`, read as `v4`
//! shared loads, 16 FMAs per k step). The next slice's global loads are
//! issued before the current slice is computed (register prefetch), so
//! their latency overlaps the arithmetic. Operands are loaded along their
//! contiguous axis (A along k, packed B along its 8-column panels, a
//! run-time B along whichever stride is 1), as `v4` loads when offsets and
//! strides are multiples of 4; edges are predicated (zero-filled) only
//! where the sizes are not multiples of the tile. The epilogue adds bias
//! and residual, applies the activation and stores (as `v4` when aligned).
//! Grid: one block per (n tile, m tile, batch), all in `x`.

use crate::emit::{Body, D, F, P, R};
use crate::error::PtxError;
use crate::launch::{Ctx, Launch, fits};
use vitc_lower::Gemm;
use vitc_lower::{GEMM_NR, GemmB, Loc};

const BM: usize = 64;
const BN: usize = 64;
const BK: usize = 16;
const THREADS: u32 = 256;
/// Bytes of one staged operand slice (`BK × 64` floats).
const SLICE_BYTES: usize = BK * 64 * 4;

/// How one operand slice is loaded: element `(kk, x)` of the slice (`x` the
/// row of A or the column of B within the tile) is at `tile_base + kk·s_k +
/// xoff(x)` elements, with `xoff(x) = x·s_x`, or for packed B
/// `(x / 8)·8k + x % 8`.
struct Operand {
    /// Threads walk k fastest (4 consecutive k each) rather than x.
    kfast: bool,
    s_k: isize,
    s_x: isize,
    /// Packed B: `8·k` elements between panels.
    panel: Option<isize>,
    /// 4 elements per thread form one aligned `v4` load.
    vec: bool,
    /// `x` at or past this (relative to the matrix, not the tile) is outside.
    x_limit: usize,
    /// The tile base: `at + b·batch_stride + x0·(x stride)`, from registers.
    at: Loc,
    batch_stride: isize,
}

fn aligned(v: isize) -> bool {
    v.rem_euclid(4) == 0
}

/// The per-thread state of one operand's loads.
struct Loader {
    ptr: D,
    regs: [F; 4],
    /// `x` validity per element (all four share one when the thread walks k).
    x_ok: [Option<P>; 4],
    kk_t: R,
    smem: R,
}

fn loader(b: &mut Body, ctx: &Ctx, op: &Operand, tid: R, x0: R, bi: Option<R>, smem: R) -> Loader {
    let (kk_t, x_t) = if op.kfast {
        let x = b.rop("shr.u32", tid, 2);
        let kq = b.rop("and.b32", tid, 3);
        (b.rop("shl.b32", kq, 2), x)
    } else {
        let kk = b.rop("shr.u32", tid, 4);
        let xq = b.rop("and.b32", tid, 15);
        (kk, b.rop("shl.b32", xq, 2))
    };
    // Element offset of (kk_t, x0 + x_t) from the operand's start.
    let x = b.rop("add.s32", x0, x_t);
    let xoff = match op.panel {
        Some(panel) => {
            let p = b.rop("shr.u32", x, 3);
            let j = b.rop("and.b32", x, 7);
            b.rmad(p, panel, j)
        }
        None => b.rop("mul.lo.s32", x, op.s_x),
    };
    let mut off = b.rmad(kk_t, op.s_k, xoff);
    if let Some(bi) = bi {
        off = b.rmad(bi, op.batch_stride, off);
    }
    let base = ctx.base(b, op.at);
    let ptr = b.addr(base, off);
    let x_ok = if op.x_limit.is_multiple_of(64) {
        [None; 4]
    } else if op.kfast || op.vec {
        let p = b.setp("lt.s32", x, op.x_limit);
        [Some(p); 4]
    } else {
        std::array::from_fn(|q| {
            let xq = b.rop("add.s32", x, q);
            Some(b.setp("lt.s32", xq, op.x_limit))
        })
    };
    // Shared address of (kk_t, x_t): (kk_t·64 + x_t)·4.
    let cell = b.rmad(kk_t, 64, x_t);
    let smem = b.rmad(cell, 4, smem);
    let regs = std::array::from_fn(|_| b.f());
    Loader { ptr, regs, x_ok, kk_t, smem }
}

/// Loads slice `k0` (a register: `k - k0` remaining) into the loader's registers.
fn load_slice(b: &mut Body, op: &Operand, l: &Loader, k_rem: Option<R>) {
    for r in l.regs {
        b.ins(format!("mov.f32 {r}, 0f00000000"));
    }
    let step = if op.kfast {
        op.s_k
    } else if op.panel.is_some() {
        1
    } else {
        op.s_x
    };
    let valid: Vec<Option<P>> = (0..4)
        .map(|q| {
            let k_ok = k_rem.map(|rem| {
                if op.kfast {
                    let kq = b.rop("add.s32", l.kk_t, q);
                    b.setp("lt.s32", kq, rem)
                } else {
                    b.setp("lt.s32", l.kk_t, rem)
                }
            });
            match (k_ok, l.x_ok[q]) {
                (Some(a), Some(c)) => Some(b.pand(a, c)),
                (a, c) => a.or(c),
            }
        })
        .collect();
    let guard = |p: Option<P>| p.map(|p| format!("@{p} ")).unwrap_or_default();
    if op.vec {
        let [r0, r1, r2, r3] = l.regs;
        b.ins(format!("{}ld.global.nc.v4.f32 {{{r0}, {r1}, {r2}, {r3}}}, [{}+0]", guard(valid[0]), l.ptr));
    } else {
        for (q, (v, r)) in valid.iter().zip(l.regs).enumerate() {
            let bytes = q as isize * step * 4;
            b.ins(format!("{}ld.global.nc.f32 {r}, [{}+{bytes}]", guard(*v), l.ptr));
        }
    }
}

/// Stores the loader's registers into its shared slice.
fn store_slice(b: &mut Body, op: &Operand, l: &Loader) {
    let [r0, r1, r2, r3] = l.regs;
    if op.kfast {
        for (q, r) in l.regs.iter().enumerate() {
            b.ins(format!("st.shared.f32 [{}+{}], {r}", l.smem, q * 64 * 4));
        }
    } else {
        b.ins(format!("st.shared.v4.f32 [{}+0], {{{r0}, {r1}, {r2}, {r3}}}", l.smem));
    }
}

/// Emits the GEMM kernel.
pub fn gemm(b: &mut Body, ctx: &Ctx, gemm: &Gemm) -> Result<Launch, PtxError> {
    let Gemm { m, n, k, batch, a, lda, a_batch_stride, .. } = gemm;
    let Gemm { b: bm, c, ldc, c_batch_stride, bias, bias_batch_stride, residual, act, .. } = gemm;
    let (m, n, k, batch) = (*m, *n, *k, *batch);
    let (tiles_m, tiles_n) = (m.div_ceil(BM), n.div_ceil(BN));
    let blocks = tiles_m * tiles_n * batch;
    let launch = Launch { grid: [fits(blocks.max(1), "gemm blocks")?, 1], block: THREADS, shared_bytes: 0 };
    if blocks == 0 {
        return Ok(launch);
    }
    for (v, what) in [(m * *lda, "A"), (m * *ldc, "C"), (k * n, "B"), (*a_batch_stride * batch, "A batch")] {
        fits(v, what)?;
    }
    fits(*c_batch_stride * batch, "C batch")?;
    b.shared_bytes = 2 * SLICE_BYTES;
    let launch = Launch { shared_bytes: (2 * SLICE_BYTES) as u32, ..launch };

    let ia = |v: usize| v as isize;
    let a_op = Operand {
        kfast: true,
        s_k: 1,
        s_x: ia(*lda),
        panel: None,
        vec: aligned(ia(a.offset)) && aligned(ia(*lda)) && aligned(ia(*a_batch_stride)) && k.is_multiple_of(4),
        x_limit: m,
        at: *a,
        batch_stride: ia(*a_batch_stride),
    };
    let b_op = match bm {
        GemmB::Packed { nr, .. } if *nr != GEMM_NR => {
            return Err(PtxError::Invalid(format!(
                "packed GEMM panels of {nr} columns; the PTX kernels read panels of {GEMM_NR}"
            )));
        }
        GemmB::Packed { at, batch_stride, .. } => Operand {
            kfast: false,
            s_k: GEMM_NR as isize,
            s_x: 1,
            panel: Some(ia(GEMM_NR * k)),
            vec: aligned(ia(at.offset)) && aligned(ia(*batch_stride)),
            x_limit: n.div_ceil(GEMM_NR) * GEMM_NR,
            at: *at,
            batch_stride: ia(*batch_stride),
        },
        GemmB::Strided { at, row_stride, col_stride, batch_stride } => {
            let kfast = *row_stride == 1 && *col_stride != 1;
            let (unit_extent, other) = if kfast { (k, *col_stride) } else { (n, *row_stride) };
            let unit = if kfast { *row_stride } else { *col_stride };
            Operand {
                kfast,
                s_k: *row_stride,
                s_x: *col_stride,
                panel: None,
                vec: unit == 1
                    && aligned(ia(at.offset))
                    && aligned(other)
                    && aligned(*batch_stride)
                    && unit_extent.is_multiple_of(4),
                x_limit: n,
                at: *at,
                batch_stride: *batch_stride,
            }
        }
    };
    for s in [b_op.s_k, b_op.s_x, b_op.batch_stride] {
        fits(s.unsigned_abs().saturating_mul(k.max(n).max(batch)), "B stride")?;
    }

    // Block coordinates.
    let tid = b.sreg("%tid.x");
    let cta = b.sreg("%ctaid.x");
    let nt = b.rop("rem.u32", cta, tiles_n);
    let rest = b.rop("div.u32", cta, tiles_n);
    let (mt, bi) =
        if batch > 1 { (b.rop("rem.u32", rest, tiles_m), Some(b.rop("div.u32", rest, tiles_m))) } else { (rest, None) };
    let m0 = b.rop("shl.b32", mt, 6);
    let n0 = b.rop("shl.b32", nt, 6);
    let smem = b.r();
    b.ins(format!("mov.u32 {smem}, {}", ctx.smem));
    let smem_b = b.rop("add.s32", smem, SLICE_BYTES);

    let la = loader(b, ctx, &a_op, tid, m0, bi, smem);
    let lb = loader(b, ctx, &b_op, tid, n0, bi, smem_b);
    let tiles_k = k.div_ceil(BK);
    let k_edge = !k.is_multiple_of(BK);

    let acc: Vec<F> = (0..16).map(|_| b.fconst(0.0)).collect();
    let tx = b.rop("and.b32", tid, 15);
    let ty = b.rop("shr.u32", tid, 4);
    let a_read = b.rmad(ty, 16, smem);
    let b_read = b.rmad(tx, 16, smem_b);

    if tiles_k > 0 {
        let k_rem = k_edge.then(|| b.rconst(k as i64));
        load_slice(b, &a_op, &la, k_rem);
        load_slice(b, &b_op, &lb, k_rem);
        b.for_range(0, tiles_k, 1, |b, t| {
            store_slice(b, &a_op, &la);
            store_slice(b, &b_op, &lb);
            b.ins("bar.sync 0");
            // Prefetch slice t + 1 while this one is computed.
            let skip = b.label();
            let next = b.rop("add.s32", t, 1);
            let last = b.setp("ge.s32", next, tiles_k);
            b.bra_if(last, skip);
            for (op, l) in [(&a_op, &la), (&b_op, &lb)] {
                b.ins(format!("add.s64 {0}, {0}, {1}", l.ptr, BK as isize * op.s_k * 4));
            }
            let k_rem = k_edge.then(|| {
                let done = b.rop("mul.lo.s32", next, BK);
                b.rop("sub.s32", k as u64, done)
            });
            load_slice(b, &a_op, &la, k_rem);
            load_slice(b, &b_op, &lb, k_rem);
            b.place(skip);
            for kk in 0..BK {
                let av: [F; 4] = std::array::from_fn(|_| b.f());
                let bv: [F; 4] = std::array::from_fn(|_| b.f());
                b.ins(format!(
                    "ld.shared.v4.f32 {{{}, {}, {}, {}}}, [{a_read}+{}]",
                    av[0],
                    av[1],
                    av[2],
                    av[3],
                    kk * 256
                ));
                b.ins(format!(
                    "ld.shared.v4.f32 {{{}, {}, {}, {}}}, [{b_read}+{}]",
                    bv[0],
                    bv[1],
                    bv[2],
                    bv[3],
                    kk * 256
                ));
                for i in 0..4 {
                    for j in 0..4 {
                        let c = acc[i * 4 + j];
                        b.ins(format!("fma.rn.f32 {c}, {}, {}, {c}", av[i], bv[j]));
                    }
                }
            }
            b.ins("bar.sync 0");
        });
    }

    // Epilogue: rows m0 + 4·ty + i, columns n0 + 4·tx + j.
    let row0 = b.rmad(ty, 4, m0);
    let col0 = b.rmad(tx, 4, n0);
    let mut coff = b.rmad(row0, *ldc, col0);
    if let Some(bi) = bi {
        coff = b.rmad(bi, *c_batch_stride, coff);
    }
    let cbase = ctx.base(b, *c);
    let cptr = b.addr(cbase, coff);
    let rptr = residual.map(|r| {
        let base = ctx.base(b, r);
        b.addr(base, coff)
    });
    let row_ok: Vec<Option<P>> = (0..4)
        .map(|i| {
            (!m.is_multiple_of(BM)).then(|| {
                let r = b.rop("add.s32", row0, i);
                b.setp("lt.s32", r, m)
            })
        })
        .collect();
    let col_ok: Vec<Option<P>> = (0..4)
        .map(|j| {
            (!n.is_multiple_of(BN)).then(|| {
                let cc = b.rop("add.s32", col0, j);
                b.setp("lt.s32", cc, n)
            })
        })
        .collect();
    let guard = |p: Option<P>| p.map(|p| format!("@{p} ")).unwrap_or_default();
    let bias_v: Option<Vec<F>> = bias.map(|l| {
        let base = ctx.base(b, l);
        let off = match bi {
            Some(bi) if *bias_batch_stride > 0 => b.rmad(bi, *bias_batch_stride, col0),
            _ => col0,
        };
        let ptr = b.addr(base, off);
        (0..4)
            .map(|j| {
                let v = b.fconst(0.0);
                b.ins(format!("{}ld.global.nc.f32 {v}, [{ptr}+{}]", guard(col_ok[j]), j * 4));
                v
            })
            .collect()
    });
    let vec_store = c.offset.is_multiple_of(4)
        && ldc.is_multiple_of(4)
        && c_batch_stride.is_multiple_of(4)
        && n.is_multiple_of(4)
        && residual.is_none_or(|r| r.offset.is_multiple_of(4));
    for i in 0..4 {
        let both: Vec<Option<P>> = (0..4)
            .map(|j| match (row_ok[i], col_ok[j]) {
                (Some(r), Some(c)) => Some(b.pand(r, c)),
                (r, c) => r.or(c),
            })
            .collect();
        let row_bytes = i * ldc * 4;
        let res: Option<[F; 4]> = rptr.map(|rp| {
            let v: [F; 4] = std::array::from_fn(|_| b.fconst(0.0));
            if vec_store {
                b.ins(format!(
                    "{}ld.global.nc.v4.f32 {{{}, {}, {}, {}}}, [{rp}+{row_bytes}]",
                    guard(both[0]),
                    v[0],
                    v[1],
                    v[2],
                    v[3]
                ));
            } else {
                for j in 0..4 {
                    b.ins(format!("{}ld.global.nc.f32 {}, [{rp}+{}]", guard(both[j]), v[j], row_bytes + j * 4));
                }
            }
            v
        });
        let out: Vec<F> = (0..4)
            .map(|j| {
                let mut v = acc[i * 4 + j];
                if let Some(bv) = &bias_v {
                    v = b_add(b, v, bv[j]);
                }
                if let Some(rv) = &res {
                    v = b_add(b, v, rv[j]);
                }
                vitc_lower::elem::activation(b, *act, v)
            })
            .collect();
        if vec_store {
            b.ins(format!(
                "{}st.global.v4.f32 [{cptr}+{row_bytes}], {{{}, {}, {}, {}}}",
                guard(both[0]),
                out[0],
                out[1],
                out[2],
                out[3]
            ));
        } else {
            for j in 0..4 {
                b.ins(format!("{}st.global.f32 [{cptr}+{}], {}", guard(both[j]), row_bytes + j * 4, out[j]));
            }
        }
    }
    Ok(launch)
}

fn b_add(b: &mut Body, x: F, y: F) -> F {
    let d = b.f();
    b.ins(format!("add.rn.f32 {d}, {x}, {y}"));
    d
}
