//! The catalogue of kernel samples every backend's tests compile and run
//! (feature `kernels`): small programs covering every [`Kernel`] kind, map
//! op and activation with their tail and edge cases (vector tails of 4, 8
//! and 16 lanes, GEMM edge tiles and odd panel counts, broadcast, transposed,
//! reversed and scalar operands, dilated and grouped windows, attention with
//! bias, LePE and wide rows), each with its initial arena and weights.
//!
//! How a backend compiles and runs a sample (its harness) stays in that
//! backend's tests; this module only describes the programs. Samples whose
//! GEMMs read B in panels wider than [`GEMM_NR`] need a backend that packs
//! such panels ([`Sample::wide_panels`]); the others refuse them.

mod attention;
mod gemm;
mod maps;
mod rows;
mod windows;

use crate::Rng;
use vitc_lower::{BatchPlan, GEMM_NR, GemmB, Kernel, Loc, MemoryStats, Program, Strided};
use vitc_lower::{Gather, Gemm, Resample};

/// A program of kernels over one arena, with its data.
#[derive(Clone, Debug)]
pub struct Sample {
    /// A unique, readable name.
    pub name: String,
    /// Run in order over the same arena.
    pub kernels: Vec<Kernel>,
    /// The arena before the first kernel (its length is the arena's).
    pub init: Vec<f32>,
    /// The weights region, as f32 (index tables stored as their bits).
    pub weights: Vec<f32>,
}

impl Sample {
    /// The program of this sample (see [`program`]).
    pub fn program(&self) -> Program {
        program(self.kernels.clone(), self.init.len(), &self.weights)
    }

    /// Whether a GEMM reads B in packed panels wider than [`GEMM_NR`]
    /// columns (what the driver packs for AVX-512); backends that read only
    /// [`GEMM_NR`]-column panels refuse such programs.
    pub fn wide_panels(&self) -> bool {
        self.kernels
            .iter()
            .any(|k| matches!(k, Kernel::Gemm(Gemm { b: GemmB::Packed { nr, .. }, .. }) if *nr != GEMM_NR))
    }
}

/// Every sample. The first is a map run dense and transposed (two kernels).
pub fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    // Programs over a few hundred floats, their data from one seeded stream.
    let mut rng = Rng::new(99);
    maps::small(&mut rng, &mut out);
    gemm::small(&mut rng, &mut out);
    rows::small(&mut rng, &mut out);
    windows::small(&mut rng, &mut out);
    attention::small(&mut rng, &mut out);
    windows::resample_small(&mut rng, &mut out);
    maps::binary_on_continuous_values(&mut Rng::new(98), &mut out);
    // Single kernels over a large arena (regions 16 K floats apart), with
    // sizes from 1 to 700 along the vectorised axes.
    let mut large = Vec::new();
    gemm::large(&mut large);
    maps::large(&mut large);
    rows::large(&mut large);
    windows::large(&mut large);
    attention::large(&mut large);
    for (i, (name, kernel)) in large.into_iter().enumerate() {
        out.push(single_kernel(name, kernel, 1000 + i as u64));
    }
    out
}

/// A program of `kernels` over an arena of `arena_len` floats and the given
/// weights (batch 1, no inputs or outputs: the tests fill the arena).
pub fn program(kernels: Vec<Kernel>, arena_len: usize, weights: &[f32]) -> Program {
    Program {
        name: "test".into(),
        kernels,
        arena_len,
        weights: weights.iter().flat_map(|w| w.to_le_bytes()).collect(),
        inputs: vec![],
        outputs: vec![],
        batch: BatchPlan { dynamic: false, max_batch: 1 },
        memory: MemoryStats::default(),
    }
}

/// The weights of a program as f32 (what the kernels get).
pub fn weights_f32(program: &Program) -> Vec<f32> {
    program.weights.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Chunkings of `0..extent` to try: one call, single rows, and three random
/// splits into up to four chunks (some possibly empty).
pub fn chunkings(extent: usize, rng: &mut Rng) -> Vec<Vec<(usize, usize)>> {
    let mut out = vec![vec![(0, extent)]];
    if extent > 1 {
        out.push((0..extent).map(|i| (i, i + 1)).collect());
        for _ in 0..3 {
            let mut cuts: Vec<usize> = (0..3).map(|_| rng.below(extent + 1)).collect();
            cuts.push(0);
            cuts.push(extent);
            cuts.sort_unstable();
            out.push(cuts.windows(2).map(|w| (w[0], w[1])).collect());
        }
    }
    out
}

/// Floats of the arena of a large single-kernel sample.
const LARGE_ARENA: usize = 1 << 16;
/// Floats of the weights of a large single-kernel sample.
const LARGE_WEIGHTS: usize = 1 << 15;
/// The four arena regions of the large samples.
const A0: usize = 0;
const A1: usize = 16_384;
const A2: usize = 32_768;
const A3: usize = 49_152;

/// `kernel` alone over the large arena: arena and weights random in
/// `[-2, 2)`, with valid index tables where the kernel reads some.
fn single_kernel(name: String, kernel: Kernel, seed: u64) -> Sample {
    let mut rng = Rng::new(seed);
    let init = rng.vec(LARGE_ARENA, -2.0, 2.0);
    let mut weights = rng.vec(LARGE_WEIGHTS, -2.0, 2.0);
    let (table, count, limit) = match &kernel {
        Kernel::Gather(Gather { table, indices, src_axis, .. }) => (table.offset, *indices, *src_axis),
        Kernel::Resample(Resample { index, dst_axis, taps, src_axis, .. }) => {
            (index.offset, dst_axis * taps, *src_axis)
        }
        _ => (0, 0, 1),
    };
    for i in 0..count {
        weights[table + i] = f32::from_bits(((i * 7 + 3) % limit) as u32);
    }
    Sample { name, kernels: vec![kernel], init, weights }
}

/// An arena operand at `offset` with `strides`.
fn st(offset: usize, strides: &[isize]) -> Strided {
    Strided { at: Loc::arena(offset), strides: strides.to_vec() }
}

/// `b` (`k × n`, row-major) in panels of `nr` columns.
fn pack(b: &[f32], k: usize, n: usize, nr: usize) -> Vec<f32> {
    vitc_lower::weights::pack_b(k, n, nr, |kk, j| b[kk * n + j])
}

#[cfg(test)]
mod tests;
