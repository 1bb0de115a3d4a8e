//! Building the launch manifest of a PTX module. The format itself (types,
//! JSON, checks) is the crate `vitc-manifest`, which the CUDA launcher reads
//! without linking this code generator.

use crate::module::{PTX_VERSION, PtxModule};
use vitc_lower::{IoSlot, Program, WEIGHT_ALIGN};
use vitc_manifest::{
    ArenaInfo, BatchInfo, KernelInfo, MANIFEST_FORMAT, MANIFEST_VERSION, Manifest, Tensor, WeightsInfo,
};

fn tensor(slot: &IoSlot) -> Tensor {
    Tensor {
        name: slot.name.clone(),
        dims: slot.dims.iter().map(|&d| d as u64).collect(),
        offset: slot.offset as u64 * 4,
        dtype: slot.dtype.name().to_string(),
    }
}

/// The manifest of `module` (generated from `program`), naming the PTX and
/// weights files as given.
pub fn manifest(program: &Program, module: &PtxModule, ptx_file: &str, weights_file: &str) -> Manifest {
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
