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
//! plain position-independent leaf functions; the only import is `powf`
//! (for `Pow` maps). Any chunking of `0..extent` gives bit-identical results.
//!
//! Every size, stride and offset is a compile-time constant, so kernels are
//! straight-line address arithmetic around constant-trip loops: a
//! register-tiled f32x4 GEMM micro-kernel (`gemm.rs`) and fused attention
//! (`attention.rs`) are written here; every other kernel is the shared CPU
//! loop layer `vitc_lower::cpu`, emitted through this crate's
//! implementation of its traits (`elem.rs`, `cpu.rs`) on a small builder
//! layer (`emit.rs`).
//! `module.rs` drives Cranelift and writes the object; `target.rs` holds the
//! CPU feature levels.
//!
//! [`define_kernels`] emits the same functions into any
//! [`cranelift_module::Module`] (the tests JIT them with `cranelift-jit`);
//! [`emit_clif`] and [`emit_disasm`] list the IR and the machine code.

mod attention;
mod cpu;
mod elem;
mod emit;
mod error;
mod gemm;
mod module;
mod target;

pub use error::BackendError;
pub use module::{compile_object, define_kernels, emit_clif, emit_disasm, verify};
pub use target::{Arch, Target};
