//! A lowered model: kernels, the arena size, the packed weights blob and
//! where inputs and outputs live.
//!
//! Every value in the arena is an f32. Graph values of other ONNX types are
//! carried as f32 too: a bool is `0.0` or `1.0`, an integer is its exact
//! f32 value, which is exact only for magnitudes up to 2^24 (16 777 216);
//! larger integers are rounded, so integer arithmetic computed at run time is
//! correct only within that bound. [`IoSlot::dtype`] records the ONNX type of
//! each input and output, so a caller converts (an `i64` input is written as
//! the f32 of its value, an `i64` output is read back by rounding).

use crate::kernel::Kernel;
pub use vitc_ir::DType;

/// Columns per packed GEMM panel (see [`crate::kernel::GemmB::Packed`]).
pub const GEMM_NR: usize = 8;

/// Columns per batch of a column-split GEMM (see [`crate::Kernel::Gemm`]):
/// a multiple of every panel width and register tile width.
pub const GEMM_COL_BLOCK: usize = 64;

/// The panel widths a lowering may be asked for (`LowerOptions::gemm_nr`).
pub const SUPPORTED_GEMM_NR: [usize; 2] = [8, 16];

/// Alignment of the weights blob and of every tensor in it, in bytes.
pub const WEIGHT_ALIGN: usize = 64;

/// The symbol of kernel `index`'s function in generated code,
/// `{prefix}_k{index}` (every backend, the linker's glue, the CUDA
/// launcher).
pub fn kernel_symbol(prefix: &str, index: usize) -> String {
    format!("{prefix}_k{index}")
}

/// The symbol of the weights blob in generated code, `{prefix}_weights`.
pub fn weights_symbol(prefix: &str) -> String {
    format!("{prefix}_weights")
}

/// A graph input or output: a dense f32 tensor in the arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoSlot {
    pub name: String,
    /// Shape of one image (the batch axis has size 1 here).
    pub dims: Vec<usize>,
    /// Offset in the arena, in f32 elements.
    pub offset: usize,
    /// The ONNX element type of the graph value. The arena always holds
    /// f32s; bools are `0.0`/`1.0` and integers their exact f32 values (up
    /// to 2^24 in magnitude), see the module docs.
    pub dtype: DType,
}

impl IoSlot {
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the program handles the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchPlan {
    /// The model's batch axis is symbolic: the kernels process one image and
    /// the runtime loops over the images of a call.
    pub dynamic: bool,
    /// Largest batch a call may pass (1 when not dynamic).
    pub max_batch: usize,
}

/// Memory figures of the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Arena size in bytes.
    pub arena_bytes: usize,
    /// What the activations would take without reuse, in bytes.
    pub activation_bytes: usize,
}

/// The lowered model.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub name: String,
    pub kernels: Vec<Kernel>,
    /// Arena size in f32 elements (per image when the batch is dynamic).
    pub arena_len: usize,
    /// The weights blob, little-endian; every tensor starts at a multiple of
    /// [`WEIGHT_ALIGN`] bytes. Offsets in kernels count 4-byte elements.
    pub weights: Vec<u8>,
    pub inputs: Vec<IoSlot>,
    pub outputs: Vec<IoSlot>,
    pub batch: BatchPlan,
    pub memory: MemoryStats,
}
