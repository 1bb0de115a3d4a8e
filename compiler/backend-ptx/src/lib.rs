//! The PTX backend of vitc: turns a lowered [`vitc_lower::Program`] into
//! PTX text for NVIDIA GPUs (`sm_80`, `sm_90`) by direct emission (no LLVM),
//! plus a launch [`Manifest`].
//!
//! [`compile_ptx`] writes one `.entry` per kernel, `{prefix}_k{index}`,
//! taking `(arena, weights, image_stride)` (all `.u64`); `%ctaid.z` selects
//! the image, so a dynamic-batch program runs a whole batch per launch.
//! Kernels: a shared-memory tiled GEMM (`gemm.rs`), fused attention with
//! the logits row in shared memory (`attention.rs`), grid-stride
//! element-wise kernels (`elementwise.rs`), warp-per-row softmax, layer
//! norm and reductions (`rows.rs`) and window kernels (`window.rs`), on a
//! small text builder (`emit.rs`). Transcendental functions (`math.rs`)
//! are written against [`fp::Fp`], so the same code that is emitted is
//! also evaluated on the CPU by the tests. [`ptxas`] finds NVIDIA's
//! assembler for validation.

mod attention;
mod elementwise;
mod emit;
mod error;
pub mod fp;
mod gemm;
mod launch;
mod manifest;
pub mod math;
mod module;
mod ops;
pub mod ptxas;
mod rows;
mod window;

pub use error::PtxError;
pub use launch::Launch;
pub use manifest::{
    ArenaInfo, BatchInfo, KernelInfo, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest, Tensor, WeightsInfo,
};
pub use module::{EntryInfo, IMAGE_ALIGN, PTX_VERSION, PtxModule, PtxTarget, compile_ptx, entry_name};
