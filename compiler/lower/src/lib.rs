//! Lowering shared by every backend: a canonical [`vitc_ir::Graph`] becomes a
//! [`Program`] of [`Kernel`]s over one activation arena and a packed weights
//! blob. Backends (Cranelift, LLVM, PTX) only turn kernels into code.
//! [`reference`] executes a program in plain Rust, so the lowering is tested
//! without any backend, and backends are tested kernel by kernel against it.

mod bind;
mod codegen_error;
pub mod cpu;
mod display;
pub mod elem;
pub mod error;
pub mod kernel;
mod lower;
mod map_levels;
pub mod plan;
mod prepare;
pub mod program;
pub mod reference;
pub mod validate;
mod view;
mod visit;
pub mod weights;

pub use codegen_error::CodegenError;
pub use error::LowerError;
pub use kernel::*;
pub use lower::{DEFAULT_MAX_MEMORY, LowerOptions, lower};
pub use map_levels::{MapLevel, map_levels};
pub use program::*;
