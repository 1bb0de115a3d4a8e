//! Test helpers shared by vitc's crates; a dev-dependency only.
//!
//! - [`data`]: where the reference data lives (`../shared/models`, the ONNX
//!   node test data) and [`require`], which fails a test whose data is
//!   missing: tests never pass by skipping.
//! - [`tools`]: external tools (`cc`, the aarch64 cross compiler, qemu)
//!   that a test needs, with the same rule.
//! - [`rng`]: one seeded generator of test data.
//! - [`close`]: comparisons of results ([`assert_close`], the whole-model
//!   rule [`assert_within`] and [`compare`]).
//! - `kernels` (feature `kernels`): the catalogue of kernel samples every
//!   backend's tests compile and run.
//! - `node_cases` (feature `node-cases`): the ONNX node conformance cases
//!   as lowered programs, for the backends' conformance tests.

pub mod close;
pub mod data;
#[cfg(feature = "kernels")]
pub mod kernels;
#[cfg(feature = "node-cases")]
pub mod node_cases;
pub mod rng;
pub mod tools;

pub use close::{Comparison, assert_close, assert_within, compare};
pub use data::{model_file, models_dir, node_data_dir, repo_root, require};
pub use rng::Rng;
pub use tools::{have, require_tool};
