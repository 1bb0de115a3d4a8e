//! The CUDA launcher of vitc: runs what `vitc compile --target
//! ptx-sm80|ptx-sm90 -o NAME.ptx` wrote (`NAME.ptx`, `NAME.manifest.json`,
//! `NAME.weights`) on an NVIDIA GPU through the CUDA driver API.
//!
//! [`Bundle::load`] reads and checks the three files (no GPU needed).
//! [`GpuModel`] needs the cargo feature `cuda` (the `cudarc` crate, which
//! loads `libcuda.so` at run time, so building needs nothing from CUDA):
//! it loads the PTX (the driver JIT-compiles it), allocates the arena with
//! `cuMemAlloc` (one per-image arena per image of the largest batch),
//! uploads the weights once, and per call copies the inputs in, launches
//! every kernel in order with `grid.z` = the number of images, and copies
//! the outputs back. Without the feature, or without a driver,
//! [`GpuModel::new`] returns a clear error.

mod bundle;
#[cfg(feature = "cuda")]
mod driver;
mod error;
#[cfg(not(feature = "cuda"))]
mod stub;

pub use bundle::{Bundle, manifest_path};
#[cfg(feature = "cuda")]
pub use driver::{GpuModel, driver_present};
pub use error::CudaError;
#[cfg(not(feature = "cuda"))]
pub use stub::{GpuModel, driver_present};

/// Whether this build includes the CUDA launcher (the `cuda` feature).
pub const BUILT_WITH_CUDA: bool = cfg!(feature = "cuda");

/// Timings of [`GpuModel::time`], in milliseconds per call.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Whole calls: inputs in, kernels, outputs out (host clock).
    pub call_ms: Vec<f64>,
    /// The kernels alone (CUDA events around the launches).
    pub kernels_ms: Vec<f64>,
}
