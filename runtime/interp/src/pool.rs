//! Pooling: MaxPool (dilations, ceil_mode, optional Indices output),
//! AveragePool (count_include_pad, ceil_mode) and GlobalAveragePool. Windows
//! that reach past the padded image (ceil_mode) only cover real positions.

use crate::args::{checked_numel, f32_of, from_vec, numel, row_major, to_sizes};
use crate::spatial::{Spatial, check_window};
use rayon::prelude::*;
use vitc_ir::geometry::Window;
use vitc_ir::{Attrs, OpKind, Tensor};

/// Per output position on one axis: the taps `k` that land inside the
/// image, and how many land inside the padded image.
struct AxisTaps {
    /// Input indices, per output position.
    taps: Vec<Vec<usize>>,
    /// Taps inside the padded extent, per output position.
    padded: Vec<usize>,
}

fn axis_taps(g: &Spatial, a: usize) -> AxisTaps {
    let mut taps = Vec::with_capacity(g.output[a]);
    let mut padded = Vec::with_capacity(g.output[a]);
    let extent = g.input[a] + g.pads[a] + g.pads_end[a];
    for o in 0..g.output[a] {
        taps.push((0..g.kernel[a]).filter_map(|k| g.input_index(a, o, k)).collect());
        padded.push((0..g.kernel[a]).filter(|&k| o * g.strides[a] + k * g.dilations[a] < extent).count());
    }
    AxisTaps { taps, padded }
}

/// ONNX MaxPool and AveragePool; MaxPool's second output is the flat index
/// of each maximum (row-major, or column-major spatial with `storage_order`).
pub(crate) fn pool(op: OpKind, attrs: &Attrs, x: &Tensor, n_outputs: usize) -> Result<Vec<Tensor>, String> {
    let x = f32_of(x, "X")?;
    let xd = x.shape();
    if xd.len() < 3 || xd.len() > 5 {
        return Err(format!("X must have rank 3 to 5, found {xd:?}"));
    }
    let kernel = to_sizes(attrs.ints("kernel_shape")?.ok_or("attribute 'kernel_shape' is required")?, "kernel_shape")?;
    if kernel.len() != xd.len() - 2 {
        return Err(format!("kernel_shape {kernel:?} does not fit X {xd:?}"));
    }
    check_window(attrs, &xd[2..], &kernel)?;
    let window = Window::from_attrs(attrs, &xd[2..], &kernel)?;
    let out_spatial = window.output_sizes(&xd[2..])?;
    let g = Spatial::new(&window, &xd[2..], &out_spatial)?;
    let is_max = op == OpKind::MaxPool;
    let include_pad = attrs.int_or("count_include_pad", 0)? != 0;
    let column_major = attrs.int_or("storage_order", 0)? != 0;
    let want_indices = is_max && n_outputs > 1;
    let axes = [axis_taps(&g, 0), axis_taps(&g, 1), axis_taps(&g, 2)];
    let (isz, osz) = (g.input_size(), g.output_size());
    let [_, i1, i2] = g.input;
    let [o0, o1, o2] = g.output;
    let planes = xd[0] * xd[1];
    checked_numel(&[planes, osz])?;
    let xs = row_major(x);
    let mut out = vec![0.0f32; planes * osz];
    let mut indices = vec![0i64; if want_indices { planes * osz } else { 0 }];
    let spatial_index = |id: usize, ih: usize, iw: usize| {
        if column_major { id + g.input[0] * (ih + i1 * iw) } else { (id * i1 + ih) * i2 + iw }
    };
    let body = |p: usize, dst: &mut [f32], idx: &mut [i64]| {
        let src = &xs[p * isz..(p + 1) * isz];
        for od in 0..o0 {
            for oh in 0..o1 {
                for ow in 0..o2 {
                    let o = (od * o1 + oh) * o2 + ow;
                    let mut best = f32::NEG_INFINITY;
                    let mut best_at = 0usize;
                    let mut sum = 0.0f64;
                    let mut count = 0usize;
                    for &id in &axes[0].taps[od] {
                        for &ih in &axes[1].taps[oh] {
                            for &iw in &axes[2].taps[ow] {
                                let v = src[(id * i1 + ih) * i2 + iw];
                                if is_max {
                                    if v > best || (v.is_nan() && !best.is_nan()) || count == 0 {
                                        best = v;
                                        best_at = spatial_index(id, ih, iw);
                                    }
                                } else {
                                    sum += f64::from(v);
                                }
                                count += 1;
                            }
                        }
                    }
                    dst[o] = if is_max {
                        best
                    } else {
                        let divisor = if include_pad {
                            axes[0].padded[od] * axes[1].padded[oh] * axes[2].padded[ow]
                        } else {
                            count
                        };
                        (sum / divisor as f64) as f32
                    };
                    if let Some(slot) = idx.get_mut(o) {
                        *slot = (p * isz + best_at) as i64;
                    }
                }
            }
        }
    };
    if osz > 0 {
        if want_indices {
            out.par_chunks_mut(osz).zip(indices.par_chunks_mut(osz)).enumerate().for_each(|(p, (d, i))| body(p, d, i));
        } else {
            out.par_chunks_mut(osz).enumerate().for_each(|(p, d)| body(p, d, &mut []));
        }
    }
    let mut shape = xd[..2].to_vec();
    shape.extend_from_slice(&out_spatial);
    let mut outs = vec![Tensor::F32(from_vec(&shape, out)?)];
    if want_indices {
        outs.push(Tensor::I64(from_vec(&shape, indices)?));
    } else if n_outputs > 1 {
        return Err(format!("'{op}' has one output, {n_outputs} requested"));
    }
    Ok(outs)
}

/// ONNX GlobalAveragePool: the mean of each `[n, c]` plane, spatial axes kept as 1.
pub(crate) fn global_average_pool(x: &Tensor) -> Result<Tensor, String> {
    let x = f32_of(x, "X")?;
    let xd = x.shape();
    if xd.len() < 2 {
        return Err(format!("X must have rank >= 2, found {xd:?}"));
    }
    let plane = numel(&xd[2..]);
    let xs = row_major(x);
    let means: Vec<f32> = if plane == 0 {
        vec![f32::NAN; xd[0] * xd[1]]
    } else {
        xs.chunks(plane).map(|c| (c.iter().map(|&v| f64::from(v)).sum::<f64>() / plane as f64) as f32).collect()
    };
    let mut shape = xd[..2].to_vec();
    shape.resize(xd.len(), 1);
    Ok(Tensor::F32(from_vec(&shape, means)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::Attr;

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), (1..=n).map(|v| v as f32).collect()).unwrap())
    }

    fn ks(k: &[i64]) -> Attrs {
        Attrs::new().with("kernel_shape", Attr::Ints(k.to_vec()))
    }

    #[test]
    fn max_pool_with_ceil_mode() {
        // ONNX maxpool_2d_ceil: x = 1..16 as 4x4, kernel 3, stride 2, ceil -> [[11,12],[15,16]]
        let x = iota(&[1, 1, 4, 4]);
        let attrs = ks(&[3, 3]).with("strides", Attr::Ints(vec![2, 2])).with("ceil_mode", Attr::Int(1));
        let y = pool(OpKind::MaxPool, &attrs, &x, 1).unwrap();
        assert_eq!(y[0].dims(), &[1, 1, 2, 2]);
        assert_eq!(y[0].to_f64_vec(), vec![11.0, 12.0, 15.0, 16.0]);
        // averagepool_2d_ceil: -> [[6, 7.5], [12, 13.5]]
        let a = pool(OpKind::AveragePool, &attrs, &x, 1).unwrap();
        assert_eq!(a[0].to_f64_vec(), vec![6.0, 7.5, 12.0, 13.5]);
    }

    #[test]
    fn average_pool_padding_counts() {
        // x = 1..9 as 3x3, kernel 2, pads 1 on the top-left only; corner window holds only x[0,0] = 1.
        let x = iota(&[1, 1, 3, 3]);
        let attrs = ks(&[2, 2]).with("pads", Attr::Ints(vec![1, 1, 0, 0]));
        let excl = pool(OpKind::AveragePool, &attrs, &x, 1).unwrap();
        assert_eq!(excl[0].dims(), &[1, 1, 3, 3]);
        assert_eq!(excl[0].to_f64_vec()[..2], [1.0, 1.5]);
        let incl = pool(OpKind::AveragePool, &attrs.with("count_include_pad", Attr::Int(1)), &x, 1).unwrap();
        assert_eq!(incl[0].to_f64_vec()[..2], [0.25, 0.75]);
    }

    #[test]
    fn max_pool_indices_and_dilations() {
        // 1x1x4x4 with dilation 2, kernel 2: window picks x[i,j], x[i,j+2], x[i+2,j], x[i+2,j+2]
        let x = iota(&[1, 1, 4, 4]);
        let attrs = ks(&[2, 2]).with("dilations", Attr::Ints(vec![2, 2]));
        let y = pool(OpKind::MaxPool, &attrs, &x, 2).unwrap();
        assert_eq!(y[0].to_f64_vec(), vec![11.0, 12.0, 15.0, 16.0]);
        assert_eq!(y[1].to_i64_vec(), vec![10, 11, 14, 15]);
    }

    #[test]
    fn global_average_pool_keeps_rank() {
        let x = iota(&[1, 2, 2, 2]);
        let y = global_average_pool(&x).unwrap();
        assert_eq!((y.dims().to_vec(), y.to_f64_vec()), (vec![1, 2, 1, 1], vec![2.5, 6.5]));
    }
}
