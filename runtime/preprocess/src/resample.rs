//! Resizing 8-bit RGB images exactly as Pillow does (`Image.resize`, which
//! torchvision's `Resize` calls on PIL images): separable convolution with
//! the filter stretched by the scale when shrinking, coefficients normalised
//! to sum 1 and then rounded to 22-bit fixed point, a horizontal pass over
//! the rows the vertical pass needs, then a vertical pass, each rounding and
//! clamping to 8 bits. Matching Pillow bit for bit is what lets vitc's
//! preprocessing equal timm's within float rounding.

/// The resampling filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Keys' cubic with a = -0.5 (PIL's `BICUBIC`, timm's default).
    Bicubic,
    /// The triangle filter (PIL's `BILINEAR`).
    Bilinear,
}

impl Filter {
    /// Parses `bicubic` or `bilinear`.
    pub fn parse(name: &str) -> Option<Filter> {
        match name {
            "bicubic" => Some(Filter::Bicubic),
            "bilinear" => Some(Filter::Bilinear),
            _ => None,
        }
    }

    /// The filter's half-width at scale 1.
    fn support(self) -> f64 {
        match self {
            Filter::Bicubic => 2.0,
            Filter::Bilinear => 1.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Bicubic => {
                const A: f64 = -0.5;
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
            Filter::Bilinear => (1.0 - x).max(0.0),
        }
    }
}

/// Fractional bits of the fixed-point coefficients (32 bits less 8 for the
/// pixel and 2 for the overshoot of negative lobes).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// For each output pixel along one axis: the first input pixel and the
/// fixed-point weights of the input pixels from there on.
struct Taps {
    first: Vec<usize>,
    weights: Vec<Vec<i32>>,
}

/// The taps resizing `in_size` pixels to `out_size`.
fn taps(in_size: usize, out_size: usize, filter: Filter) -> Taps {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = filter.support() * filter_scale;
    // Pillow multiplies by the reciprocal; dividing would round differently.
    let inverse_scale = 1.0 / filter_scale;
    let mut first = Vec::with_capacity(out_size);
    let mut weights = Vec::with_capacity(out_size);
    for i in 0..out_size {
        let center = (i as f64 + 0.5) * scale;
        // Truncation towards zero, as C's (int) cast; then clamped to the image.
        let lo = ((center - support + 0.5) as i64).max(0) as usize;
        let hi = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let raw: Vec<f64> = (lo..hi).map(|x| filter.weight((x as f64 - center + 0.5) * inverse_scale)).collect();
        let total: f64 = raw.iter().sum();
        let one = f64::from(1u32 << PRECISION_BITS);
        let fixed = raw
            .iter()
            .map(|&w| {
                let w = if total != 0.0 { w / total } else { w };
                // Round half away from zero, then truncate, as Pillow does.
                (if w < 0.0 { -0.5 + w * one } else { 0.5 + w * one }) as i32
            })
            .collect();
        first.push(lo);
        weights.push(fixed);
    }
    Taps { first, weights }
}

/// The weighted sum of fixed-point products, rounded and clamped to 8 bits.
fn clip8(sum: i64) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes RGB pixels (`w × h × 3`, rows in order) to `new_w × new_h`.
pub fn resize_rgb(pixels: &[u8], w: usize, h: usize, new_w: usize, new_h: usize, filter: Filter) -> Vec<u8> {
    let vertical = taps(h, new_h, filter);
    // The rows the vertical pass reads.
    let row_lo = vertical.first.first().copied().unwrap_or(0);
    let row_hi = vertical.first.iter().zip(&vertical.weights).map(|(f, k)| f + k.len()).max().unwrap_or(0);
    let half = 1i64 << (PRECISION_BITS - 1);

    // Horizontal pass over rows row_lo..row_hi (skipped when the width stays).
    let (rows, row_w) = if new_w != w {
        let horizontal = taps(w, new_w, filter);
        let mut rows = vec![0u8; (row_hi - row_lo) * new_w * 3];
        for (r, y) in (row_lo..row_hi).enumerate() {
            let src = &pixels[y * w * 3..(y + 1) * w * 3];
            for x in 0..new_w {
                let (lo, k) = (horizontal.first[x], &horizontal.weights[x]);
                for c in 0..3 {
                    let sum = k.iter().enumerate().map(|(t, &kt)| i64::from(src[(lo + t) * 3 + c]) * i64::from(kt));
                    rows[(r * new_w + x) * 3 + c] = clip8(half + sum.sum::<i64>());
                }
            }
        }
        (rows, new_w)
    } else {
        (pixels[row_lo * w * 3..row_hi * w * 3].to_vec(), w)
    };
    if new_h == h {
        return rows;
    }
    // Vertical pass, its row indices shifted to the rows kept above.
    let mut out = vec![0u8; new_h * row_w * 3];
    for y in 0..new_h {
        let (lo, k) = (vertical.first[y] - row_lo, &vertical.weights[y]);
        for x in 0..row_w * 3 {
            let sum = k.iter().enumerate().map(|(t, &kt)| i64::from(rows[(lo + t) * row_w * 3 + x]) * i64::from(kt));
            out[y * row_w * 3 + x] = clip8(half + sum.sum::<i64>());
        }
    }
    out
}
