//! Lowering shared by every backend: a canonical [`vitc_ir::Graph`] becomes a
//! [`Program`] of [`Kernel`]s over one activation arena and a packed weights
//! blob. Backends (Cranelift, LLVM, PTX) only turn kernels into code.
//! [`reference`] executes a program in plain Rust, so the lowering is tested
//! without any backend, and backends are tested kernel by kernel against it.

pub mod kernel;
pub mod program;

pub use kernel::*;
pub use program::*;
