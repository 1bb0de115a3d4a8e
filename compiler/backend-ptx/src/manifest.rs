//! The launch manifest written beside a `.ptx` (`NAME.manifest.json`):
//! everything a launcher needs besides the PTX text and the weights blob.
//! The format is documented in `docs/ptx.md`; [`MANIFEST_VERSION`] changes
//! whenever a field changes meaning.

use crate::error::PtxError;
use crate::module::{PTX_VERSION, PtxModule};
use serde::{Deserialize, Serialize};
use vitc_lower::{IoSlot, Program, WEIGHT_ALIGN};

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

fn tensor(slot: &IoSlot) -> Tensor {
    Tensor {
        name: slot.name.clone(),
        dims: slot.dims.iter().map(|&d| d as u64).collect(),
        offset: slot.offset as u64 * 4,
        dtype: slot.dtype.name().to_string(),
    }
}

impl Manifest {
    /// The manifest of `module` (generated from `program`), naming the
    /// PTX and weights files as given.
    pub fn new(program: &Program, module: &PtxModule, ptx_file: &str, weights_file: &str) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            version: MANIFEST_VERSION,
            model: program.name.clone(),
            sm: module.target.sm(),
            ptx_version: PTX_VERSION.to_string(),
            ptx: ptx_file.to_string(),
            weights: WeightsInfo {
                file: weights_file.to_string(),
                bytes: program.weights.len() as u64,
                align: WEIGHT_ALIGN as u64,
            },
            arena: ArenaInfo { bytes: program.arena_len as u64 * 4, image_stride: module.image_stride as u64 },
            batch: BatchInfo { dynamic: program.batch.dynamic, max_batch: program.batch.max_batch as u64 },
            params: ["arena", "weights", "image_stride"].map(String::from).to_vec(),
            inputs: program.inputs.iter().map(tensor).collect(),
            outputs: program.outputs.iter().map(tensor).collect(),
            kernels: module
                .entries
                .iter()
                .map(|e| KernelInfo {
                    entry: e.entry.clone(),
                    kind: e.kind.to_string(),
                    grid: [e.launch.grid[0], e.launch.grid[1], 1],
                    block: [e.launch.block, 1, 1],
                    shared_bytes: e.launch.shared_bytes,
                })
                .collect(),
        }
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, PtxError> {
        serde_json::to_string_pretty(self).map(|s| s + "\n").map_err(|e| PtxError::Manifest(e.to_string()))
    }

    /// Parses and checks a manifest.
    pub fn from_json(text: &str) -> Result<Manifest, PtxError> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| PtxError::Manifest(e.to_string()))?;
        if m.format != MANIFEST_FORMAT {
            return Err(PtxError::Manifest(format!("format is '{}', expected '{MANIFEST_FORMAT}'", m.format)));
        }
        if m.version != MANIFEST_VERSION {
            return Err(PtxError::Manifest(format!(
                "version {} is not supported (this vitc reads version {MANIFEST_VERSION})",
                m.version
            )));
        }
        if m.arena.image_stride < m.arena.bytes {
            return Err(PtxError::Manifest("arena.image_stride is smaller than arena.bytes".into()));
        }
        for t in m.inputs.iter().chain(&m.outputs) {
            let len: u64 = t.dims.iter().product::<u64>() * 4;
            if t.offset.checked_add(len).is_none_or(|end| end > m.arena.bytes) {
                return Err(PtxError::Manifest(format!("tensor '{}' lies outside the arena", t.name)));
            }
        }
        Ok(m)
    }
}
