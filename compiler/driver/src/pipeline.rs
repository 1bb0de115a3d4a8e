//! The pass pipeline, in order, in one place. The verifier runs after every
//! pass, so a pass that breaks the graph is caught where it ran.

use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};
use vitc_ir::Graph;

/// Where to stop the pipeline (each stage includes the ones before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// As imported, shape-inferred, verified.
    Imported,
    /// After canonicalisation (constant and shape folding, no-op removal).
    Canonical,
    /// After the egg mid-end (fusions, BatchNorm folding, layout clean-up).
    Rewritten,
}

/// Time spent per pass, in pipeline order.
pub type PassTimes = Vec<(&'static str, Duration)>;

/// Runs the pipeline on an imported graph up to `stage`.
pub fn run_pipeline(graph: &mut Graph, stage: Stage) -> Result<()> {
    run_pipeline_timed(graph, stage).map(|_| ())
}

/// [`run_pipeline`], returning the time each pass took (verification included).
pub fn run_pipeline_timed(graph: &mut Graph, stage: Stage) -> Result<PassTimes> {
    let mut times = PassTimes::new();
    let start = Instant::now();
    vitc_ir::verify::verify(graph).context("verifying the imported graph")?;
    times.push(("verify-import", start.elapsed()));
    if stage >= Stage::Canonical {
        let start = Instant::now();
        vitc_canon::canonicalize(graph).context("canonicalising")?;
        times.push(("canonicalize", start.elapsed()));
    }
    if stage >= Stage::Rewritten {
        let start = Instant::now();
        let (rewritten, _) = vitc_rewrite::rewrite(graph).context("rewriting")?;
        *graph = rewritten;
        vitc_canon::canonicalize(graph).context("canonicalising after rewriting")?;
        times.push(("rewrite", start.elapsed()));
    }
    Ok(times)
}

/// Imports an ONNX file and runs the pipeline up to `stage`.
pub fn load_onnx(path: &Path, stage: Stage) -> Result<Graph> {
    let mut graph = vitc_onnx::load_model(path)?;
    run_pipeline(&mut graph, stage)?;
    Ok(graph)
}

/// Imports ONNX bytes (no external data) and runs the pipeline up to `stage`.
pub fn load_onnx_bytes(bytes: &[u8], stage: Stage) -> Result<Graph> {
    let mut graph = vitc_onnx::load_model_bytes(bytes, None)?;
    run_pipeline(&mut graph, stage)?;
    Ok(graph)
}

/// Where a model comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// An ONNX file.
    Onnx(std::path::PathBuf),
    /// A built-in architecture definition, with a safetensors checkpoint or
    /// (without one) seeded, untrained demo weights.
    Arch { name: String, weights: Option<std::path::PathBuf> },
}

impl ModelSource {
    /// A short name for messages and default output names.
    pub fn stem(&self) -> String {
        match self {
            ModelSource::Onnx(path) => path.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
            ModelSource::Arch { name, .. } => name.clone(),
        }
    }
}

/// Builds the graph of `source` and runs the pipeline up to `stage`,
/// returning the time of every step (import included).
pub fn load_timed(source: &ModelSource, stage: Stage) -> Result<(Graph, PassTimes)> {
    let start = Instant::now();
    let mut graph = match source {
        ModelSource::Onnx(path) => vitc_onnx::load_model(path)?,
        ModelSource::Arch { name, weights } => vitc_arch::build(name, weights.as_deref())?,
    };
    let mut times = vec![("import", start.elapsed())];
    times.extend(run_pipeline_timed(&mut graph, stage)?);
    Ok((graph, times))
}

/// Builds the graph of `source` and runs the pipeline up to `stage`.
pub fn load(source: &ModelSource, stage: Stage) -> Result<Graph> {
    Ok(load_timed(source, stage)?.0)
}
