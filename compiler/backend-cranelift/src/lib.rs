//! The Cranelift backend of vitc: turns a lowered [`vitc_lower::Program`]
//! into native code for x86-64 or aarch64.
//!
//! [`compile_object`] returns an ELF relocatable object that defines one
//! function per kernel, `{prefix}_k{index}`, with the C ABI
//! `void f(float *arena, const float *weights, uint64_t start, uint64_t end)`
//! computing the kernel's outer-loop indices `start..end` of
//! `0..kernel.extent()`, and the read-only, 64-byte-aligned data symbol
//! `{prefix}_weights` holding `program.weights`. The functions never touch the
//! weights symbol themselves (the runtime passes its address), so they are
//! plain leaf functions; the only imports are `powf` (for `Pow` maps).
//!
//! Every size, stride and offset is a compile-time constant, so kernels are
//! straight-line address arithmetic around constant-trip loops: a
//! register-tiled f32x4 GEMM micro-kernel ([`gemm`]), vectorised element-wise
//! maps with polynomial `exp`/`erf`/`tanh`/`log` ([`map`], [`math`]), row
//! kernels ([`norm`]), window kernels ([`window`]) and direct convolutions
//! ([`conv`]).

mod conv;
mod emit;
mod error;
mod gemm;
mod map;
mod math;
mod module;
mod norm;
mod target;
mod window;

pub use error::BackendError;
pub use module::{compile_object, define_kernels, emit_clif, emit_disasm, kernel_symbol, weights_symbol};
pub use target::{Arch, Target};

/// Rows of the GEMM micro-kernel tile on a target (columns are
/// [`vitc_lower::GEMM_NR`] = 8, two f32x4 vectors).
pub fn gemm_mr(target: &Target) -> usize {
    gemm::mr(target)
}
