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
//! small text builder (`emit.rs`). The element functions (activations,
//! `exp`, `erf`, …) are `vitc_lower::elem`'s, shared with the CPU backends;
//! `elem.rs` gives them PTX instructions. [`ptxas`] finds NVIDIA's
//! assembler for validation.

mod attention;
mod elem;
mod elementwise;
mod emit;
mod error;
mod gemm;
mod launch;
mod manifest;
mod module;
pub mod ptxas;
mod rows;
mod window;

pub use error::PtxError;
pub use launch::Launch;
pub use manifest::manifest;
pub use module::{EntryInfo, IMAGE_ALIGN, PTX_VERSION, PtxModule, PtxTarget, compile_ptx};
pub use vitc_manifest::{Manifest, ManifestError};
