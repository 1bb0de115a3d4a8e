//! The CPU loop layer: every kernel except the GEMM micro-kernels and
//! attention written **once**, against the trait [`CpuEmitter`], and
//! emitted by both CPU backends (Cranelift on `f32x4`, LLVM on
//! `<4|8|16 x float>`).
//!
//! [`CpuEmitter`] extends the element layer ([`Elem`]) with what a loop
//! nest needs: the kernel ABI's chunk range, i64 index arithmetic, region
//! addressing in f32 elements, loads and stores of `n ≤ width` lanes
//! (contiguous, strided or broadcast), counted and run-time loops whose
//! loop-carried values are explicit, branches and horizontal reductions.
//! Its operations cannot fail: an implementation whose builder can fail
//! (LLVM) keeps the first error and reports it when the kernel is done.
//!
//! Target quirks stay inside each implementation: how a partial vector is
//! loaded (AVX-512 masks, lane by lane), how a block of floats is copied
//! (`llvm.memcpy`, an unrolled vector loop), the unroll factor of
//! element-wise loops ([`CpuEmitter::unroll`]).
//!
//! The kernels: [`rows`] (Softmax, LayerNorm, Reduce), [`map`] (Map, Fill),
//! [`resample`], [`window`] (Gather, Im2col, Pool2d and the window sweep)
//! and [`conv`] (Conv2d, ConvTranspose2d); [`emit_kernel`] dispatches.

pub mod conv;
pub mod map;
pub mod resample;
pub mod rows;
pub mod window;

use crate::elem::Elem;
use crate::{Kernel, Loc};

/// A loop body: gets the emitter, the induction variable and the current
/// loop-carried values, returns the next ones.
pub type LoopBody<'b, E> =
    dyn FnMut(&mut E, <E as CpuEmitter>::Idx, &[<E as CpuEmitter>::Carry]) -> Vec<<E as CpuEmitter>::Carry> + 'b;

/// A combine of two vectors (a reduction step).
pub type Combine<'b, E> = dyn FnMut(&mut E, <E as Elem>::V, <E as Elem>::V) -> <E as Elem>::V + 'b;

/// The loop-nest primitives of a CPU backend. `V` values hold
/// [`CpuEmitter::width`] f32 lanes; `Idx` is an i64 (or a condition, where
/// a method says so); `Ptr` an address.
pub trait CpuEmitter: Elem + Sized {
    /// An i64 value, or a condition produced by [`CpuEmitter::below`].
    type Idx: Copy;
    /// An address.
    type Ptr: Copy;
    /// A loop-carried value (a vector or an index).
    type Carry: Copy;

    /// f32 lanes of a vector.
    fn width(&self) -> usize;
    /// The chunk of the outer loop this call runs: `start..end`.
    fn chunk(&mut self) -> (Self::Idx, Self::Idx);
    /// How many vectors an element-wise loop handles per iteration (the
    /// target's unroll factor; `expensive` ops may want fewer).
    fn unroll(&self, expensive: bool) -> usize {
        let _ = expensive;
        1
    }

    // ---------------------------------------------------------------- indices

    fn idx(&mut self, c: i64) -> Self::Idx;
    fn idx_add(&mut self, a: Self::Idx, b: Self::Idx) -> Self::Idx;
    fn idx_sub(&mut self, a: Self::Idx, b: Self::Idx) -> Self::Idx;
    /// `a + c` (no instruction when `c` is 0).
    fn idx_add_c(&mut self, a: Self::Idx, c: i64) -> Self::Idx;
    /// `a · c` (no instruction when `c` is 1).
    fn idx_mul_c(&mut self, a: Self::Idx, c: i64) -> Self::Idx;
    /// `a / c` for `a ≥ 0` and a positive constant `c`.
    fn idx_div_c(&mut self, a: Self::Idx, c: i64) -> Self::Idx;
    /// The condition `0 ≤ a < n` (an unsigned compare).
    fn below(&mut self, a: Self::Idx, n: i64) -> Self::Idx;
    /// Both conditions.
    fn both(&mut self, a: Self::Idx, b: Self::Idx) -> Self::Idx;
    /// `cond ? a : b` on indices.
    fn idx_select(&mut self, cond: Self::Idx, a: Self::Idx, b: Self::Idx) -> Self::Idx;
    /// A condition as the index 0 or 1.
    fn idx_of_cond(&mut self, cond: Self::Idx) -> Self::Idx;
    /// A condition as a lane mask (every lane true or every lane false).
    fn mask_of_cond(&mut self, cond: Self::Idx) -> Self::M;
    /// An index as a float in every lane.
    fn float_of_idx(&mut self, a: Self::Idx) -> Self::V;

    // ---------------------------------------------------------------- memory

    /// The address of a [`Loc`].
    fn base(&mut self, loc: Loc) -> Self::Ptr;
    /// `p + i·stride` f32 elements.
    fn at(&mut self, p: Self::Ptr, i: Self::Idx, stride: i64) -> Self::Ptr;
    /// `p + c` f32 elements.
    fn at_c(&mut self, p: Self::Ptr, c: i64) -> Self::Ptr;
    /// Lanes `0..n` (`1 ≤ n ≤ width`) from `p + j·stride`; the other lanes
    /// are unspecified. Stride 1 and `n = width` is one vector load.
    fn load(&mut self, p: Self::Ptr, stride: i64, n: usize) -> Self::V;
    /// One float at `p` in every lane.
    fn load_splat(&mut self, p: Self::Ptr) -> Self::V;
    /// Lanes `0..n` of `v` to `p + j·stride`; memory past them untouched.
    fn store(&mut self, v: Self::V, p: Self::Ptr, stride: i64, n: usize);
    /// A u32 table entry at `p` as an index.
    fn load_index(&mut self, p: Self::Ptr) -> Self::Idx;
    /// Copies `n` floats from `from` to `to` (the ranges do not overlap).
    fn copy(&mut self, to: Self::Ptr, from: Self::Ptr, n: usize);

    // ---------------------------------------------------------------- lanes

    /// Lane `i` of the result is lane `(i + by) % width` of `v`.
    fn rotate(&mut self, v: Self::V, by: usize) -> Self::V;
    /// Lane 0 in every lane.
    fn broadcast0(&mut self, v: Self::V) -> Self::V;
    /// The target's cheapest maximum, for reductions (which operand a NaN
    /// yields is the target's).
    fn max_num(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// The target's cheapest minimum, for reductions.
    fn min_num(&mut self, a: Self::V, b: Self::V) -> Self::V;

    /// Reduces the lanes of `v` with `op` by halving (a fixed tree, so every
    /// kernel rounds alike); the result is in every lane.
    fn hreduce(&mut self, v: Self::V, op: &mut Combine<'_, Self>) -> Self::V {
        let mut acc = v;
        let mut half = self.width() / 2;
        while half >= 1 {
            let s = self.rotate(acc, half);
            acc = op(self, acc, s);
            half /= 2;
        }
        self.broadcast0(acc)
    }

    // ---------------------------------------------------------------- control

    fn carry_v(v: Self::V) -> Self::Carry;
    fn carry_idx(i: Self::Idx) -> Self::Carry;
    fn v_of(c: Self::Carry) -> Self::V;
    fn idx_of(c: Self::Carry) -> Self::Idx;

    /// `for (i = lo; i < hi; i += step)` (signed compare) threading
    /// `carried` through the iterations; returns their final values.
    fn range_loop(
        &mut self,
        lo: Self::Idx,
        hi: Self::Idx,
        step: i64,
        carried: &[Self::Carry],
        body: &mut LoopBody<'_, Self>,
    ) -> Vec<Self::Carry>;
    /// `for i in 0..n` with a constant trip count.
    fn count_loop(&mut self, n: usize, carried: &[Self::Carry], body: &mut LoopBody<'_, Self>) -> Vec<Self::Carry>;
    /// `if cond { then } else { other }`.
    fn if_else(&mut self, cond: Self::Idx, then: &mut dyn FnMut(&mut Self), other: &mut dyn FnMut(&mut Self));
}

/// Emits `kernel` when it is one of this layer's (everything but `Gemm` and
/// `Attention`, which each target writes itself); returns whether it did.
pub fn emit_kernel<E: CpuEmitter>(e: &mut E, kernel: &Kernel) -> bool {
    match kernel {
        Kernel::Fill(k) => map::fill(e, k.value, k.out),
        Kernel::Map(k) => map::map(e, k),
        Kernel::Softmax(k) => rows::softmax(e, k),
        Kernel::LayerNorm(k) => rows::layer_norm(e, k),
        Kernel::Reduce(k) => rows::reduce(e, k),
        Kernel::Gather(k) => window::gather(e, k),
        Kernel::Im2col(k) => window::im2col(e, &k.geom, k.x, k.out),
        Kernel::Pool2d(k) => window::pool(e, k),
        Kernel::Conv2d(k) => conv::conv(e, k),
        Kernel::ConvTranspose2d(k) => conv::conv_transpose(e, k),
        Kernel::Resample(k) => resample::resample(e, k),
        Kernel::Gemm(_) | Kernel::Attention(_) => return false,
    }
    true
}

/// Loops over the chunk `start..end`, with no carried values.
pub(crate) fn for_chunk<E: CpuEmitter>(e: &mut E, body: &mut dyn FnMut(&mut E, E::Idx)) {
    let (lo, hi) = e.chunk();
    e.range_loop(lo, hi, 1, &[], &mut |e, i, _| {
        body(e, i);
        vec![]
    });
}

/// `for i in 0..n`, with no carried values.
pub(crate) fn for_count<E: CpuEmitter>(e: &mut E, n: usize, body: &mut dyn FnMut(&mut E, E::Idx)) {
    e.count_loop(n, &[], &mut |e, i, _| {
        body(e, i);
        vec![]
    });
}

/// Runs `group(e, j, n)` over `0..len` a vector at a time: `j` the first
/// element, `n` the lanes (`width`, then `len % width` once).
pub(crate) fn for_vectors<E: CpuEmitter>(e: &mut E, len: usize, group: &mut dyn FnMut(&mut E, E::Idx, usize)) {
    let w = e.width();
    for_count(e, len / w, &mut |e, i| {
        let j = e.idx_mul_c(i, w as i64);
        group(e, j, w);
    });
    if !len.is_multiple_of(w) {
        let j = e.idx(((len / w) * w) as i64);
        group(e, j, len % w);
    }
}
