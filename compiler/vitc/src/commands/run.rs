//! `vitc run [MODEL] [--input IN.npy] [--output OUT.npy]`: the reference
//! interpreter, with the top-5 classes of each logits output printed.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use vitc_driver::Stage;
use vitc_ir::Tensor;

/// The embedded example model and its bundled input (see `examples/tiny_vit`).
const EXAMPLE_MODEL: &[u8] = include_bytes!("../../../../examples/tiny_vit/tiny_vit.onnx");
const EXAMPLE_INPUT: &[u8] = include_bytes!("../../../../examples/tiny_vit/input.npy");

pub fn run(model: Option<&Path>, inputs: &[PathBuf], outputs: &[PathBuf]) -> Result<()> {
    let (graph, tensors) = match model {
        Some(path) => {
            let graph = vitc_driver::load_onnx(path, Stage::Canonical)?;
            if inputs.len() != graph.inputs.len() {
                bail!("{} takes {} input(s), {} given with --input", path.display(), graph.inputs.len(), inputs.len());
            }
            let tensors = inputs
                .iter()
                .map(|p| vitc_ir::npy::read_npy(p).map_err(anyhow::Error::from))
                .collect::<Result<Vec<_>>>()?;
            (graph, tensors)
        }
        None => {
            eprintln!("vitc: no model given; running the embedded example tiny_vit (random weights, not trained)");
            let graph =
                vitc_driver::load_onnx_bytes(EXAMPLE_MODEL, Stage::Canonical).context("embedded example model")?;
            let tensors = if inputs.is_empty() {
                vec![vitc_ir::npy::decode_npy(EXAMPLE_INPUT).map_err(anyhow::Error::msg)?]
            } else {
                inputs
                    .iter()
                    .map(|p| vitc_ir::npy::read_npy(p).map_err(anyhow::Error::from))
                    .collect::<Result<Vec<_>>>()?
            };
            (graph, tensors)
        }
    };
    if !outputs.is_empty() && outputs.len() != graph.outputs.len() {
        bail!("the model has {} output(s), {} given with --output", graph.outputs.len(), outputs.len());
    }
    let results = vitc_interp::run(&graph, &tensors)?;
    for (path, t) in outputs.iter().zip(&results) {
        super::write_atomically(path, &vitc_ir::npy::encode_npy(t))
            .with_context(|| format!("saving {}", path.display()))?;
    }
    for ((name, _), t) in graph.outputs.iter().zip(&results) {
        print_top5(name, t);
    }
    Ok(())
}

/// Prints the five largest logits of each row of a rank-2 f32 output.
pub(super) fn print_top5(name: &str, t: &Tensor) {
    let Tensor::F32(a) = t else { return };
    if a.ndim() != 2 {
        return;
    }
    for (row, logits) in a.outer_iter().enumerate() {
        let mut ranked: Vec<(usize, f32)> = logits.iter().copied().enumerate().collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
        let top: Vec<String> = ranked.iter().take(5).map(|(c, v)| format!("{c} ({v:.4})")).collect();
        println!("{name}[{row}] top-5: {}", top.join(", "));
    }
}
