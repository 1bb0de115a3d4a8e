//! Linear and cubic Resize as one `Resample` kernel per resized axis
//! (interpolation is separable). The per-axis filters (a source index and
//! a weight per tap and output position) are computed here at compile time
//! exactly as the reference interpreter computes them
//! (`runtime/interp/src/resize.rs`, itself following the ONNX reference):
//! every `coordinate_transformation_mode`, `cubic_coeff_a`,
//! `exclude_outside`, `antialias`, `axes`, `keep_aspect_ratio_policy` and
//! `tf_crop_and_resize` with its `extrapolation_value` (an output position
//! outside the input gets zero weights, and a broadcast `Map` adds the
//! value there). Nearest Resize is a `Gather` ([`super::layout`]).

use super::{Lowerer, OpResult};
use crate::kernel::{BinaryOp, Kernel, MapOp};
use crate::view::View;
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{NodeId, Tensor};

/// Resize attributes that shape the per-axis filters.
struct Options {
    cubic: bool,
    transform: String,
    cubic_a: f64,
    exclude_outside: bool,
    antialias: bool,
}

/// The filter of one output position: `(input index, weight)` taps, or
/// `None` when tf_crop_and_resize puts it outside the input.
type Taps = Option<Vec<(usize, f64)>>;

/// The source coordinate of output index `x` on an axis.
fn source_coord(o: &Options, x: f64, scale: f64, in_len: usize, out_len: usize, roi: (f64, f64)) -> f64 {
    let in_w = in_len as f64;
    let out_w = scale * in_w;
    match o.transform.as_str() {
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
fn coefficients(o: &Options, ratio: f64, scale: f64) -> (Vec<f64>, i64) {
    let normalised = |c: Vec<f64>| {
        let sum: f64 = c.iter().sum();
        c.iter().map(|v| v / sum).collect::<Vec<f64>>()
    };
    match (o.cubic, o.antialias) {
        (false, true) => {
            let s = scale.min(1.0);
            let start = (-1.0 / s).floor() as i64 + 1;
            let n = 2 - 2 * start;
            let c = (start..start + n).map(|i| (1.0 - ((i as f64 - ratio) * s).abs()).clamp(0.0, 1.0)).collect();
            (normalised(c), start)
        }
        (false, false) => (vec![1.0 - ratio, ratio], 0),
        (true, true) => {
            let s = scale.min(1.0);
            let start = (-2.0 / s).floor() as i64 + 1;
            let c = (start..2 - start).map(|i| cubic(o.cubic_a, s * (i as f64 - ratio))).collect();
            (normalised(c), start)
        }
        (true, false) => {
            let a = o.cubic_a;
            (vec![cubic(a, ratio + 1.0), cubic(a, ratio), cubic(a, 1.0 - ratio), cubic(a, 2.0 - ratio)], -1)
        }
    }
}

/// The filters of every output position on one axis.
fn axis_taps(o: &Options, scale: f64, in_len: usize, out_len: usize, roi: (f64, f64)) -> Vec<Taps> {
    let last = in_len as i64 - 1;
    (0..out_len)
        .map(|x| {
            let src = source_coord(o, x as f64, scale, in_len, out_len, roi);
            if o.transform == "tf_crop_and_resize" && (src < 0.0 || src > last as f64) {
                return None;
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

/// A constant operand when present and not empty.
fn nonempty(t: Option<&Tensor>) -> Option<&Tensor> {
    t.filter(|t| !t.is_empty())
}

impl Lowerer<'_> {
    /// Linear or cubic Resize (see the module docs).
    pub(crate) fn resize_interpolated(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        let mode = attrs.str_or("mode", "nearest")?;
        let opts = Options {
            cubic: mode == "cubic",
            transform: attrs.str_or("coordinate_transformation_mode", "half_pixel")?.to_string(),
            cubic_a: f64::from(attrs.float_or("cubic_coeff_a", -0.75)?),
            exclude_outside: attrs.int_or("exclude_outside", 0)? != 0,
            antialias: attrs.int_or("antialias", 0)? != 0,
        };
        if !matches!(mode, "linear" | "cubic") {
            return Err(format!("internal: mode '{mode}' is not interpolated"));
        }
        if !matches!(
            opts.transform.as_str(),
            "half_pixel"
                | "half_pixel_symmetric"
                | "pytorch_half_pixel"
                | "align_corners"
                | "asymmetric"
                | "tf_crop_and_resize"
        ) {
            return Err(format!("coordinate_transformation_mode '{}' is not supported", opts.transform));
        }
        let extrapolation = attrs.float_or("extrapolation_value", 0.0)?;
        let policy = attrs.str_or("keep_aspect_ratio_policy", "stretch")?;
        for slot in 1..4 {
            if self.graph().operand(id, slot).is_some() && self.const_operand(id, slot).is_none() {
                return Err("resize roi, scales and sizes must be constants".into());
            }
        }
        let x = self.input(id, 0)?;
        let dims = x.dims.clone();
        let rank = dims.len();
        let axes: Vec<usize> = match attrs.ints("axes")? {
            Some(a) => a.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_, _>>()?,
            None => (0..rank).collect(),
        };
        let mut scales = vec![1.0f64; rank];
        let mut sizes = dims.clone();
        match (nonempty(self.const_operand(id, 2)), nonempty(self.const_operand(id, 3))) {
            (Some(s), None) => {
                let s = s.to_f64_vec();
                if s.len() != axes.len() || s.iter().any(|&v| v <= 0.0) {
                    return Err(format!("scales {s:?} must hold one positive value per resized axis"));
                }
                for (&a, &v) in axes.iter().zip(&s) {
                    scales[a] = v;
                    sizes[a] = (v * dims[a] as f64).floor() as usize;
                }
            }
            (None, Some(z)) => {
                let z = z.to_i64_vec();
                if z.len() != axes.len() || z.iter().any(|&v| v < 0) {
                    return Err(format!("sizes {z:?} must hold one non-negative value per resized axis"));
                }
                for (&a, &v) in axes.iter().zip(&z) {
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
                    for &a in &axes {
                        scales[a] = s;
                        sizes[a] = (s * dims[a] as f64 + 0.5) as usize;
                    }
                }
            }
            (Some(_), Some(_)) => return Err("only one of scales and sizes may be given".into()),
            (None, None) => return Err("one of scales and sizes is required".into()),
        }
        let mut roi = vec![(0.0f64, 1.0f64); rank];
        if let Some(r) = nonempty(self.const_operand(id, 1))
            && opts.transform == "tf_crop_and_resize"
        {
            let r = r.to_f64_vec();
            if r.len() != 2 * axes.len() {
                return Err(format!("roi {r:?} must hold 2 values per resized axis"));
            }
            for (i, &a) in axes.iter().enumerate() {
                roi[a] = (r[i], r[axes.len() + i]);
            }
        }
        let mut v = x;
        for &a in &axes {
            let unchanged = (scales[a] - 1.0).abs() <= 1e-9 && sizes[a] == v.dims[a] && roi[a] == (0.0, 1.0);
            if unchanged {
                continue;
            }
            if v.dims[a] == 0 && sizes[a] > 0 {
                return Err(format!("cannot resize an empty axis {a} to {}", sizes[a]));
            }
            let taps = axis_taps(&opts, scales[a], v.dims[a], sizes[a], roi[a]);
            v = self.resample_axis(&v, a, &taps, extrapolation)?;
        }
        if v.dims != self.out_dims(id, 0)? {
            return Err(format!("internal: resize gives {:?}, inference {:?}", v.dims, self.out_dims(id, 0)?));
        }
        self.set(id, 0, v);
        Ok(())
    }

    /// One `Resample` of `axis` through `taps` (plus the extrapolation value
    /// where a position has none).
    fn resample_axis(&mut self, x: &View, axis: usize, taps: &[Taps], fill: f32) -> OpResult<View> {
        let src = self.dense(x);
        let outer: usize = src.dims[..axis].iter().product();
        let inner: usize = src.dims[axis + 1..].iter().product();
        let (src_axis, dst_axis) = (src.dims[axis], taps.len());
        let width = taps.iter().flatten().map(Vec::len).max().unwrap_or(1).max(1);
        let mut index = vec![0u32; dst_axis * width];
        let mut coeff = vec![0.0f32; dst_axis * width];
        for (i, t) in taps.iter().enumerate() {
            for (j, &(at, w)) in t.iter().flatten().enumerate() {
                index[i * width + j] = u32::try_from(at).map_err(|_| "resize index exceeds u32")?;
                coeff[i * width + j] = w as f32;
            }
        }
        let mut dims = src.dims.clone();
        dims[axis] = dst_axis;
        let out = self.new_dense(&dims);
        if out.numel() == 0 {
            return Ok(out);
        }
        let index = self.blob_u32(&index);
        let coeff = self.blob_f32(&coeff);
        let (src_loc, out_loc) = (self.loc(&src), self.loc(&out));
        self.emit(Kernel::Resample {
            outer,
            src_axis,
            inner,
            dst_axis,
            taps: width,
            index,
            coeff,
            src: src_loc,
            out: out_loc,
        });
        if fill == 0.0 || taps.iter().all(Option::is_some) {
            return Ok(out);
        }
        let extra: Vec<f32> = taps.iter().map(|t| if t.is_some() { 0.0 } else { fill }).collect();
        let extra = self.const_view(extra, &[dst_axis]);
        let mut strides = vec![0isize; dims.len()];
        strides[axis] = 1;
        let extra = View { dims: dims.clone(), strides, ..extra };
        Ok(self.map(MapOp::Binary(BinaryOp::Add), &dims, &[out, extra]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(cubic: bool, transform: &str) -> Options {
        Options { cubic, transform: transform.into(), cubic_a: -0.75, exclude_outside: false, antialias: false }
    }

    #[test]
    fn linear_half_pixel_upsample_by_two() {
        // 2 → 4: sources -0.25, 0.25, 0.75, 1.25 (clamped at the ends).
        let taps = axis_taps(&opts(false, "half_pixel"), 2.0, 2, 4, (0.0, 1.0));
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
    fn cubic_weights_sum_to_one_and_crop_extrapolates() {
        for t in axis_taps(&opts(true, "align_corners"), 1.7, 5, 8, (0.0, 1.0)) {
            let sum: f64 = t.unwrap().iter().map(|p| p.1).sum();
            assert!((sum - 1.0).abs() < 1e-12);
        }
        let crop = axis_taps(&opts(false, "tf_crop_and_resize"), 2.0, 4, 8, (0.4, 1.2));
        assert!(crop.last().unwrap().is_none(), "positions past the input extrapolate");
        assert!(crop[0].is_some());
    }
}
