//! The launcher without the `cuda` feature: every entry point explains how
//! to build one with it.

use crate::Timings;
use crate::bundle::Bundle;
use crate::error::CudaError;

/// Whether a CUDA driver can be loaded: never, without the `cuda` feature.
pub fn driver_present() -> bool {
    false
}

/// A model on the GPU (unavailable in this build).
pub struct GpuModel {
    _private: (),
}

impl GpuModel {
    /// Always fails with [`CudaError::NotBuilt`].
    pub fn new(_bundle: &Bundle, _device: usize) -> Result<GpuModel, CudaError> {
        Err(CudaError::NotBuilt)
    }

    pub fn device_name(&self) -> String {
        String::new()
    }

    pub fn run(&mut self, _inputs: &[&[f32]], _images: usize) -> Result<Vec<Vec<f32>>, CudaError> {
        Err(CudaError::NotBuilt)
    }

    pub fn time(
        &mut self,
        _inputs: &[&[f32]],
        _images: usize,
        _warmup: usize,
        _runs: usize,
    ) -> Result<Timings, CudaError> {
        Err(CudaError::NotBuilt)
    }
}
