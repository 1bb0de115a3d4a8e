//! `vitc run LIB.so`: a compiled model through its C API, loaded into this
//! process with `vitc-loader`; same inputs, outputs and top-5 listing as the
//! interpreter.

use crate::args::ImageArgs;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use vitc_ir::Tensor;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_link::ElfKind;
use vitc_loader::ModelLibrary;

/// Whether `path` is a shared library (by its ELF header); an error for other
/// ELF files and for a `.so` that is not one.
pub fn is_shared_library(path: &Path) -> Result<bool> {
    let named_so = path.extension().is_some_and(|e| e == "so");
    let mut head = Vec::with_capacity(20);
    match std::fs::File::open(path) {
        Ok(f) => {
            f.take(20).read_to_end(&mut head).with_context(|| format!("reading {}", path.display()))?;
        }
        Err(e) if named_so => bail!("{}: {e}", path.display()),
        // Not ours to report: the ONNX loader names the problem.
        Err(_) => return Ok(false),
    }
    match vitc_link::elf_kind(&head) {
        Some((ElfKind::Shared, machine)) => match vitc_link::Target::host() {
            Some(host) if host.elf_machine() != machine => {
                let built = vitc_link::Target::ALL.into_iter().find(|t| t.elf_machine() == machine);
                bail!(
                    "{} is built for {}; this machine is {host}, so it cannot be loaded here",
                    path.display(),
                    built.map_or_else(|| format!("ELF machine {machine}"), |t| t.to_string())
                )
            }
            _ => Ok(true),
        },
        Some((kind, _)) => bail!(
            "{} is an ELF file of kind {kind:?}, not a shared library; give an ONNX model or a library built with \
             `vitc compile MODEL -o X.so`",
            path.display()
        ),
        None if named_so => bail!("{} is not an ELF shared library", path.display()),
        None => Ok(false),
    }
}

/// The library's input shape as text, `batch` for a dynamic batch axis.
pub fn shape_text(dims: &[i64]) -> String {
    let dims: Vec<String> = dims.iter().map(|&d| if d < 0 { "batch".into() } else { d.to_string() }).collect();
    format!("[{}]", dims.join(", "))
}

/// The batch items (calls of the compiled shape) in an input of shape `dims`,
/// or an error naming both shapes.
pub fn input_items(lib: &ModelLibrary, dims: &[usize], what: &str) -> Result<usize> {
    let want = lib.input_dims();
    let fits =
        dims.len() == want.len()
            && dims.iter().zip(want).enumerate().all(|(axis, (&d, &w))| {
                if axis == 0 && w < 0 { d >= 1 } else { i64::try_from(d).is_ok_and(|d| d == w) }
            });
    if !fits {
        bail!("{what} has shape {dims:?}; {} takes {}", lib.path().display(), shape_text(want));
    }
    Ok(if lib.dynamic_batch() { dims[0] } else { 1 })
}

/// Reads a float32 `.npy`.
pub fn read_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    match vitc_ir::npy::read_npy(path)? {
        Tensor::F32(a) => Ok((a.shape().to_vec(), a.iter().copied().collect())),
        other => bail!("{}: the input must be float32, found {:?}", path.display(), other.dtype()),
    }
}

pub fn run(
    path: &Path,
    inputs: &[PathBuf],
    images: &ImageArgs,
    outputs: &[PathBuf],
    threads: usize,
    name: Option<&str>,
) -> Result<()> {
    let lib = ModelLibrary::open(path, name)?;
    if inputs.len() > 1 {
        bail!("{} takes one input, {} given with --input", path.display(), inputs.len());
    }
    if outputs.len() > 1 {
        bail!("{} has one output, {} given with --output", path.display(), outputs.len());
    }
    let (dims, data) = match inputs.first() {
        Some(input) => read_f32(input)?,
        None if !images.image.is_empty() => match super::image::image_batch(images, lib.input_dims())? {
            Tensor::F32(a) => (a.shape().to_vec(), a.iter().copied().collect()),
            _ => unreachable!("image_batch makes float32"),
        },
        None => {
            // A demo call: one image of seeded standard-normal values.
            let dims: Vec<usize> = lib.input_dims().iter().map(|&d| usize::try_from(d).unwrap_or(1)).collect();
            notice!("vitc: no --input given; running one image of seeded standard-normal values");
            let data = super::bench::standard_normal(dims.iter().product());
            (dims, data)
        }
    };
    let items = if images.image.is_empty() {
        input_items(&lib, &dims, &inputs.first().map_or("the generated input".into(), |p| p.display().to_string()))?
    } else {
        // Images run one call each on a static-batch library.
        images.image.len()
    };
    let mut result = vec![0.0f32; items * lib.output_len()];
    let mut ctx = lib.context(threads)?;
    let per_call = lib.max_batch().max(1);
    for (x, y) in data.chunks(per_call * lib.input_len()).zip(result.chunks_mut(per_call * lib.output_len())) {
        ctx.run(x, y, x.len() / lib.input_len())?;
    }
    let mut shape: Vec<usize> = lib.output_dims().iter().map(|&d| usize::try_from(d).unwrap_or(items)).collect();
    if let Some(batch) = shape.first_mut() {
        *batch = items;
    }
    let tensor = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&shape), result).context("output shape")?);
    if let Some(path) = outputs.first() {
        super::write_atomically(path, &vitc_ir::npy::encode_npy(&tensor))
            .with_context(|| format!("saving {}", path.display()))?;
    }
    if images.image.is_empty() {
        super::run::print_top5(lib.name(), &tensor);
    } else {
        super::image::print_image_top5(images, &tensor);
    }
    Ok(())
}
