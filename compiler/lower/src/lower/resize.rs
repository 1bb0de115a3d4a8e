//! Linear and cubic Resize as one `Resample` kernel per resized axis
//! (interpolation is separable). The output sizes and the per-axis filters
//! (a source index and a weight per tap and output position) are computed
//! at compile time by the reference interpreter's own
//! [`vitc_interp::resize`] helpers (following the ONNX reference), so both
//! agree exactly on every `coordinate_transformation_mode`, `cubic_coeff_a`,
//! `exclude_outside`, `antialias`, `axes`, `keep_aspect_ratio_policy` and
//! `tf_crop_and_resize` with its `extrapolation_value` (an output position
//! outside the input gets zero weights, and a broadcast `Map` adds the
//! value there). Nearest Resize is a `Gather` ([`super::layout`]).

use super::{Lowerer, OpResult};
use crate::kernel::Resample;
use crate::kernel::{BinaryOp, Kernel, MapOp};
use crate::view::View;
use vitc_interp::resize::{Options, Taps, axis_taps, geometry_from_scales, geometry_from_sizes, roi_per_axis};
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{NodeId, Tensor};

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
            mode,
            transform: attrs.str_or("coordinate_transformation_mode", "half_pixel")?,
            nearest_mode: "round_prefer_floor",
            cubic_a: f64::from(attrs.float_or("cubic_coeff_a", -0.75)?),
            exclude_outside: attrs.int_or("exclude_outside", 0)? != 0,
            antialias: attrs.int_or("antialias", 0)? != 0,
        };
        if !matches!(mode, "linear" | "cubic") {
            return Err(format!("internal: mode '{mode}' is not interpolated"));
        }
        opts.check_transform()?;
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
        let (scales, sizes) = match (nonempty(self.const_operand(id, 2)), nonempty(self.const_operand(id, 3))) {
            (Some(s), None) => {
                let s = s.to_f64_vec();
                if s.len() != axes.len() || s.iter().any(|&v| v <= 0.0) {
                    return Err(format!("scales {s:?} must hold one positive value per resized axis"));
                }
                geometry_from_scales(&dims, &axes, &s)
            }
            (None, Some(z)) => {
                let z = z.to_i64_vec();
                if z.len() != axes.len() || z.iter().any(|&v| v < 0) {
                    return Err(format!("sizes {z:?} must hold one non-negative value per resized axis"));
                }
                geometry_from_sizes(&dims, &axes, &z, policy)?
            }
            (Some(_), Some(_)) => return Err("only one of scales and sizes may be given".into()),
            (None, None) => return Err("one of scales and sizes is required".into()),
        };
        let roi = match nonempty(self.const_operand(id, 1)) {
            Some(r) if opts.transform == "tf_crop_and_resize" => roi_per_axis(&r.to_f64_vec(), &axes, rank)?,
            _ => vec![(0.0f64, 1.0f64); rank],
        };
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
        self.emit(Kernel::Resample(Resample {
            outer,
            src_axis,
            inner,
            dst_axis,
            taps: width,
            index,
            coeff,
            src: src_loc,
            out: out_loc,
        }));
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
