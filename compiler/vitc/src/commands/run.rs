//! `vitc run [MODEL] [--input IN.npy] [--output OUT.npy]`: the reference
//! interpreter, with the top-5 classes of each logits output printed.

use crate::args::ImageArgs;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use vitc_driver::ModelSource;
use vitc_driver::Stage;
use vitc_ir::Tensor;

/// The embedded example model and its bundled input (see `examples/tiny_vit`).
const EXAMPLE_MODEL: &[u8] = include_bytes!("../../../../examples/tiny_vit/tiny_vit.onnx");
const EXAMPLE_INPUT: &[u8] = include_bytes!("../../../../examples/tiny_vit/input.npy");

pub fn run(
    model: Option<&ModelSource>,
    inputs: &[PathBuf],
    images: &ImageArgs,
    outputs: &[PathBuf],
    max_memory: u64,
) -> Result<()> {
    let (graph, tensors) = match model {
        Some(source) => {
            let graph = vitc_driver::load(source, Stage::Canonical)?;
            vitc_driver::check_interpreter_memory(&graph, max_memory)?;
            let tensors = if !images.image.is_empty() {
                let ty = &graph.node(*graph.inputs.first().context("the model has no input")?).outputs[0];
                let dims: Vec<i64> =
                    ty.shape.iter().map(|d| d.known().and_then(|d| i64::try_from(d).ok()).unwrap_or(-1)).collect();
                vec![super::image::image_batch(images, &dims)?]
            } else if inputs.is_empty() && graph.inputs.len() == 1 {
                notice!("vitc: no --input given; running one image of seeded standard-normal values");
                vec![generated_input(&graph)?]
            } else if inputs.len() != graph.inputs.len() {
                bail!("{} takes {} input(s), {} given with --input", source.stem(), graph.inputs.len(), inputs.len());
            } else {
                inputs
                    .iter()
                    .map(|p| vitc_ir::npy::read_npy(p).map_err(anyhow::Error::from))
                    .collect::<Result<Vec<_>>>()?
            };
            (graph, tensors)
        }
        None => {
            if !images.image.is_empty() {
                bail!("--image needs a model (an ONNX file, --arch or a compiled library)");
            }
            notice!("vitc: no model given; running the embedded example tiny_vit (random weights, not trained)");
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
        if images.image.is_empty() {
            print_top5(name, t);
        } else {
            super::image::print_image_top5(images, t);
        }
    }
    Ok(())
}

/// One image of seeded standard-normal values for the graph's only input
/// (a symbolic batch counts as 1).
fn generated_input(graph: &vitc_ir::Graph) -> Result<Tensor> {
    let ty = &graph.node(graph.inputs[0]).outputs[0];
    let dims: Vec<usize> = ty.shape.iter().map(|d| d.known().unwrap_or(1)).collect();
    let data = super::bench::standard_normal(dims.iter().product());
    Ok(Tensor::F32(vitc_ir::ndarray::ArrayD::from_shape_vec(vitc_ir::ndarray::IxDyn(&dims), data)?))
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
