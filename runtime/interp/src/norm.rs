//! Normalisations: BatchNormalization (inference form), LayerNormalization
//! (with its optional Mean / InvStdDev outputs) and Softmax (max
//! subtracted). Statistics are computed in f64.

use crate::args::{f32_input, f32_of, from_vec, input, numel, optional, row_major};
use crate::broadcast::zip2;
use ndarray::ArrayD;
use vitc_ir::geometry::{broadcast_sizes, normalize_axis};
use vitc_ir::{Attrs, Tensor};

/// ONNX BatchNormalization in inference mode:
/// `(x - mean) / sqrt(var + epsilon) * scale + B` per channel (axis 1).
pub(crate) fn batch_norm(attrs: &Attrs, inputs: &[Option<&Tensor>], n_outputs: usize) -> Result<Tensor, String> {
    if attrs.int_or("training_mode", 0)? != 0 || n_outputs > 1 {
        return Err("training mode (running statistics outputs) is not supported".into());
    }
    let x = f32_input(inputs, 0, "X")?;
    let params: Vec<_> = ["scale", "B", "input_mean", "input_var"]
        .iter()
        .enumerate()
        .map(|(i, what)| f32_input(inputs, i + 1, what).map(|a| row_major(a)))
        .collect::<Result<_, _>>()?;
    let eps = f64::from(attrs.float_or("epsilon", 1e-5)?);
    let dims = x.shape();
    if dims.len() < 2 {
        return Err(format!("X must have rank >= 2, found {dims:?}"));
    }
    let c = dims[1];
    if let Some(p) = params.iter().find(|p| p.len() != c) {
        return Err(format!("parameters must hold {c} values (one per channel), found {}", p.len()));
    }
    let (scale, bias, mean, var) = (&params[0], &params[1], &params[2], &params[3]);
    let coef: Vec<f32> = (0..c).map(|i| (f64::from(scale[i]) / (f64::from(var[i]) + eps).sqrt()) as f32).collect();
    let inner = numel(&dims[2..]);
    let xs = row_major(x);
    let mut out = Vec::with_capacity(xs.len());
    if inner == 1 {
        // [N, C]: one channel per element of each row.
        for row in xs.chunks(c.max(1)) {
            for (((&v, &m), &k), &b) in row.iter().zip(mean.iter()).zip(&coef).zip(bias.iter()) {
                out.push((v - m) * k + b);
            }
        }
    } else if inner > 0 {
        for (block, ch) in xs.chunks(inner).zip((0..c).cycle()) {
            let (m, k, b) = (mean[ch], coef[ch], bias[ch]);
            out.extend(block.iter().map(|&v| (v - m) * k + b));
        }
    }
    Ok(Tensor::F32(from_vec(dims, out)?))
}

/// ONNX LayerNormalization over axes `axis..`: outputs Y and, when asked,
/// Mean and InvStdDev (shaped like X with the normalised axes set to 1).
pub(crate) fn layer_norm(attrs: &Attrs, inputs: &[Option<&Tensor>], n_outputs: usize) -> Result<Vec<Tensor>, String> {
    let x = f32_input(inputs, 0, "X")?;
    let scale = f32_of(input(inputs, 1, "Scale")?, "Scale")?;
    let bias = optional(inputs, 2).map(|b| f32_of(b, "B")).transpose()?;
    let dims = x.shape();
    let axis = normalize_axis(attrs.int_or("axis", -1)?, dims.len())?;
    let eps = f64::from(attrs.float_or("epsilon", 1e-5)?);
    let rows = numel(&dims[..axis]);
    let cols = numel(&dims[axis..]);
    let xs = row_major(x);
    let mut y = Vec::with_capacity(xs.len());
    let mut means = Vec::with_capacity(rows);
    let mut inv_stds = Vec::with_capacity(rows);
    if cols > 0 {
        for row in xs.chunks(cols) {
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / cols as f64;
            let var = row.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / cols as f64;
            let inv = 1.0 / (var + eps).sqrt();
            y.extend(row.iter().map(|&v| ((f64::from(v) - mean) * inv) as f32));
            means.push(mean as f32);
            inv_stds.push(inv as f32);
        }
    }
    let fits = |p: &ArrayD<f32>| {
        p.len() == cols && p.ndim() <= dims.len() - axis && broadcast_sizes(p.shape(), dims).is_ok_and(|s| s == dims)
    };
    let y = if fits(scale) && bias.is_none_or(fits) {
        let s = row_major(scale);
        let b = bias.map(row_major);
        if cols > 0 {
            for row in y.chunks_mut(cols) {
                match &b {
                    Some(b) => row.iter_mut().zip(s.iter().zip(b.iter())).for_each(|(v, (&s, &b))| *v = *v * s + b),
                    None => row.iter_mut().zip(s.iter()).for_each(|(v, &s)| *v *= s),
                }
            }
        }
        from_vec(dims, y)?
    } else {
        let mut t = zip2(&from_vec(dims, y)?, scale, |v, s| v * s)?;
        if let Some(b) = bias {
            t = zip2(&t, b, |v, b| v + b)?;
        }
        if t.shape() != dims {
            return Err(format!("Scale / B broadcast X {dims:?} to {:?}", t.shape()));
        }
        t
    };
    let mut stat_shape = dims[..axis].to_vec();
    stat_shape.resize(dims.len(), 1);
    let mut outs = vec![Tensor::F32(y)];
    if n_outputs > 1 {
        outs.push(Tensor::F32(from_vec(&stat_shape, means)?));
    }
    if n_outputs > 2 {
        outs.push(Tensor::F32(from_vec(&stat_shape, inv_stds)?));
    }
    Ok(outs)
}

/// ONNX Softmax (opset 13) along one axis.
pub(crate) fn softmax(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let x = f32_of(x, "input")?;
    let dims = x.shape();
    let axis = normalize_axis(attrs.int_or("axis", -1)?, dims.len())?;
    let len = dims[axis];
    let inner = numel(&dims[axis + 1..]);
    let xs = row_major(x);
    let mut out = vec![0.0f32; xs.len()];
    let block = len * inner;
    if block == 0 {
        return Ok(Tensor::F32(from_vec(dims, out)?));
    }
    if inner == 1 {
        for (src, dst) in xs.chunks(len).zip(out.chunks_mut(len)) {
            let m = src.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m });
            let mut sum = 0.0f64;
            for (o, &v) in dst.iter_mut().zip(src) {
                *o = (v - m).exp();
                sum += f64::from(*o);
            }
            let inv = 1.0 / sum;
            dst.iter_mut().for_each(|o| *o = (f64::from(*o) * inv) as f32);
        }
        return Ok(Tensor::F32(from_vec(dims, out)?));
    }
    let mut maxes = vec![0.0f32; inner];
    let mut sums = vec![0.0f64; inner];
    for (src, dst) in xs.chunks(block).zip(out.chunks_mut(block)) {
        maxes.fill(f32::NEG_INFINITY);
        sums.fill(0.0);
        for row in src.chunks(inner) {
            for (m, &v) in maxes.iter_mut().zip(row) {
                if v > *m || v.is_nan() {
                    *m = v;
                }
            }
        }
        for (row, orow) in src.chunks(inner).zip(dst.chunks_mut(inner)) {
            for (((o, &v), &m), s) in orow.iter_mut().zip(row).zip(&maxes).zip(sums.iter_mut()) {
                *o = (v - m).exp();
                *s += f64::from(*o);
            }
        }
        for orow in dst.chunks_mut(inner) {
            for (o, &s) in orow.iter_mut().zip(&sums) {
                *o = (f64::from(*o) / s) as f32;
            }
        }
    }
    Ok(Tensor::F32(from_vec(dims, out)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, arr1, arr2};
    use vitc_ir::Attr;

    fn f32s(t: &Tensor) -> Vec<f32> {
        t.as_f32().unwrap().iter().copied().collect()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn softmax_rows_match_hand_values() {
        // softmax([1,2,3]) = e^k / (e + e^2 + e^3) = [0.09003057, 0.24472847, 0.66524096]
        let x = Tensor::F32(arr2(&[[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]).into_dyn());
        let y = f32s(&softmax(&Attrs::new(), &x).unwrap());
        close(&y[..3], &[0.090_030_57, 0.244_728_47, 0.665_240_96], 1e-7);
        close(&y[3..], &[1.0 / 3.0; 3], 1e-7);
        assert!((y[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_over_a_middle_axis() {
        let x = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![0.0, 1.0, 0.0, 3.0]).unwrap());
        let y = f32s(&softmax(&Attrs::new().with("axis", Attr::Int(1)), &x).unwrap());
        // column 0: [0, 0] -> [0.5, 0.5]; column 1: [1, 3] -> [1/(1+e^2), e^2/(1+e^2)]
        close(&y, &[0.5, 0.119_202_92, 0.5, 0.880_797_1], 1e-7);
    }

    #[test]
    fn layer_norm_of_a_row() {
        // x = [1, 2, 3, 4]: mean 2.5, var 1.25; (x - 2.5) / sqrt(1.25) = [-1.3416408, -0.4472136, 0.4472136, 1.3416408]
        let x = Tensor::F32(arr2(&[[1.0, 2.0, 3.0, 4.0]]).into_dyn());
        let s = Tensor::F32(arr1(&[1.0, 1.0, 2.0, 2.0]).into_dyn());
        let b = Tensor::F32(arr1(&[0.0, 1.0, 0.0, 1.0]).into_dyn());
        let attrs = Attrs::new().with("epsilon", Attr::Float(0.0));
        let outs = layer_norm(&attrs, &[Some(&x), Some(&s), Some(&b)], 3).unwrap();
        close(&f32s(&outs[0]), &[-1.341_640_8, 0.552_786_4, 0.894_427_2, 3.683_281_6], 1e-6);
        assert_eq!(outs[1].dims(), &[1, 1]);
        close(&f32s(&outs[1]), &[2.5], 0.0);
        close(&f32s(&outs[2]), &[0.894_427_2], 1e-7);
    }

    #[test]
    fn batch_norm_per_channel() {
        // x [1, 2, 2]; channel 0: mean 1, var 4, scale 2, B 0.5 -> (x-1)/2*2+0.5; channel 1 identity.
        let x = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1.0, 3.0, 5.0, 7.0]).unwrap());
        let t = |v: [f32; 2]| Tensor::F32(arr1(&v).into_dyn());
        let (s, b, m, v) = (t([2.0, 1.0]), t([0.5, 0.0]), t([1.0, 0.0]), t([4.0, 1.0]));
        let attrs = Attrs::new().with("epsilon", Attr::Float(0.0));
        let y = batch_norm(&attrs, &[Some(&x), Some(&s), Some(&b), Some(&m), Some(&v)], 1).unwrap();
        assert_eq!(f32s(&y), vec![0.5, 2.5, 5.0, 7.0]);
    }
}
