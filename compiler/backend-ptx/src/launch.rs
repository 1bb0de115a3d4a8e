//! Launch geometry and the per-kernel context: where the arena and weights
//! live in registers, grid-stride loops over a flat index space, and index
//! decomposition by constant sizes.
//!
//! Every entry takes `(arena, weights, image_stride)`: the arena base of
//! image 0, the weights blob, and the distance between the arenas of two
//! consecutive images in bytes. `%ctaid.z` is the image: the launcher sets
//! `grid.z` to the number of images of the call (1 for a static batch) and
//! the prologue moves `arena` to that image's arena. The x/y grid and the
//! block come from [`Launch`].

use crate::emit::{Body, D, R};
use crate::error::PtxError;
use vitc_lower::{Loc, Region};

/// Threads per block of the element-wise (grid-stride) kernels.
pub const BLOCK: u32 = 256;
/// Most blocks a grid-stride kernel launches per image.
pub const MAX_STRIDE_BLOCKS: usize = 4096;

/// Grid (x, y; z is the image count), block and dynamic-free shared memory of one kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Launch {
    pub grid: [u32; 2],
    pub block: u32,
    pub shared_bytes: u32,
}

impl Launch {
    /// `total` elements, one thread each, `BLOCK` threads per block, at most
    /// [`MAX_STRIDE_BLOCKS`] blocks (the loop strides over the rest).
    pub fn strided(total: usize) -> Launch {
        let blocks = total.div_ceil(BLOCK as usize).clamp(1, MAX_STRIDE_BLOCKS);
        Launch { grid: [blocks as u32, 1], block: BLOCK, shared_bytes: 0 }
    }

    /// One `per_block`-thread block for every `per_block / 32` rows (a warp per row).
    pub fn warp_rows(rows: usize, per_block: u32) -> Result<Launch, PtxError> {
        let warps = (per_block / 32) as usize;
        let blocks = rows.div_ceil(warps).max(1);
        Ok(Launch { grid: [fits(blocks, "grid")?, 1], block: per_block, shared_bytes: 0 })
    }
}

/// `v` as a u32 below 2^31 (the kernels index with signed 32-bit integers).
pub fn fits(v: usize, what: &str) -> Result<u32, PtxError> {
    u32::try_from(v)
        .ok()
        .filter(|&v| v < (1 << 31))
        .ok_or_else(|| PtxError::Invalid(format!("{what} {v} is too large for 32-bit indexing")))
}

/// The registers every kernel body starts with.
pub struct Ctx {
    /// This image's arena (global address).
    pub arena: D,
    /// The weights blob (global address).
    pub weights: D,
    /// Name of the entry's shared array, when a kernel declares one.
    pub smem: String,
}

impl Ctx {
    /// The address of element 0 of `loc`.
    pub fn base(&self, b: &mut Body, loc: Loc) -> D {
        let region = match loc.region {
            Region::Arena => self.arena,
            Region::Weights => self.weights,
        };
        b.offset(region, loc.offset as i64 * 4)
    }

    /// The state space to load `loc` from: read-only through the
    /// non-coherent cache (a kernel never writes what it reads).
    pub fn space(&self, _loc: Loc) -> &'static str {
        "global.nc"
    }
}

/// `for flat in 0..total` spread over every thread of the grid's x
/// dimension: `flat = ctaid.x · block + tid.x`, stepping by the grid size.
pub fn grid_stride(b: &mut Body, launch: &Launch, total: u32, body: impl FnOnce(&mut Body, R)) {
    let tid = b.sreg("%tid.x");
    let cta = b.sreg("%ctaid.x");
    let start = b.rmad(cta, launch.block, tid);
    let step = launch.grid[0] * launch.block;
    b.for_range(start, total, step, body);
}

/// Row-major indices of `flat` over `dims` (the first index is not reduced
/// modulo `dims[0]`).
pub fn split(b: &mut Body, flat: R, dims: &[usize]) -> Vec<R> {
    let mut idx = vec![flat; dims.len()];
    let mut rest = flat;
    for d in (1..dims.len()).rev() {
        let size = dims[d];
        if size == 1 {
            idx[d] = b.rconst(0);
            continue;
        }
        idx[d] = b.rop("rem.u32", rest, size);
        rest = b.rop("div.u32", rest, size);
    }
    if let Some(first) = idx.first_mut() {
        *first = rest;
    }
    idx
}

/// `Σ idx_d · strides_d` as a signed 32-bit register.
pub fn dot(b: &mut Body, idx: &[R], strides: &[isize]) -> R {
    let mut acc: Option<R> = None;
    for (&i, &s) in idx.iter().zip(strides) {
        if s == 0 {
            continue;
        }
        acc = Some(match acc {
            None if s == 1 => i,
            None => b.rop("mul.lo.s32", i, s),
            Some(a) => b.rmad(i, s, a),
        });
    }
    match acc {
        Some(a) => a,
        None => b.rconst(0),
    }
}
