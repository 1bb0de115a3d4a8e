//! vitc-link: turns a lowered [`vitc_lower::Program`] and the object code a
//! backend produced for it into what an application links: a shared library
//! (`.so`), a relocatable object (`.o`) or a static archive (`.a`), plus a
//! documented C header.
//!
//! The library is the backend's object (one function `{prefix}_k{i}` per
//! kernel and the `{prefix}_weights` blob) and one C translation unit compiled
//! here: the generated glue (step table, input/output layout, the prefixed
//! API), which includes the runtime `runtime/c/vitc_runtime.c` (contexts,
//! worker threads, the step executor). Only the prefixed API and the
//! `vitc_model_prefix` string are visible outside the result.

mod api;
mod cleanup;
mod elf;
mod error;
mod glue;
mod header;
mod link;
mod name;
mod steps;
#[cfg(feature = "stub")]
pub mod stub;
mod target;

pub use api::{API_FUNCTIONS, PREFIX_SYMBOL};
pub use cleanup::{Pending, pending, remove_pending};
pub use elf::{ElfKind, elf_kind};
pub use error::LinkError;
pub use glue::{CSources, c_sources};
pub use link::{LinkOptions, Linked, OutputKind, link};
pub use name::{sanitize_prefix, validate_prefix};
pub use steps::{MIN_CHUNK_WORK, max_chunks};
pub use target::{Target, Toolchain};

/// The runtime's C source, compiled into every generated library.
pub const RUNTIME_C: &str = include_str!("../../../runtime/c/vitc_runtime.c");
/// The runtime's internal header (included by [`RUNTIME_C`]).
pub const RUNTIME_H: &str = include_str!("../../../runtime/c/vitc_runtime.h");
