//! vitc's architecture frontend: vision-transformer classifiers defined in
//! Rust, built straight into the IR, with weights from a safetensors file
//! that uses the reference implementation's parameter names.
//!
//! ```no_run
//! let graph = vitc_arch::build("levit_128s", Some(std::path::Path::new("levit_128s.safetensors")))?;
//! assert_eq!(graph.outputs[0].0, "output");
//! # Ok::<(), vitc_arch::ArchError>(())
//! ```
//!
//! The graphs have the same form as what the ONNX frontend imports: one
//! input `input: f32[batch, 3, 224, 224]`, one output `output: f32[batch,
//! 1000]` (logits), Linear layers as `matmul` + `add`, BatchNorm and
//! LayerNorm as their IR ops, attention as `matmul` / `softmax` chains. Run
//! `vitc_driver::run_pipeline` on them like on any imported graph.
//!
//! Families ([`architectures`] lists every name):
//! - [`levit`]: LeViT 128S/128/192/256/384 (timm 1.0.31 names),
//! - [`deit`]: DeiT Ti/S/B and their distilled variants (timm names),
//! - [`cswin`]: CSWin T/S/B and the reduced `cswin_micro` (official names),
//! - [`lvt`]: LVT, the ImageNet model (official names).
//!
//! Without a checkpoint ([`WeightSource::Seeded`]) every tensor is a
//! deterministic, **untrained** stand-in ([`seeded`]), so any architecture
//! builds and runs as a demo.

pub mod builder;
pub mod cswin;
pub mod deit;
pub mod error;
pub mod json;
pub mod levit;
pub mod lvt;
pub mod registry;
pub mod safetensors;
pub mod seeded;
pub mod weights;

pub use error::ArchError;
pub use registry::{ArchInfo, Family};
pub use safetensors::SafeTensors;
pub use seeded::DEFAULT_SEED;
pub use weights::WeightSource;

use builder::Builder;
use std::collections::BTreeMap;
use std::path::Path;
use vitc_ir::{Dim, Graph, Tensor};
use weights::WeightStore;

/// Every built-in architecture, families in a fixed order.
pub fn architectures() -> Vec<ArchInfo> {
    registry::entries().into_iter().map(|(info, _)| info).collect()
}

/// How to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// The batch axis of the input: a size (default 1) or a symbol (`Dim::sym("batch")`).
    pub batch: Dim,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions { batch: Dim::Known(1) }
    }
}

/// A built model.
#[derive(Clone, Debug)]
pub struct Model {
    pub graph: Graph,
    pub info: ArchInfo,
    /// Learned parameters (f32 elements of weights, biases, norm scales,
    /// tokens and bias tables; BatchNorm running statistics excluded).
    pub parameters: u64,
}

/// Builds `name` with batch 1, from the safetensors file `weights` or, when
/// `None`, from seeded stand-in weights (untrained; for demos).
pub fn build(name: &str, weights: Option<&Path>) -> Result<Graph, ArchError> {
    let source = weights.map_or(WeightSource::Seeded(DEFAULT_SEED), WeightSource::File);
    Ok(build_with(name, source, &BuildOptions::default())?.graph)
}

/// Builds `name` from `source` with `options`.
pub fn build_with(name: &str, source: WeightSource<'_>, options: &BuildOptions) -> Result<Model, ArchError> {
    let (info, def) = registry::lookup(name)?;
    if options.batch == Dim::Known(0) {
        return Err(ArchError::InvalidOption("the batch size must be at least 1".into()));
    }
    let store = WeightStore::open(info.name, source)?;
    let mut b = Builder::new(info.name, store);
    let x = b.image_input(options.batch.clone(), 224);
    let y = registry::build_definition(&mut b, x, def)?;
    let (graph, parameters) = b.finish(y)?;
    Ok(Model { graph, info, parameters })
}

/// The seeded stand-in weights of `name` under their reference names (the
/// tensors a checkpoint must hold; optional index buffers and BatchNorm step
/// counters are not included). Write them with [`safetensors::serialize`] to
/// get a file [`build`] accepts. Not trained weights.
pub fn seeded_weights(name: &str, seed: u64) -> Result<BTreeMap<String, Tensor>, ArchError> {
    let (info, def) = registry::lookup(name)?;
    let store = WeightStore::open(info.name, WeightSource::Seeded(seed))?.record();
    let mut b = Builder::new(info.name, store);
    let x = b.image_input(Dim::Known(1), 224);
    registry::build_definition(&mut b, x, def)?;
    Ok(b.weights.take_recorded())
}
