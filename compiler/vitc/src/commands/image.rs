//! `vitc run --image A.jpg B.png …`: images to one input batch (timm's
//! evaluation transform, `vitc_preprocess`), and the top-5 classes of each
//! image printed with their ImageNet names.

use crate::args::{ImageArgs, Interpolation};
use anyhow::{Result, bail};
use vitc_ir::Tensor;
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_preprocess::{Filter, IMAGENET_MEAN, IMAGENET_STD, Preprocess};

/// The `N × 3 × size × size` batch of `args.image` for a model whose input
/// is `input_dims` (its batch axis may be dynamic, `-1`).
pub fn image_batch(args: &ImageArgs, input_dims: &[i64]) -> Result<Tensor> {
    let [_, channels, height, width] = input_dims else {
        bail!("--image needs a model with one [batch, 3, height, width] input; this one takes {input_dims:?}");
    };
    if *channels != 3 {
        bail!("--image makes RGB input with 3 channels; the model's input has {channels}");
    }
    if height != width {
        bail!("--image makes square crops; the model's input is {height}×{width}");
    }
    let size = usize::try_from(*height).unwrap_or(0);
    if let Some(asked) = args.size
        && asked != size
    {
        bail!("--size {asked} does not fit the model, whose input is {size}×{size}");
    }
    let three = |values: &Option<Vec<f32>>, default: [f32; 3]| match values.as_deref() {
        Some([r, g, b]) => [*r, *g, *b],
        _ => default,
    };
    let options = Preprocess {
        size,
        crop_pct: args.crop_pct,
        mean: three(&args.mean, IMAGENET_MEAN),
        std: three(&args.std, IMAGENET_STD),
        filter: match args.interpolation {
            Interpolation::Bicubic => Filter::Bicubic,
            Interpolation::Bilinear => Filter::Bilinear,
        },
    };
    options.validate()?;
    let mut data = Vec::with_capacity(args.image.len() * 3 * size * size);
    for path in &args.image {
        data.extend(options.image_file(path)?);
    }
    Ok(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[args.image.len(), 3, size, size]), data)?))
}

/// Prints the five largest logits of each image's row with the ImageNet
/// class names (when the model has 1000 classes).
pub fn print_image_top5(args: &ImageArgs, logits: &Tensor) {
    let Tensor::F32(a) = logits else { return };
    if a.ndim() != 2 {
        return;
    }
    for (path, row) in args.image.iter().zip(a.outer_iter()) {
        let mut ranked: Vec<(usize, f32)> = row.iter().copied().enumerate().collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
        println!("{}: top-5", path.display());
        for (class, logit) in ranked.iter().take(5) {
            let name = if row.len() == 1000 { vitc_preprocess::imagenet_class_name(*class).unwrap_or("") } else { "" };
            println!("  {class:>4}  {logit:>9.4}  {name}");
        }
    }
}
