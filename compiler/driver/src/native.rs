//! A model to a linked native output (`.so`, `.o` or `.a` plus its C header)
//! in one call: the path `vitc compile -o X.so` and the Python package's
//! `vitc.compile` share.

use crate::backend::Backend;
use crate::pipeline::{ModelSource, PassTimes, Stage, load_timed};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};
use vitc_link::{LinkOptions, Linked, OutputKind};

/// What a native compile is asked for, beside the model and the backend.
#[derive(Clone, Debug)]
pub struct NativeOptions {
    /// The C API prefix (`PREFIX_create`, …); checked by the linker.
    pub prefix: String,
    /// The pipeline stage the graph is lowered from (normally [`Stage::Rewritten`]).
    pub stage: Stage,
    /// The largest batch a context accepts.
    pub max_batch: usize,
    /// The limit on the arena plus weights, in bytes.
    pub max_memory: u64,
}

/// What a native compile produced.
#[derive(Debug)]
pub struct NativeBuild {
    pub linked: Linked,
    /// The model's name as the library reports it.
    pub name: String,
    pub kernels: usize,
    pub weight_bytes: u64,
    pub arena_bytes: u64,
    /// Whether the batch axis is dynamic (else the shape is static).
    pub dynamic_batch: bool,
    pub max_batch: usize,
    /// Every step's time: the passes, `lower`, `codegen`, `link`.
    pub times: PassTimes,
    /// Time to the lowered program, to the object code, and in all.
    pub lowered: Duration,
    pub generated: Duration,
    pub total: Duration,
}

/// Compiles `source` with `backend` and links it to `output` (its kind from
/// the extension). The output and its header appear together or not at all.
pub fn compile_native(
    source: &ModelSource,
    backend: &dyn Backend,
    options: &NativeOptions,
    output: &Path,
) -> Result<NativeBuild> {
    // Everything that can be checked cheaply comes before the compilation.
    OutputKind::from_path(output)?;
    vitc_link::validate_prefix(&options.prefix)?;
    let link_target = backend.link_target();
    link_target.toolchain()?;

    let start = Instant::now();
    let (graph, mut times) = load_timed(source, options.stage)?;
    let t = Instant::now();
    let mut program = backend.lower(&graph, options.max_batch, options.max_memory)?;
    times.push(("lower", t.elapsed()));
    // Exported graphs are mostly called "main_graph" or "torch_jit": the file names the model.
    program.name = source.stem();
    let lowered = start.elapsed();
    let t = Instant::now();
    let objects = backend.objects(&program, &options.prefix)?;
    times.push(("codegen", t.elapsed()));
    let generated = start.elapsed();
    let t = Instant::now();
    let link_options = LinkOptions { prefix: options.prefix.clone(), target: link_target };
    let linked = vitc_link::link(&program, &objects, &link_options, output).context("linking")?;
    times.push(("link", t.elapsed()));
    Ok(NativeBuild {
        linked,
        name: program.name.clone(),
        kernels: program.kernels.len(),
        weight_bytes: program.weights.len() as u64,
        arena_bytes: program.arena_len as u64 * 4,
        dynamic_batch: program.batch.dynamic,
        max_batch: program.batch.max_batch,
        times,
        lowered,
        generated,
        total: start.elapsed(),
    })
}
