//! The launch manifest written beside a `.ptx` (`NAME.manifest.json`):
//! everything a launcher needs besides the PTX text and the weights blob.
//! The format is documented in `docs/ptx.md`; [`MANIFEST_VERSION`] changes
//! whenever a field changes meaning.
//!
//! This crate holds only the format (types, JSON, checks), so the CUDA
//! launcher reads manifests without linking the PTX code generator
//! (`vitc-backend-ptx`, which builds them).

use serde::{Deserialize, Serialize};

/// A manifest that cannot be written or read: the message says why.
#[derive(Debug, thiserror::Error)]
#[error("manifest: {0}")]
pub struct ManifestError(pub String);

/// Version of the manifest format.
pub const MANIFEST_VERSION: u32 = 1;
/// The `format` field of every manifest.
pub const MANIFEST_FORMAT: &str = "vitc-ptx-manifest";

/// A launch manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The model (file stem of the source).
    pub model: String,
    /// Compute capability the PTX targets, e.g. 80.
    pub sm: u32,
    /// PTX ISA version of the text.
    pub ptx_version: String,
    /// File name of the PTX text, relative to the manifest.
    pub ptx: String,
    pub weights: WeightsInfo,
    pub arena: ArenaInfo,
    pub batch: BatchInfo,
    /// The parameters every entry takes, in order (all `.u64`).
    pub params: Vec<String>,
    pub inputs: Vec<Tensor>,
    pub outputs: Vec<Tensor>,
    /// Kernels in execution order.
    pub kernels: Vec<KernelInfo>,
}

/// The weights blob.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    /// File name, relative to the manifest.
    pub file: String,
    pub bytes: u64,
    /// Required alignment of the device copy, in bytes.
    pub align: u64,
}

/// The activation arena.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArenaInfo {
    /// Bytes of one image's arena (the whole call's arena when static).
    pub bytes: u64,
    /// Bytes between the arenas of consecutive images (`bytes` rounded up
    /// to 256); the `image_stride` parameter.
    pub image_stride: u64,
}

/// How calls handle the batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchInfo {
    /// The kernels process one image; a call of B images launches every
    /// kernel with `grid.z = B` over B arenas.
    pub dynamic: bool,
    /// Largest batch a call may pass (1 when static).
    pub max_batch: u64,
}

/// An input or output: dense f32 in each image's arena.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub name: String,
    /// Shape of one image (batch axis 1) or of the whole static call.
    pub dims: Vec<u64>,
    /// Offset in the (per-image) arena, in bytes.
    pub offset: u64,
    /// The ONNX type (`f32`, `i64`, ...); the arena holds f32 values.
    pub dtype: String,
}

/// One kernel launch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelInfo {
    pub entry: String,
    pub kind: String,
    /// `grid[2]` is 1 here; the launcher sets it to the image count.
    pub grid: [u32; 3],
    pub block: [u32; 3],
    /// Static shared memory the entry declares, in bytes (no dynamic shared memory).
    pub shared_bytes: u32,
}

impl Manifest {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, ManifestError> {
        serde_json::to_string_pretty(self).map(|s| s + "\n").map_err(|e| ManifestError(e.to_string()))
    }

    /// Parses and checks a manifest.
    pub fn from_json(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| ManifestError(e.to_string()))?;
        if m.format != MANIFEST_FORMAT {
            return Err(ManifestError(format!("format is '{}', expected '{MANIFEST_FORMAT}'", m.format)));
        }
        if m.version != MANIFEST_VERSION {
            return Err(ManifestError(format!(
                "version {} is not supported (this vitc reads version {MANIFEST_VERSION})",
                m.version
            )));
        }
        if m.arena.image_stride < m.arena.bytes {
            return Err(ManifestError("arena.image_stride is smaller than arena.bytes".into()));
        }
        for t in m.inputs.iter().chain(&m.outputs) {
            let len: u64 = t.dims.iter().product::<u64>() * 4;
            if t.offset.checked_add(len).is_none_or(|end| end > m.arena.bytes) {
                return Err(ManifestError(format!("tensor '{}' lies outside the arena", t.name)));
            }
        }
        Ok(m)
    }
}
