//! Errors of the CUDA launcher.

/// Why a compiled PTX model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum CudaError {
    /// The files of the bundle are missing or inconsistent.
    #[error("{0}")]
    Bundle(String),
    /// The build lacks the `cuda` feature.
    #[error(
        "this vitc was built without CUDA support; rebuild with `cargo build --release -p vitc --features cuda` \
         (the CUDA driver is loaded at run time, so the build itself needs no CUDA installation)"
    )]
    NotBuilt,
    /// No CUDA driver library (`libcuda.so`) could be loaded.
    #[error("no CUDA driver found (libcuda.so could not be loaded): this machine has no usable NVIDIA GPU driver")]
    NoDriver,
    /// A driver call failed.
    #[error("CUDA driver: {0}")]
    Driver(String),
    /// The call does not fit the model (input sizes, batch).
    #[error("{0}")]
    Call(String),
}
