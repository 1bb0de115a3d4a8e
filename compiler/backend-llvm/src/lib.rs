//! The LLVM backend of vitc: turns a lowered [`vitc_lower::Program`] into
//! native code for x86-64 (AVX2 + FMA, 256-bit vectors) or aarch64 (NEON)
//! through [inkwell](https://crates.io/crates/inkwell) and LLVM 19.
//!
//! The output has exactly the contract of the Cranelift backend, so
//! `vitc_link::link` takes it unchanged: an ELF relocatable object that
//! defines one function per kernel, `{prefix}_k{index}`, with the C ABI
//! `void f(float *arena, const float *weights, uint64_t start, uint64_t end)`
//! computing the kernel's outer-loop indices `start..end` of
//! `0..kernel.extent()` (bit-identical results whatever the chunking), and
//! the read-only, 64-byte-aligned data symbol `{prefix}_weights` holding
//! `program.weights`. The only import is `powf` (for `Pow` maps).
//!
//! LLVM is optional: it is compiled in with the cargo feature `llvm` (which
//! needs Debian's `llvm-19-dev`). Without it the crate still builds, and
//! every entry point returns [`LlvmError::NotBuilt`], whose message says how
//! to enable it.
//!
//! Kernels are written as real loops (phi nodes, constant trip counts where
//! the lowering fixed them) with explicit vectors: a register-tiled GEMM
//! micro-kernel with `llvm.fma` (`gemm.rs`) and fused attention
//! (`attention.rs`) on a small builder layer (`fx.rs`); every other kernel
//! is the shared CPU loop layer `vitc_lower::cpu`, emitted through this
//! crate's implementation of its traits (`elem.rs` for the element
//! functions, `cpu.rs` for loops and memory); `module.rs` drives LLVM's
//! `default<O3>` pipeline and writes the object.

mod error;
mod target;

#[cfg(feature = "llvm")]
mod attention;
#[cfg(feature = "llvm")]
mod cpu;
#[cfg(feature = "llvm")]
mod elem;
#[cfg(feature = "llvm")]
mod fx;
#[cfg(feature = "llvm")]
mod gemm;
#[cfg(feature = "llvm")]
mod module;

pub use error::{LlvmError, NOT_BUILT};
pub use target::{Arch, LlvmTarget};
use vitc_lower::Program;
pub use vitc_lower::{kernel_symbol, weights_symbol};

/// Whether this build has LLVM (the cargo feature `llvm`).
pub const AVAILABLE: bool = cfg!(feature = "llvm");

/// The ELF relocatable object of a program (see the crate docs). The
/// program is checked first (every access inside the arena and weights).
pub fn compile_object(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<Vec<u8>, LlvmError> {
    #[cfg(feature = "llvm")]
    {
        module::compile_object(program, prefix, target)
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = (program, prefix, target);
        Err(LlvmError::NotBuilt)
    }
}

/// The program as up to `threads` objects compiled in parallel (kernels
/// split by their share of LLVM's work; the first object holds the weights).
pub fn compile_objects(
    program: &Program,
    prefix: &str,
    target: &LlvmTarget,
    threads: usize,
) -> Result<Vec<Vec<u8>>, LlvmError> {
    #[cfg(feature = "llvm")]
    {
        module::compile_objects(program, prefix, target, threads)
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = (program, prefix, target, threads);
        Err(LlvmError::NotBuilt)
    }
}

/// The optimised LLVM IR of every kernel, as text.
pub fn emit_llvm_ir(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<String, LlvmError> {
    #[cfg(feature = "llvm")]
    {
        module::emit_llvm_ir(program, prefix, target)
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = (program, prefix, target);
        Err(LlvmError::NotBuilt)
    }
}

/// The assembly LLVM generates for every kernel.
pub fn emit_asm(program: &Program, prefix: &str, target: &LlvmTarget) -> Result<String, LlvmError> {
    #[cfg(feature = "llvm")]
    {
        module::emit_asm(program, prefix, target)
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = (program, prefix, target);
        Err(LlvmError::NotBuilt)
    }
}

/// The GEMM micro-kernel tile on a target: `(rows, columns)`; for
/// reports and benchmarks.
pub fn gemm_tile(target: &LlvmTarget) -> Result<(usize, usize), LlvmError> {
    #[cfg(feature = "llvm")]
    {
        let r = module::resolve(target);
        let t = gemm::tile_for(r.isa.lanes, r.isa.aarch64);
        Ok((t.mr, t.cols))
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = target;
        Err(LlvmError::NotBuilt)
    }
}

/// The panel width (`vitc_lower::LowerOptions::gemm_nr`) a program should
/// be lowered with for this target: 16 with AVX-512, else 8.
pub fn gemm_panel_width(target: &LlvmTarget) -> Result<usize, LlvmError> {
    #[cfg(feature = "llvm")]
    {
        Ok(gemm::panel_width(module::resolve(target).isa.lanes))
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = target;
        Err(LlvmError::NotBuilt)
    }
}

/// The CPU name and LLVM feature string a target resolves to (`native`
/// becomes the host's), and the vector lanes of the kernels.
pub fn describe_target(target: &LlvmTarget) -> Result<(String, String, u32), LlvmError> {
    #[cfg(feature = "llvm")]
    {
        let r = module::resolve(target);
        Ok((r.cpu, r.features, r.isa.lanes))
    }
    #[cfg(not(feature = "llvm"))]
    {
        let _ = target;
        Err(LlvmError::NotBuilt)
    }
}

#[cfg(all(test, not(feature = "llvm")))]
mod tests {
    use super::*;

    #[test]
    fn without_llvm_every_entry_point_says_how_to_enable_it() {
        let p = Program {
            name: "t".into(),
            kernels: vec![],
            arena_len: 0,
            weights: vec![],
            inputs: vec![],
            outputs: vec![],
            batch: vitc_lower::BatchPlan { dynamic: false, max_batch: 1 },
            memory: vitc_lower::MemoryStats::default(),
        };
        let t = LlvmTarget::new(Arch::X86_64);
        for e in [compile_object(&p, "t", &t).err(), emit_asm(&p, "t", &t).err(), emit_llvm_ir(&p, "t", &t).err()] {
            let msg = e.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("feature `llvm`") && msg.contains("llvm-19-dev"), "{msg}");
        }
    }
}
