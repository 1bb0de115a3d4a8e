//! The pass pipeline, in order. Each pass is followed by the verifier.

use anyhow::{Context, Result};
use std::path::Path;
use vitc_ir::Graph;

/// Where to stop the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// As imported, shape-inferred, verified.
    Imported,
    /// After canonicalisation (constant and shape folding, no-op removal).
    Canonical,
}

/// Runs the pipeline on an imported graph up to `stage`.
pub fn run_pipeline(graph: &mut Graph, stage: Stage) -> Result<()> {
    vitc_ir::verify::verify(graph).context("verifying the imported graph")?;
    if stage == Stage::Imported {
        return Ok(());
    }
    vitc_canon::canonicalize(graph).context("canonicalising")?;
    Ok(())
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
