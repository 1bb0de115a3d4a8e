//! vitc-preprocess: images to model input the way timm's evaluation
//! transform (`resolve_data_config` + `create_transform`) makes it, so a
//! compiled model sees the same numbers as in PyTorch:
//!
//! 1. decode (JPEG, PNG, WebP) and convert to 8-bit RGB;
//! 2. resize the shorter side to `floor(size / crop_pct)` with PIL's
//!    resampling, bit for bit ([`resample`]);
//! 3. crop the centre `size × size` (torchvision's rounding);
//! 4. scale to [0, 1], subtract `mean`, divide by `std`, channels first.
//!
//! [`imagenet_class_name`] names the 1000 ImageNet-1k classes (timm's
//! descriptions, index order).

mod classes;
pub mod resample;

pub use classes::{IMAGENET_CLASSES, imagenet_class_name};
pub use resample::Filter;

use std::path::Path;

/// ImageNet's per-channel mean, timm's `IMAGENET_DEFAULT_MEAN`.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel standard deviation, timm's `IMAGENET_DEFAULT_STD`.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];
/// The most pixels a resized image may have (a guard against a tiny `crop_pct`).
pub const MAX_RESIZED_PIXELS: usize = 1 << 28;
/// timm's `DEFAULT_CROP_PCT`.
pub const DEFAULT_CROP_PCT: f64 = 0.875;

/// Why an image could not be turned into model input.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    #[error("{path}: {detail}")]
    Image { path: String, detail: String },
    #[error("{0}")]
    Options(String),
}

/// How an image becomes model input.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    /// The side of the square crop (the model's input height and width).
    pub size: usize,
    /// The crop's share of the resized shorter side, in (0, 1].
    pub crop_pct: f64,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub filter: Filter,
}

impl Preprocess {
    /// timm's defaults for a model taking `size × size` images.
    pub fn imagenet(size: usize) -> Preprocess {
        Preprocess { size, crop_pct: DEFAULT_CROP_PCT, mean: IMAGENET_MEAN, std: IMAGENET_STD, filter: Filter::Bicubic }
    }

    /// Checks the options, naming the first that is out of range.
    pub fn validate(&self) -> Result<(), PreprocessError> {
        let bad = |m: String| Err(PreprocessError::Options(m));
        if self.size == 0 || self.size > 1 << 14 {
            return bad(format!("size must be between 1 and 16384, got {}", self.size));
        }
        if !(self.crop_pct > 0.0 && self.crop_pct <= 1.0) {
            return bad(format!("crop-pct must be in (0, 1], got {}", self.crop_pct));
        }
        if let Some(s) = self.std.iter().find(|s| !(s.is_finite() && **s != 0.0)) {
            return bad(format!("std must be finite and non-zero, got {s}"));
        }
        if let Some(m) = self.mean.iter().find(|m| !m.is_finite()) {
            return bad(format!("mean must be finite, got {m}"));
        }
        Ok(())
    }

    /// The side the shorter image side is resized to, `floor(size / crop_pct)`.
    pub fn resize_to(&self) -> usize {
        (self.size as f64 / self.crop_pct).floor() as usize
    }

    /// Decodes the image at `path` and makes one `3 × size × size` input, channels first.
    pub fn image_file(&self, path: &Path) -> Result<Vec<f32>, PreprocessError> {
        let err = |detail: String| PreprocessError::Image { path: path.display().to_string(), detail };
        let reader = image::ImageReader::open(path).map_err(|e| err(e.to_string()))?;
        let reader = reader.with_guessed_format().map_err(|e| err(e.to_string()))?;
        let decoded = reader.decode().map_err(|e| err(e.to_string()))?;
        let rgb = decoded.to_rgb8();
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        self.rgb(rgb.as_raw(), w, h).map_err(|e| err(e.to_string()))
    }

    /// Makes one input from 8-bit RGB pixels (`width × height × 3`, row by row).
    pub fn rgb(&self, pixels: &[u8], width: usize, height: usize) -> Result<Vec<f32>, PreprocessError> {
        self.validate()?;
        if width == 0 || height == 0 || pixels.len() != width * height * 3 {
            return Err(PreprocessError::Options(format!(
                "{} bytes are not a {width}×{height} RGB image",
                pixels.len()
            )));
        }
        // torchvision's Resize(int): the shorter side to `resize_to`, the
        // longer one scaled and truncated.
        let short_to = self.resize_to();
        let (short, long) = if width <= height { (width, height) } else { (height, width) };
        let long_to = (short_to as f64 * long as f64 / short as f64) as usize;
        let (new_w, new_h) = if width <= height { (short_to, long_to) } else { (long_to, short_to) };
        if new_w < self.size || new_h < self.size {
            return Err(PreprocessError::Options(format!(
                "the {width}×{height} image resizes to {new_w}×{new_h}, smaller than the {0}×{0} crop",
                self.size
            )));
        }
        if new_w.saturating_mul(new_h) > MAX_RESIZED_PIXELS {
            return Err(PreprocessError::Options(format!(
                "the {width}×{height} image would resize to {new_w}×{new_h}, more than {MAX_RESIZED_PIXELS} pixels"
            )));
        }
        let resized = resample::resize_rgb(pixels, width, height, new_w, new_h, self.filter);
        // torchvision's CenterCrop: Python's round(), which rounds halves to even.
        let top = ((new_h - self.size) as f64 / 2.0).round_ties_even() as usize;
        let left = ((new_w - self.size) as f64 / 2.0).round_ties_even() as usize;
        let plane = self.size * self.size;
        let mut out = vec![0f32; 3 * plane];
        for y in 0..self.size {
            for x in 0..self.size {
                let at = ((top + y) * new_w + left + x) * 3;
                for c in 0..3 {
                    // ToTensor divides by 255 in float32; Normalize subtracts and divides.
                    let v = resized[at + c] as f32 / 255.0;
                    out[c * plane + y * self.size + x] = (v - self.mean[c]) / self.std[c];
                }
            }
        }
        Ok(out)
    }
}
