//! ONNX Resize (opset 11–19): modes nearest (all `nearest_mode`s), linear and
//! cubic (with `exclude_outside`, `cubic_coeff_a`, `antialias`), every
//! `coordinate_transformation_mode`, `axes` and `keep_aspect_ratio_policy`.
//! Interpolation is separable, so it runs one axis at a time in f64, as the
//! ONNX reference implementation does.
//!
//! The attribute check ([`Options::check_transform`]), the output geometry
//! ([`geometry_from_scales`], [`geometry_from_sizes`], [`roi_per_axis`]) and
//! the per-axis filters ([`Options`], [`Taps`], [`axis_taps`]) are public:
//! the compiler's lowering (`compiler/lower/src/lower/resize.rs`) builds its
//! `Resample` kernels from exactly these.

use crate::args::{
    checked_numel, f32_input, from_vec, int_values, normalize_axes, numel, optional_nonempty, row_major,
};
use vitc_ir::{Attrs, Tensor};

/// Resize attributes that shape the per-axis filters.
pub struct Options<'a> {
    /// `mode`: `nearest`, `linear` or `cubic`.
    pub mode: &'a str,
    /// `coordinate_transformation_mode`.
    pub transform: &'a str,
    /// `nearest_mode` (only read when `mode` is `nearest`).
    pub nearest_mode: &'a str,
    /// `cubic_coeff_a`.
    pub cubic_a: f64,
    /// `exclude_outside`.
    pub exclude_outside: bool,
    /// `antialias`.
    pub antialias: bool,
}

impl Options<'_> {
    /// Fails unless `transform` is a supported `coordinate_transformation_mode`.
    pub fn check_transform(&self) -> Result<(), String> {
        if matches!(
            self.transform,
            "half_pixel"
                | "half_pixel_symmetric"
                | "pytorch_half_pixel"
                | "align_corners"
                | "asymmetric"
                | "tf_crop_and_resize"
        ) {
            Ok(())
        } else {
            Err(format!("coordinate_transformation_mode '{}' is not supported", self.transform))
        }
    }
}

/// The filter of one output position: `(input index, weight)` taps, or
/// `None` when tf_crop_and_resize puts it outside the input.
pub type Taps = Option<Vec<(usize, f64)>>;

/// The source coordinate of output index `x` on an axis.
fn source_coord(o: &Options<'_>, x: f64, scale: f64, in_len: usize, out_len: usize, roi: (f64, f64)) -> f64 {
    let in_w = in_len as f64;
    let out_w = scale * in_w;
    match o.transform {
        "align_corners" => {
            if out_w == 1.0 {
                0.0
            } else {
                x * (in_w - 1.0) / (out_w - 1.0)
            }
        }
        "asymmetric" => x / scale,
        "tf_crop_and_resize" => {
            let base = if out_w == 1.0 {
                (roi.1 - roi.0) * (in_w - 1.0) / 2.0
            } else {
                x * (roi.1 - roi.0) * (in_w - 1.0) / (out_w - 1.0)
            };
            base + roi.0 * (in_w - 1.0)
        }
        "pytorch_half_pixel" => {
            if out_w == 1.0 {
                -0.5
            } else {
                (x + 0.5) / scale - 0.5
            }
        }
        "half_pixel_symmetric" => {
            let adjustment = out_len as f64 / out_w;
            let offset = in_w / 2.0 * (1.0 - adjustment);
            offset + (x + 0.5) / scale - 0.5
        }
        _ => (x + 0.5) / scale - 0.5,
    }
}

/// The cubic convolution kernel with coefficient `a` at distance `x`.
fn cubic(a: f64, x: f64) -> f64 {
    let x = x.abs();
    if x <= 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    } else {
        0.0
    }
}

/// Interpolation weights for a source position `ratio` in `(0, 1]` past
/// tap 0 (tap `j` sits at `j + start`), and `start`.
fn coefficients(o: &Options<'_>, ratio: f64, scale: f64) -> (Vec<f64>, i64) {
    if o.mode == "linear" {
        if o.antialias {
            let s = scale.min(1.0);
            let start = (-1.0 / s).floor() as i64 + 1;
            let n = 2 - 2 * start;
            let c: Vec<f64> =
                (start..start + n).map(|i| (1.0 - ((i as f64 - ratio) * s).abs()).clamp(0.0, 1.0)).collect();
            let sum: f64 = c.iter().sum();
            (c.iter().map(|v| v / sum).collect(), start)
        } else {
            (vec![1.0 - ratio, ratio], 0)
        }
    } else if o.antialias {
        let s = scale.min(1.0);
        let start = (-2.0 / s).floor() as i64 + 1;
        let end = 2 - start;
        let c: Vec<f64> = (start..end).map(|i| cubic(o.cubic_a, s * (i as f64 - ratio))).collect();
        let sum: f64 = c.iter().sum();
        (c.iter().map(|v| v / sum).collect(), start)
    } else {
        let a = o.cubic_a;
        (vec![cubic(a, ratio + 1.0), cubic(a, ratio), cubic(a, 1.0 - ratio), cubic(a, 2.0 - ratio)], -1)
    }
}

/// The filters of every output position on one axis of length `in_len`
/// resized to `out_len` by `scale`, with `roi` the `(start, end)` crop used
/// by tf_crop_and_resize.
pub fn axis_taps(o: &Options<'_>, scale: f64, in_len: usize, out_len: usize, roi: (f64, f64)) -> Vec<Taps> {
    let last = in_len as i64 - 1;
    (0..out_len)
        .map(|x| {
            let src = source_coord(o, x as f64, scale, in_len, out_len, roi);
            if o.transform == "tf_crop_and_resize" && (src < 0.0 || src > last as f64) {
                return None;
            }
            let floor = src.floor();
            if o.mode == "nearest" {
                let idx = if src == floor {
                    floor as i64
                } else {
                    let ratio = src - floor;
                    let up = match o.nearest_mode {
                        "round_prefer_ceil" => ratio >= 0.5,
                        "floor" => false,
                        "ceil" => true,
                        _ => ratio > 0.5,
                    };
                    floor as i64 + i64::from(up)
                };
                return Some(vec![(idx.clamp(0, last) as usize, 1.0)]);
            }
            // Tap 0 is the last input index strictly left of src (ratio in (0, 1]).
            let base = src.ceil() as i64 - 1;
            let ratio = src - base as f64;
            let (mut coeffs, start) = coefficients(o, ratio, scale);
            let index = |j: usize| base + start + j as i64;
            if o.exclude_outside {
                for (j, c) in coeffs.iter_mut().enumerate() {
                    if !(0..=last).contains(&index(j)) {
                        *c = 0.0;
                    }
                }
                let sum: f64 = coeffs.iter().sum();
                let sum = if sum == 0.0 { 1.0 } else { sum };
                coeffs.iter_mut().for_each(|c| *c /= sum);
            }
            Some(coeffs.iter().enumerate().map(|(j, &c)| (index(j).clamp(0, last) as usize, c)).collect())
        })
        .collect()
}

/// The per-axis `(scales, sizes)` of a Resize of `dims` by positive
/// `scales` for `axes` (checked by the caller): each resized size is
/// `floor(scale · dim)`; other axes keep scale 1 and their size.
pub fn geometry_from_scales(dims: &[usize], axes: &[usize], s: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut scales = vec![1.0f64; dims.len()];
    let mut sizes = dims.to_vec();
    for (&a, &v) in axes.iter().zip(s) {
        scales[a] = v;
        sizes[a] = (v * dims[a] as f64).floor() as usize;
    }
    (scales, sizes)
}

/// The per-axis `(scales, sizes)` of a Resize of `dims` to non-negative
/// `sizes` for `axes` (checked by the caller), under
/// `keep_aspect_ratio_policy` `policy` (`stretch`, `not_larger` or
/// `not_smaller`, which use one scale on every resized axis).
pub fn geometry_from_sizes(
    dims: &[usize],
    axes: &[usize],
    z: &[i64],
    policy: &str,
) -> Result<(Vec<f64>, Vec<usize>), String> {
    let mut scales = vec![1.0f64; dims.len()];
    let mut sizes = dims.to_vec();
    for (&a, &v) in axes.iter().zip(z) {
        sizes[a] = v as usize;
        scales[a] = v as f64 / dims[a] as f64;
    }
    if policy != "stretch" {
        let it = axes.iter().map(|&a| scales[a]);
        let s = match policy {
            "not_larger" => it.fold(f64::INFINITY, f64::min),
            "not_smaller" => it.fold(f64::NEG_INFINITY, f64::max),
            other => return Err(format!("keep_aspect_ratio_policy '{other}' is not supported")),
        };
        for &a in axes {
            scales[a] = s;
            sizes[a] = (s * dims[a] as f64 + 0.5) as usize;
        }
    }
    Ok((scales, sizes))
}

/// The per-axis `(start, end)` crop of tf_crop_and_resize from the `roi`
/// input `r` (the starts for `axes`, then their ends); `(0, 1)` on the
/// other axes of a rank-`rank` input.
pub fn roi_per_axis(r: &[f64], axes: &[usize], rank: usize) -> Result<Vec<(f64, f64)>, String> {
    if r.len() != 2 * axes.len() {
        return Err(format!("roi {r:?} must hold 2 values per resized axis"));
    }
    let mut roi = vec![(0.0f64, 1.0f64); rank];
    for (i, &a) in axes.iter().enumerate() {
        roi[a] = (r[i], r[axes.len() + i]);
    }
    Ok(roi)
}

/// Resamples axis `axis` of `data` (shape `dims`) through `taps`.
fn resample(data: &[f64], dims: &[usize], axis: usize, taps: &[Taps], fill: f64) -> Vec<f64> {
    let outer = numel(&dims[..axis]);
    let len = dims[axis];
    let inner = numel(&dims[axis + 1..]);
    let mut out = vec![0.0f64; outer * taps.len() * inner];
    if inner == 0 {
        return out;
    }
    let mut rows = out.chunks_mut(inner);
    for o in 0..outer {
        for t in taps {
            let Some(dst) = rows.next() else { return out };
            match t {
                None => dst.fill(fill),
                Some(t) => {
                    for &(i, w) in t {
                        let src = &data[(o * len + i) * inner..(o * len + i + 1) * inner];
                        dst.iter_mut().zip(src).for_each(|(d, &s)| *d += w * s);
                    }
                }
            }
        }
    }
    out
}

pub(crate) fn resize(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let x = f32_input(inputs, 0, "X")?;
    let opts = Options {
        mode: attrs.str_or("mode", "nearest")?,
        transform: attrs.str_or("coordinate_transformation_mode", "half_pixel")?,
        nearest_mode: attrs.str_or("nearest_mode", "round_prefer_floor")?,
        cubic_a: f64::from(attrs.float_or("cubic_coeff_a", -0.75)?),
        exclude_outside: attrs.int_or("exclude_outside", 0)? != 0,
        antialias: attrs.int_or("antialias", 0)? != 0,
    };
    if !matches!(opts.mode, "nearest" | "linear" | "cubic") {
        return Err(format!("resize mode '{}' is not one of nearest, linear, cubic", opts.mode));
    }
    opts.check_transform()?;
    if !matches!(opts.nearest_mode, "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil") {
        return Err(format!("nearest_mode '{}' is not supported", opts.nearest_mode));
    }
    let extrapolation = f64::from(attrs.float_or("extrapolation_value", 0.0)?);
    let policy = attrs.str_or("keep_aspect_ratio_policy", "stretch")?;
    let dims = x.shape().to_vec();
    let rank = dims.len();
    let axes = match attrs.ints("axes")? {
        Some(a) => normalize_axes(a, rank)?,
        None => (0..rank).collect(),
    };
    let (scales, sizes) = match (optional_nonempty(inputs, 2), optional_nonempty(inputs, 3)) {
        (Some(s), None) => {
            let s = s.to_f64_vec();
            if s.len() != axes.len() {
                return Err(format!("scales {s:?} must hold one value per resized axis ({})", axes.len()));
            }
            if s.iter().any(|&v| v <= 0.0) {
                return Err(format!("scales {s:?} must be positive"));
            }
            geometry_from_scales(&dims, &axes, &s)
        }
        (None, Some(z)) => {
            let z = int_values(z, "sizes")?;
            if z.len() != axes.len() || z.iter().any(|&v| v < 0) {
                return Err(format!("sizes {z:?} must hold one non-negative value per resized axis ({})", axes.len()));
            }
            geometry_from_sizes(&dims, &axes, &z, policy)?
        }
        (Some(_), Some(_)) => return Err("only one of scales and sizes may be given".into()),
        (None, None) => return Err("one of scales and sizes is required".into()),
    };
    let roi = match optional_nonempty(inputs, 1) {
        Some(r) if opts.transform == "tf_crop_and_resize" => roi_per_axis(&r.to_f64_vec(), &axes, rank)?,
        _ => vec![(0.0f64, 1.0f64); rank],
    };
    let mut data: Vec<f64> = row_major(x).iter().map(|&v| f64::from(v)).collect();
    let mut cur = dims.clone();
    for &a in &axes {
        let unchanged = (scales[a] - 1.0).abs() <= 1e-9 && sizes[a] == cur[a] && roi[a] == (0.0, 1.0);
        if unchanged {
            continue;
        }
        if cur[a] == 0 && sizes[a] > 0 {
            return Err(format!("cannot resize an empty axis {a} to {}", sizes[a]));
        }
        let mut next = cur.clone();
        next[a] = sizes[a];
        checked_numel(&next)?;
        let taps = axis_taps(&opts, scales[a], cur[a], sizes[a], roi[a]);
        data = resample(&data, &cur, a, &taps, extrapolation);
        cur[a] = sizes[a];
    }
    Ok(Tensor::F32(from_vec(&cur, data.into_iter().map(|v| v as f32).collect())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::Attr;

    fn x2x2() -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[1, 1, 2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap())
    }

    fn scales(v: &[f32]) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
    }

    #[test]
    fn nearest_upsample_example() {
        // ONNX resize_upsample_scales_nearest: 2x2 by [1,1,2,3] -> each pixel repeated 2x3.
        let s = scales(&[1.0, 1.0, 2.0, 3.0]);
        let y = resize(&Attrs::new(), &[Some(&x2x2()), None, Some(&s)]).unwrap();
        assert_eq!(y.dims(), &[1, 1, 4, 6]);
        let row1 = [1., 1., 1., 2., 2., 2.];
        let row2 = [3., 3., 3., 4., 4., 4.];
        let want: Vec<f64> = [row1, row1, row2, row2].concat();
        assert_eq!(y.to_f64_vec(), want);
    }

    #[test]
    fn linear_upsample_half_pixel_and_align_corners() {
        // ONNX resize_upsample_scales_linear: 2x2 by 2 (half_pixel) -> first row [1, 1.25, 1.75, 2]
        let s = scales(&[1.0, 1.0, 2.0, 2.0]);
        let linear = Attrs::new().with("mode", Attr::Str("linear".into()));
        let y = resize(&linear, &[Some(&x2x2()), None, Some(&s)]).unwrap().to_f64_vec();
        assert_eq!(y[..4], [1.0, 1.25, 1.75, 2.0]);
        assert_eq!(y[4..8], [1.5, 1.75, 2.25, 2.5]);
        // align_corners: first row [1, 1.333, 1.667, 2]
        let ac = linear.with("coordinate_transformation_mode", Attr::Str("align_corners".into()));
        let y = resize(&ac, &[Some(&x2x2()), None, Some(&s)]).unwrap().to_f64_vec();
        for (g, w) in y[..4].iter().zip([1.0, 4.0 / 3.0, 5.0 / 3.0, 2.0]) {
            assert!((g - w).abs() < 1e-6);
        }
    }

    #[test]
    fn nearest_modes_and_sizes() {
        // 1-D [0, 1, 2, 3] to 3 elements, asymmetric: x_ori = x * 4/3 = 0, 1.33, 2.67
        let x = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 1.0, 2.0, 3.0]).unwrap());
        let sizes = Tensor::i64_vec(&[3]);
        let asym = Attrs::new().with("coordinate_transformation_mode", Attr::Str("asymmetric".into()));
        let run = |mode: &str| {
            let attrs = asym.clone().with("nearest_mode", Attr::Str(mode.into()));
            resize(&attrs, &[Some(&x), None, None, Some(&sizes)]).unwrap().to_f64_vec()
        };
        assert_eq!(run("round_prefer_floor"), vec![0.0, 1.0, 3.0]);
        assert_eq!(run("floor"), vec![0.0, 1.0, 2.0]);
        assert_eq!(run("ceil"), vec![0.0, 2.0, 3.0]);
    }

    #[test]
    fn cubic_weights_sum_to_one() {
        let o = Options {
            mode: "cubic",
            transform: "half_pixel",
            nearest_mode: "round_prefer_floor",
            cubic_a: -0.75,
            exclude_outside: false,
            antialias: false,
        };
        for ratio in [0.1, 0.5, 0.9, 1.0] {
            let (c, start) = coefficients(&o, ratio, 2.0);
            assert_eq!(start, -1);
            assert!((c.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // at ratio 1 the source sits on tap 1: weights [0, 0, 1, 0]
        assert_eq!(coefficients(&o, 1.0, 2.0).0, vec![0.0, 0.0, 1.0, 0.0]);
    }

    fn interp_opts(mode: &'static str, transform: &'static str) -> Options<'static> {
        Options {
            mode,
            transform,
            nearest_mode: "round_prefer_floor",
            cubic_a: -0.75,
            exclude_outside: false,
            antialias: false,
        }
    }

    #[test]
    fn linear_half_pixel_upsample_by_two() {
        // 2 → 4: sources -0.25, 0.25, 0.75, 1.25 (clamped at the ends).
        let taps = axis_taps(&interp_opts("linear", "half_pixel"), 2.0, 2, 4, (0.0, 1.0));
        let want = [[(0, 0.25), (0, 0.75)], [(0, 0.75), (1, 0.25)], [(0, 0.25), (1, 0.75)], [(1, 0.75), (1, 0.25)]];
        for (t, w) in taps.iter().zip(want) {
            let t = t.as_ref().unwrap();
            for (&(i, c), (wi, wc)) in t.iter().zip(w) {
                assert_eq!(i, wi);
                assert!((c - wc).abs() < 1e-12, "{t:?} vs {w:?}");
            }
        }
    }

    #[test]
    fn cubic_taps_sum_to_one_and_crop_extrapolates() {
        for t in axis_taps(&interp_opts("cubic", "align_corners"), 1.7, 5, 8, (0.0, 1.0)) {
            let sum: f64 = t.unwrap().iter().map(|p| p.1).sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
        let crop = axis_taps(&interp_opts("linear", "tf_crop_and_resize"), 2.0, 4, 8, (0.4, 1.2));
        assert!(crop.last().unwrap().is_none(), "positions past the input extrapolate");
        assert!(crop[0].is_some());
    }
}
