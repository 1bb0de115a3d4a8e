//! `vitc run MODEL --input IN.npy --output OUT.npy`: the reference interpreter.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use vitc_driver::Stage;

pub fn run(model: &std::path::Path, inputs: &[PathBuf], outputs: &[PathBuf]) -> Result<()> {
    let graph = vitc_driver::load_onnx(model, Stage::Canonical)?;
    if inputs.len() != graph.inputs.len() {
        bail!("{} takes {} input(s), {} given with --input", model.display(), graph.inputs.len(), inputs.len());
    }
    if outputs.len() != graph.outputs.len() {
        bail!("{} has {} output(s), {} given with --output", model.display(), graph.outputs.len(), outputs.len());
    }
    let tensors = inputs.iter().map(|p| vitc_ir::npy::read_npy(p).map_err(anyhow::Error::from)).collect::<Result<Vec<_>>>()?;
    let results = vitc_interp::run(&graph, &tensors)?;
    for (path, t) in outputs.iter().zip(&results) {
        super::write_atomically(path, &vitc_ir::npy::encode_npy(t)).with_context(|| format!("saving {}", path.display()))?;
    }
    Ok(())
}
