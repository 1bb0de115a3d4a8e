//! Conv and ConvTranspose over 1-, 2- and 3-D images. Conv is im2col +
//! GEMM per (image, group), with a direct loop when every output channel
//! reads one input channel (depthwise); ConvTranspose is GEMM + col2im.
//! Work is spread over (image, group) pairs with rayon.

use crate::args::{checked_numel, f32_input, f32_of, from_vec, optional, row_major};
use crate::spatial::{Spatial, check_window, valid_range};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayD, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use vitc_ir::geometry::{TransposedWindow, Window};
use vitc_ir::{Attrs, Tensor};

/// Operands and channel counts shared by Conv and ConvTranspose.
struct ConvArgs<'a> {
    x: &'a ArrayD<f32>,
    w: &'a ArrayD<f32>,
    bias: Option<&'a ArrayD<f32>>,
    groups: usize,
}

fn conv_args<'a>(attrs: &Attrs, inputs: &[Option<&'a Tensor>]) -> Result<ConvArgs<'a>, String> {
    let x = f32_input(inputs, 0, "X")?;
    let w = f32_input(inputs, 1, "W")?;
    let bias = optional(inputs, 2).map(|b| f32_of(b, "B")).transpose()?;
    if x.ndim() < 3 || x.ndim() > 5 || w.ndim() != x.ndim() {
        return Err(format!("X and W must both have rank 3 to 5, found {:?} and {:?}", x.shape(), w.shape()));
    }
    let groups = usize::try_from(attrs.int_or("group", 1)?).ok().filter(|&g| g > 0).ok_or("group must be positive")?;
    if let Some(ks) = attrs.ints("kernel_shape")?
        && (ks.len() != w.ndim() - 2 || ks.iter().zip(&w.shape()[2..]).any(|(&a, &b)| a != b as i64))
    {
        return Err(format!("kernel_shape {ks:?} disagrees with W {:?}", w.shape()));
    }
    check_window(attrs, &x.shape()[2..], &w.shape()[2..])?;
    Ok(ConvArgs { x, w, bias, groups })
}

/// Adds a per-channel bias to `out` (`[n, m, plane]`).
fn add_bias(out: &mut [f32], bias: Option<&ArrayD<f32>>, m: usize, plane: usize) -> Result<(), String> {
    let Some(b) = bias else { return Ok(()) };
    if b.len() != m {
        return Err(format!("B must hold {m} values, found {:?}", b.shape()));
    }
    if plane == 0 {
        return Ok(());
    }
    let b = row_major(b);
    for (chunk, ch) in out.chunks_mut(plane).zip((0..m).cycle()) {
        chunk.iter_mut().for_each(|v| *v += b[ch]);
    }
    Ok(())
}

/// Fills `cols` (`[cin * kernel, out]`) with the image patches of `src` (`[cin, in]`).
fn im2col(src: &[f32], cin: usize, g: &Spatial, cols: &mut [f32]) {
    let (isz, osz) = (g.input_size(), g.output_size());
    let [k0, k1, k2] = g.kernel;
    let [o0, o1, o2] = g.output;
    let [_, i1, i2] = g.input;
    let mut rows = cols.chunks_mut(osz);
    for ci in 0..cin {
        let plane = &src[ci * isz..(ci + 1) * isz];
        for kd in 0..k0 {
            for kh in 0..k1 {
                for kw in 0..k2 {
                    let Some(row) = rows.next() else { return };
                    let off = g.tap_offset(2, kw);
                    let valid = valid_range(o2, g.strides[2], off, i2);
                    for od in 0..o0 {
                        for oh in 0..o1 {
                            let dst = &mut row[(od * o1 + oh) * o2..(od * o1 + oh + 1) * o2];
                            match (g.input_index(0, od, kd), g.input_index(1, oh, kh)) {
                                (Some(id), Some(ih)) => {
                                    let base = (id * i1 + ih) * i2;
                                    dst[..valid.start].fill(0.0);
                                    dst[valid.end..].fill(0.0);
                                    for ow in valid.clone() {
                                        dst[ow] = plane[base + (ow * g.strides[2]).wrapping_add_signed(off)];
                                    }
                                }
                                _ => dst.fill(0.0),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Direct convolution of one input plane with one kernel, accumulated into `dst`.
fn depthwise_plane(src: &[f32], kernel: &[f32], g: &Spatial, dst: &mut [f32]) {
    let [k0, k1, k2] = g.kernel;
    let [o0, o1, o2] = g.output;
    let [_, i1, i2] = g.input;
    let s2 = g.strides[2];
    for kd in 0..k0 {
        for kh in 0..k1 {
            for kw in 0..k2 {
                let wv = kernel[(kd * k1 + kh) * k2 + kw];
                let off = g.tap_offset(2, kw);
                let valid = valid_range(o2, s2, off, i2);
                for od in 0..o0 {
                    let Some(id) = g.input_index(0, od, kd) else { continue };
                    for oh in 0..o1 {
                        let Some(ih) = g.input_index(1, oh, kh) else { continue };
                        let base = (id * i1 + ih) * i2;
                        let out_row = &mut dst[(od * o1 + oh) * o2..(od * o1 + oh + 1) * o2];
                        for ow in valid.clone() {
                            out_row[ow] += wv * src[base + (ow * s2).wrapping_add_signed(off)];
                        }
                    }
                }
            }
        }
    }
}

fn gemm(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, c: &mut [f32]) -> Result<(), String> {
    let mut cv = ArrayViewMut2::from_shape((a.nrows(), b.ncols()), c).map_err(|e| e.to_string())?;
    general_mat_mul(1.0, &a, &b, 0.0, &mut cv);
    Ok(())
}

fn view2(data: &[f32], rows: usize, cols: usize) -> Result<ArrayView2<'_, f32>, String> {
    ArrayView2::from_shape((rows, cols), data.get(..rows * cols).ok_or("internal: operand too small")?)
        .map_err(|e| e.to_string())
}

/// ONNX Conv: `conv(X, W, B?)`, with groups, strides, dilations, pads or `auto_pad`.
pub(crate) fn conv(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let ConvArgs { x, w, bias, groups } = conv_args(attrs, inputs)?;
    let (xd, wd) = (x.shape(), w.shape());
    let (n, c, m, cg) = (xd[0], xd[1], wd[0], wd[1]);
    if c % groups != 0 || m % groups != 0 || cg != c / groups {
        return Err(format!("X {xd:?} and W {wd:?} do not fit group {groups}"));
    }
    let window = Window::from_attrs(attrs, &xd[2..], &wd[2..])?;
    let out_spatial = window.output_sizes(&xd[2..])?;
    let g = Spatial::new(&window, &xd[2..], &out_spatial)?;
    let (isz, osz, ksz) = (g.input_size(), g.output_size(), g.kernel_size());
    let mg = m / groups;
    checked_numel(&[n, m, osz])?;
    checked_numel(&[cg, ksz, osz])?;
    let xs = row_major(x);
    let ws = row_major(w);
    let mut out = vec![0.0f32; n * m * osz];
    let pointwise = ksz == 1 && g.strides == [1; 3] && g.pads == [0; 3] && g.input == g.output;
    if osz > 0 && mg > 0 {
        out.par_chunks_mut(mg * osz).enumerate().try_for_each(|(t, dst)| -> Result<(), String> {
            let (img, grp) = (t / groups, t % groups);
            let src = &xs[(img * c + grp * cg) * isz..(img * c + (grp + 1) * cg) * isz];
            let wg = &ws[grp * mg * cg * ksz..(grp + 1) * mg * cg * ksz];
            if cg == 1 {
                for (oc, plane) in dst.chunks_mut(osz).enumerate() {
                    depthwise_plane(src, &wg[oc * ksz..(oc + 1) * ksz], &g, plane);
                }
                Ok(())
            } else if pointwise {
                gemm(view2(wg, mg, cg)?, view2(src, cg, osz)?, dst)
            } else {
                let mut cols = vec![0.0f32; cg * ksz * osz];
                im2col(src, cg, &g, &mut cols);
                gemm(view2(wg, mg, cg * ksz)?, view2(&cols, cg * ksz, osz)?, dst)
            }
        })?;
    }
    add_bias(&mut out, bias, m, osz)?;
    let mut shape = vec![n, m];
    shape.extend_from_slice(&out_spatial);
    Ok(Tensor::F32(from_vec(&shape, out)?))
}

/// Scatters `cols` (`[mg * kernel, in]`) into the output planes `dst` (`[mg, out]`).
fn col2im(cols: &[f32], mg: usize, g: &Spatial, dst: &mut [f32]) {
    // Here `g.input` is the transposed conv's input (the small image) and
    // `g.output` its output: output position = input * stride + tap offset.
    let (isz, osz) = (g.input_size(), g.output_size());
    let [k0, k1, k2] = g.kernel;
    let [i0, i1, i2] = g.input;
    let [o0, o1, o2] = g.output;
    let s = g.strides;
    let place = |a: usize, i: usize, k: usize, size: usize| {
        usize::try_from((i * s[a]) as isize + g.tap_offset(a, k)).ok().filter(|&o| o < size)
    };
    let mut rows = cols.chunks(isz);
    for mo in 0..mg {
        let plane = &mut dst[mo * osz..(mo + 1) * osz];
        for kd in 0..k0 {
            for kh in 0..k1 {
                for kw in 0..k2 {
                    let Some(row) = rows.next() else { return };
                    let off = g.tap_offset(2, kw);
                    let valid = valid_range(i2, s[2], off, o2);
                    for id in 0..i0 {
                        let Some(od) = place(0, id, kd, o0) else { continue };
                        for ih in 0..i1 {
                            let Some(oh) = place(1, ih, kh, o1) else { continue };
                            let base = (od * o1 + oh) * o2;
                            let src = &row[(id * i1 + ih) * i2..(id * i1 + ih + 1) * i2];
                            for iw in valid.clone() {
                                plane[base + (iw * s[2]).wrapping_add_signed(off)] += src[iw];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// ONNX ConvTranspose: `conv_transpose(X, W, B?)` with W `[C, M / group, k...]`.
pub(crate) fn conv_transpose(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let ConvArgs { x, w, bias, groups } = conv_args(attrs, inputs)?;
    let (xd, wd) = (x.shape(), w.shape());
    let (n, c, mg) = (xd[0], xd[1], wd[1]);
    if c % groups != 0 || wd[0] != c {
        return Err(format!("X {xd:?} and W {wd:?} do not fit group {groups}"));
    }
    let cg = c / groups;
    let m = mg * groups;
    let tw = TransposedWindow::from_attrs(attrs, &xd[2..], &wd[2..])?;
    let g = Spatial::new(&tw.window, &xd[2..], &tw.output)?;
    let (isz, osz, ksz) = (g.input_size(), g.output_size(), g.kernel_size());
    checked_numel(&[n, m, osz])?;
    let xs = row_major(x);
    let ws = row_major(w);
    let mut out = vec![0.0f32; n * m * osz];
    if osz > 0 && mg > 0 {
        out.par_chunks_mut(mg * osz).enumerate().try_for_each(|(t, dst)| -> Result<(), String> {
            let (img, grp) = (t / groups, t % groups);
            let src = &xs[(img * c + grp * cg) * isz..(img * c + (grp + 1) * cg) * isz];
            let wg = &ws[grp * cg * mg * ksz..(grp + 1) * cg * mg * ksz];
            let mut cols = vec![0.0f32; mg * ksz * isz];
            gemm(view2(wg, cg, mg * ksz)?.reversed_axes(), view2(src, cg, isz)?, &mut cols)?;
            col2im(&cols, mg, &g, dst);
            Ok(())
        })?;
    }
    add_bias(&mut out, bias, m, osz)?;
    let mut shape = vec![n, m];
    shape.extend_from_slice(&tw.output);
    Ok(Tensor::F32(from_vec(&shape, out)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;
    use vitc_ir::Attr;

    fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    }

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        t(shape, (0..n).map(|v| v as f32).collect())
    }

    #[test]
    fn onnx_conv_example_with_and_without_padding() {
        // ONNX Conv example: x = 0..25 as [1,1,5,5], W = ones [1,1,3,3].
        let x = iota(&[1, 1, 5, 5]);
        let w = t(&[1, 1, 3, 3], vec![1.0; 9]);
        let pad = Attrs::new().with("pads", Attr::Ints(vec![1, 1, 1, 1]));
        let y = conv(&pad, &[Some(&x), Some(&w)]).unwrap();
        assert_eq!(y.dims(), &[1, 1, 5, 5]);
        let want = [
            12., 21., 27., 33., 24., 33., 54., 63., 72., 51., 63., 99., 108., 117., 81., 93., 144., 153., 162., 111.,
            72., 111., 117., 123., 84.,
        ];
        assert_eq!(y.to_f64_vec(), want.map(f64::from).to_vec());
        let y = conv(&Attrs::new(), &[Some(&x), Some(&w)]).unwrap();
        assert_eq!(y.to_f64_vec(), vec![54., 63., 72., 99., 108., 117., 144., 153., 162.]);
    }

    #[test]
    fn onnx_conv_example_with_strides() {
        // ONNX example: x = 0..35 as [1,1,7,5], ones 3x3, strides 2, pads 1 -> [[12,27,24],[63,108,81],[123,198,141],[112,177,124]]
        let x = iota(&[1, 1, 7, 5]);
        let w = t(&[1, 1, 3, 3], vec![1.0; 9]);
        let attrs = Attrs::new().with("pads", Attr::Ints(vec![1, 1, 1, 1])).with("strides", Attr::Ints(vec![2, 2]));
        let y = conv(&attrs, &[Some(&x), Some(&w)]).unwrap();
        assert_eq!(y.dims(), &[1, 1, 4, 3]);
        assert_eq!(y.to_f64_vec(), vec![12., 27., 24., 63., 108., 81., 123., 198., 141., 112., 177., 124.]);
    }

    #[test]
    fn grouped_and_depthwise_conv_with_bias() {
        // Two channels, group 2, 1x1 kernels 2 and 3, bias [1, -1].
        let x = t(&[1, 2, 1, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let w = t(&[2, 1, 1, 1], vec![2.0, 3.0]);
        let b = t(&[2], vec![1.0, -1.0]);
        let attrs = Attrs::new().with("group", Attr::Int(2));
        let y = conv(&attrs, &[Some(&x), Some(&w), Some(&b)]).unwrap();
        assert_eq!(y.to_f64_vec(), vec![3.0, 5.0, 8.0, 11.0]);
        // Group 2 over 4 input channels, 2 per group, 1x1: out0 = x0 + x1, out1 = x2 - x3.
        let x = t(&[1, 4, 1, 1], vec![1.0, 2.0, 3.0, 5.0]);
        let w = t(&[2, 2, 1, 1], vec![1.0, 1.0, 1.0, -1.0]);
        let y = conv(&attrs, &[Some(&x), Some(&w)]).unwrap();
        assert_eq!(y.to_f64_vec(), vec![3.0, -2.0]);
    }

    #[test]
    fn dilated_1d_conv() {
        // x = [0,1,2,3,4], kernel [1, 1] with dilation 2 -> x[i] + x[i+2] = [2, 4, 6]
        let x = iota(&[1, 1, 5]);
        let w = t(&[1, 1, 2], vec![1.0, 1.0]);
        let attrs = Attrs::new().with("dilations", Attr::Ints(vec![2]));
        assert_eq!(conv(&attrs, &[Some(&x), Some(&w)]).unwrap().to_f64_vec(), vec![2.0, 4.0, 6.0]);
    }

    #[test]
    fn onnx_conv_transpose_example() {
        // ONNX ConvTranspose example: x = 0..9 as [1,1,3,3], W = ones [1,2,3,3] -> [1,2,5,5].
        let x = iota(&[1, 1, 3, 3]);
        let w = t(&[1, 2, 3, 3], vec![1.0; 18]);
        let y = conv_transpose(&Attrs::new(), &[Some(&x), Some(&w)]).unwrap();
        assert_eq!(y.dims(), &[1, 2, 5, 5]);
        let plane = [
            0., 1., 3., 3., 2., 3., 8., 15., 12., 7., 9., 21., 36., 27., 15., 9., 20., 33., 24., 13., 6., 13., 21.,
            15., 8.,
        ];
        let mut want = plane.to_vec();
        want.extend_from_slice(&plane);
        assert_eq!(y.to_f64_vec(), want);
    }

    #[test]
    fn conv_transpose_stride_and_padding() {
        // 1-D: x = [1, 2], kernel [1, 1, 1], stride 2 -> full [1,1,3,2,2]; pads [1,1] -> [1,3,2]
        let x = t(&[1, 1, 2], vec![1.0, 2.0]);
        let w = t(&[1, 1, 3], vec![1.0, 1.0, 1.0]);
        let attrs = Attrs::new().with("strides", Attr::Ints(vec![2]));
        assert_eq!(conv_transpose(&attrs, &[Some(&x), Some(&w)]).unwrap().to_f64_vec(), vec![1., 1., 3., 2., 2.]);
        let padded = attrs.clone().with("pads", Attr::Ints(vec![1, 1]));
        assert_eq!(conv_transpose(&padded, &[Some(&x), Some(&w)]).unwrap().to_f64_vec(), vec![1., 3., 2.]);
        let extra = attrs.with("output_padding", Attr::Ints(vec![1]));
        assert_eq!(conv_transpose(&extra, &[Some(&x), Some(&w)]).unwrap().to_f64_vec(), vec![1., 1., 3., 2., 2., 0.]);
    }
}
