//! The files of a compiled PTX model: `NAME.ptx`, `NAME.manifest.json`
//! beside it, and the weights file the manifest names.

use crate::error::CudaError;
use std::path::{Path, PathBuf};
use vitc_manifest::Manifest;

/// `NAME.manifest.json` beside `NAME.ptx`.
pub fn manifest_path(ptx: &Path) -> PathBuf {
    ptx.with_extension("manifest.json")
}

/// A loaded and checked bundle.
#[derive(Clone, Debug)]
pub struct Bundle {
    pub manifest: Manifest,
    pub ptx: String,
    pub weights: Vec<u8>,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, CudaError> {
    std::fs::read(path).map_err(|e| CudaError::Bundle(format!("reading the {what} {}: {e}", path.display())))
}

impl Bundle {
    /// Loads `NAME.ptx`, its manifest and its weights, and checks that they agree.
    pub fn load(ptx_path: &Path) -> Result<Bundle, CudaError> {
        let ptx = String::from_utf8(read(ptx_path, "PTX")?)
            .map_err(|_| CudaError::Bundle(format!("{} is not text", ptx_path.display())))?;
        let mpath = manifest_path(ptx_path);
        let text = String::from_utf8(read(&mpath, "manifest")?)
            .map_err(|_| CudaError::Bundle(format!("{} is not text", mpath.display())))?;
        let manifest =
            Manifest::from_json(&text).map_err(|e| CudaError::Bundle(format!("{}: {e}", mpath.display())))?;
        let dir = ptx_path.parent().unwrap_or(Path::new("."));
        let wpath = dir.join(&manifest.weights.file);
        let weights = read(&wpath, "weights")?;
        if weights.len() as u64 != manifest.weights.bytes {
            return Err(CudaError::Bundle(format!(
                "{} has {} bytes, the manifest says {}",
                wpath.display(),
                weights.len(),
                manifest.weights.bytes
            )));
        }
        for k in &manifest.kernels {
            if !ptx.contains(&format!(".entry {}(", k.entry)) {
                return Err(CudaError::Bundle(format!("{} has no entry {}", ptx_path.display(), k.entry)));
            }
        }
        Ok(Bundle { manifest, ptx, weights })
    }

    /// Largest number of images one call may pass.
    pub fn max_images(&self) -> usize {
        if self.manifest.batch.dynamic { self.manifest.batch.max_batch.max(1) as usize } else { 1 }
    }

    /// Values of input or output `i` for one image.
    pub fn image_len(t: &vitc_manifest::Tensor) -> usize {
        t.dims.iter().product::<u64>() as usize
    }
}
