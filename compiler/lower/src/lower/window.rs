//! Convolutions and pools (1-D ones as 2-D with height 1).
//!
//! - Dense convolutions: `Im2col` per image into a scratch buffer, then one
//!   `Gemm` with the packed `(c·kh·kw) × oc` weights; the result is the
//!   transposed view of the `(images·oh·ow) × oc` matrix.
//! - Grouped and depthwise convolutions: `Conv2d` per image, except 1×1
//!   convolutions of 1×1 images (a `Gemm` per group).
//! - ConvTranspose: `ConvTranspose2d` per image; pools: one `Pool2d` over
//!   all images' channels (3-D pools: two separable passes);
//!   GlobalAveragePool: `Reduce` Mean.
//! - Run-time weights or biases, three spatial axes and transposed
//!   convolutions other than the constant 2-D one: `Im2col` + `Gemm`
//!   ([`super::conv_general`]).
//!
//! Per-channel epilogues (bias, BatchNorm, activation) fold into the
//! weights, the bias and the kernel's activation.

use super::conv_general::NdConv;
use super::fuse::Absorbs;
use super::{Lowerer, OpResult};
use crate::kernel::{Conv2d, ConvTranspose2d, Gemm, Im2col, Pool2d, Reduce};
use crate::kernel::{Conv2dGeom, GemmB, Kernel, Loc, PoolKind, ReduceOp};
use crate::view::{View, dense_strides};
use crate::weights::pack_b;
use vitc_ir::geometry::{TransposedWindow, Window};
use vitc_ir::{NodeId, OpKind, Value};

/// Grouped convolutions of several images become one kernel when the
/// repeated weights stay below this many floats.
const BATCHED_GROUP_WEIGHTS: usize = 1 << 18;

fn at(loc: Loc, by: usize) -> Loc {
    Loc { region: loc.region, offset: loc.offset + by }
}

/// The 2-D geometry of a window op from its 1-D or 2-D form.
fn geom2d(win: &Window, input: &[usize], output: &[usize], c: usize, oc: usize, groups: usize) -> OpResult<Conv2dGeom> {
    let lift = |v: &[usize], fill: usize| -> Vec<usize> { if v.len() == 1 { vec![fill, v[0]] } else { v.to_vec() } };
    if input.len() != output.len() || !(1..=2).contains(&input.len()) {
        return Err(format!("only 1-D and 2-D windows are supported, found {} spatial axes", input.len()));
    }
    let (i, o, k) = (lift(input, 1), lift(output, 1), lift(&win.kernel, 1));
    let (s, d, p) = (lift(&win.strides, 1), lift(&win.dilations, 1), lift(&win.pads_begin, 0));
    Ok(Conv2dGeom {
        c,
        h: i[0],
        w: i[1],
        oc,
        oh: o[0],
        ow: o[1],
        kh: k[0],
        kw: k[1],
        stride_h: s[0],
        stride_w: s[1],
        pad_top: p[0],
        pad_left: p[1],
        dil_h: d[0],
        dil_w: d[1],
        groups,
    })
}

impl Lowerer<'_> {
    /// A constant operand's values, or an error naming it.
    fn const_input(&mut self, id: NodeId, slot: usize, what: &str) -> OpResult<Vec<f32>> {
        let v = self.input(id, slot)?;
        self.const_values(&v).ok_or_else(|| format!("run-time {what} are not supported"))
    }

    /// Whether operand 1 (weights) and the optional operand 2 (bias) are
    /// constants and the op has at most two spatial axes: the direct
    /// kernels' domain.
    fn direct_conv(&mut self, id: NodeId) -> OpResult<bool> {
        let w = self.input(id, 1)?;
        let bias = self.optional_input(id, 2)?;
        Ok(w.dims.len() <= 4 && !Self::is_runtime(&w) && !bias.as_ref().is_some_and(Self::is_runtime))
    }

    /// A convolution through `Im2col` + `Gemm` (run-time weights, 3-D).
    fn conv_general(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let w = self.input(id, 1)?;
        let bias = self.optional_input(id, 2)?;
        let out_dims = self.out_dims(id, 0)?;
        let groups = usize::try_from(self.attrs(id).int_or("group", 1)?).map_err(|_| "negative group")?;
        if x.dims.len() < 3 || w.dims.len() != x.dims.len() || out_dims.len() != x.dims.len() {
            return Err(format!("unsupported convolution of {:?} by {:?}", x.dims, w.dims));
        }
        let win = Window::from_attrs(self.attrs(id), &x.dims[2..], &w.dims[2..])?;
        let geometry = NdConv {
            kernel: win.kernel,
            strides: win.strides,
            dilations: win.dilations,
            pads_begin: win.pads_begin,
            pads_end: win.pads_end,
            output: out_dims[2..].to_vec(),
        };
        let y = self.conv_im2col(&x, &w, bias.as_ref(), groups, &geometry)?;
        self.set(id, 0, y);
        Ok(())
    }

    pub(crate) fn conv(&mut self, id: NodeId) -> OpResult<()> {
        if !self.direct_conv(id)? {
            return self.conv_general(id);
        }
        let x = self.input(id, 0)?;
        let wd = self.in_dims(id, 1)?;
        let mut w = self.const_input(id, 1, "convolution weights")?;
        let bias = match self.graph().operand(id, 2) {
            Some(_) => Some(self.const_input(id, 2, "convolution biases")?),
            None => None,
        };
        let out_dims = self.out_dims(id, 0)?;
        let groups = usize::try_from(self.attrs(id).int_or("group", 1)?).map_err(|_| "negative group")?;
        let xd = x.dims.clone();
        if xd.len() < 3 || wd.len() != xd.len() || groups == 0 {
            return Err(format!("unsupported convolution of {xd:?} by {wd:?} in {groups} groups"));
        }
        let (n_img, c, oc) = (xd[0], xd[1], wd[0]);
        let icg = wd[1];
        if bias.as_ref().is_some_and(|b| b.len() != oc) {
            return Err(format!("the bias does not hold {oc} values"));
        }
        if c != icg * groups || oc % groups != 0 {
            return Err(format!("{c} channels do not fit weights {wd:?} in {groups} groups"));
        }
        let win = Window::from_attrs(self.attrs(id), &xd[2..], &wd[2..])?;
        let g = geom2d(&win, &xd[2..], &out_dims[2..], c, oc, groups)?;
        let absorbs = Absorbs { scale: true, residual: false, transpose: false };
        let epi = self.plan_epilogue(Value::first(id), &out_dims, 1, absorbs);
        let per_oc = w.len() / oc.max(1);
        if let Some(scale) = &epi.scale {
            w.iter_mut().enumerate().for_each(|(i, v)| *v *= scale[i / per_oc]);
        }
        let bias = epi.combined_bias(bias.as_deref(), oc);
        let (ihw, ohw) = (g.h * g.w, g.oh * g.ow);
        let ocg = oc / groups;
        let one_by_one = g.kh == 1 && g.kw == 1 && ihw == 1 && ohw == 1 && g.pad_top == 0 && g.pad_left == 0;
        let y = if one_by_one {
            // Each group: [images × icg] · [icg × ocg] into columns of [images × oc].
            let x = self.dense(&x);
            let out = self.new_dense(&out_dims);
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            for gi in 0..groups {
                let packed = pack_b(icg, ocg, self.gemm_nr, |kk, j| w[(gi * ocg + j) * icg + kk]);
                let b = GemmB::Packed { at: self.blob_f32(&packed), nr: self.gemm_nr, batch_stride: 0 };
                let bias = bias.as_ref().map(|b| self.blob_f32(&b[gi * ocg..(gi + 1) * ocg]));
                self.emit_gemm(Kernel::Gemm(Gemm {
                    m: n_img,
                    n: ocg,
                    k: icg,
                    batch: 1,
                    a: at(x_loc, gi * icg),
                    lda: c,
                    a_batch_stride: 0,
                    b,
                    c: at(out_loc, gi * ocg),
                    ldc: oc,
                    c_batch_stride: 0,
                    bias,
                    bias_batch_stride: 0,
                    residual: None,
                    act: epi.act,
                }));
            }
            out
        } else if groups == 1 {
            let x = self.dense(&x);
            let ckk = c * g.kh * g.kw;
            let cols = self.new_dense(&[n_img * ohw, ckk]);
            let (x_loc, cols_loc) = (self.loc(&x), self.loc(&cols));
            for i in 0..n_img {
                self.emit(Kernel::Im2col(Im2col {
                    geom: g,
                    x: at(x_loc, i * c * ihw),
                    out: at(cols_loc, i * ohw * ckk),
                }));
            }
            let wt = self.const_view(w, &[oc, ckk]).permute(&[1, 0]);
            let extras = super::linalg::GemmExtras { scale: None, bias, residual: None, act: epi.act, out_perm: None };
            let m = self.gemm_views(&cols, &wt, extras)?;
            // [images·oh·ow, oc] seen as [images, oc, spatial..]
            let mut strides = vec![(ohw * oc) as isize, 1];
            strides.extend(dense_strides(&out_dims[2..]).iter().map(|s| s * oc as isize));
            View { base: m.base, offset: m.offset, dims: out_dims.clone(), strides }
        } else {
            let x = self.dense(&x);
            let out = self.new_dense(&out_dims);
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            if n_img > 1 && n_img * w.len() <= BATCHED_GROUP_WEIGHTS {
                // All images as one of n·c channels in n·groups groups, the
                // weights and biases repeated per image.
                let geom = Conv2dGeom { c: n_img * c, oc: n_img * oc, groups: n_img * groups, ..g };
                let w_loc = self.blob_f32(&w.repeat(n_img));
                let bias = bias.as_ref().map(|b| self.blob_f32(&b.repeat(n_img)));
                self.emit(Kernel::Conv2d(Conv2d { geom, x: x_loc, w: w_loc, bias, out: out_loc, act: epi.act }));
            } else {
                let w_loc = self.blob_f32(&w);
                let bias = bias.as_ref().map(|b| self.blob_f32(b));
                for i in 0..n_img {
                    self.emit(Kernel::Conv2d(Conv2d {
                        geom: g,
                        x: at(x_loc, i * c * ihw),
                        w: w_loc,
                        bias,
                        out: at(out_loc, i * oc * ohw),
                        act: epi.act,
                    }));
                }
            }
            out
        };
        self.set(id, 0, y.clone());
        self.commit_epilogue(&epi, &y)
    }

    pub(crate) fn conv_transpose(&mut self, id: NodeId) -> OpResult<()> {
        if !self.direct_conv(id)? || self.in_dims(id, 1)?.len() != 4 {
            let x = self.input(id, 0)?;
            let w = self.input(id, 1)?;
            let bias = self.optional_input(id, 2)?;
            let groups = usize::try_from(self.attrs(id).int_or("group", 1)?).map_err(|_| "negative group")?;
            if x.dims.len() < 3 || w.dims.len() != x.dims.len() {
                return Err(format!("unsupported transposed convolution of {:?} by {:?}", x.dims, w.dims));
            }
            let t = TransposedWindow::from_attrs(self.attrs(id), &x.dims[2..], &w.dims[2..])?;
            let win = &t.window;
            let y = self.conv_transpose_im2col(
                &x,
                &w,
                bias.as_ref(),
                groups,
                &win.strides,
                &win.dilations,
                &win.pads_begin,
                &t.output,
            )?;
            if y.dims != self.out_dims(id, 0)? {
                return Err(format!("internal: transposed output {:?} vs {:?}", y.dims, self.out_dims(id, 0)?));
            }
            self.set(id, 0, y);
            return Ok(());
        }
        let x = self.input(id, 0)?;
        let wd = self.in_dims(id, 1)?;
        let w = self.const_input(id, 1, "convolution weights")?;
        let bias = match self.graph().operand(id, 2) {
            Some(_) => Some(self.const_input(id, 2, "convolution biases")?),
            None => None,
        };
        let out_dims = self.out_dims(id, 0)?;
        let groups = usize::try_from(self.attrs(id).int_or("group", 1)?).map_err(|_| "negative group")?;
        let xd = x.dims.clone();
        if xd.len() != 4 || wd.len() != 4 || groups == 0 || xd[1] != wd[0] || xd[1] % groups != 0 {
            return Err(format!("unsupported transposed convolution of {xd:?} by {wd:?} in {groups} groups"));
        }
        let t = TransposedWindow::from_attrs(self.attrs(id), &xd[2..], &wd[2..])?;
        if t.output != out_dims[2..] {
            return Err(format!("internal: transposed output {:?} vs {:?}", t.output, out_dims));
        }
        let (n_img, c, oc) = (xd[0], xd[1], out_dims[1]);
        if bias.as_ref().is_some_and(|b| b.len() != oc) {
            return Err(format!("the bias does not hold {oc} values"));
        }
        let win = &t.window;
        let geom = Conv2dGeom {
            c,
            h: t.output[0],
            w: t.output[1],
            oc,
            oh: xd[2],
            ow: xd[3],
            kh: wd[2],
            kw: wd[3],
            stride_h: win.strides[0],
            stride_w: win.strides[1],
            pad_top: win.pads_begin[0],
            pad_left: win.pads_begin[1],
            dil_h: win.dilations[0],
            dil_w: win.dilations[1],
            groups,
        };
        let x = self.dense(&x);
        let out = self.new_dense(&out_dims);
        let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
        let w_loc = self.blob_f32(&w);
        let bias = bias.as_ref().map(|b| self.blob_f32(b));
        let (ihw, ohw) = (xd[2] * xd[3], t.output[0] * t.output[1]);
        for i in 0..n_img {
            self.emit(Kernel::ConvTranspose2d(ConvTranspose2d {
                geom,
                x: at(x_loc, i * c * ihw),
                w: w_loc,
                bias,
                out: at(out_loc, i * oc * ohw),
            }));
        }
        self.set(id, 0, out);
        Ok(())
    }

    pub(crate) fn pool(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        let x = self.input(id, 0)?;
        let out_dims = self.out_dims(id, 0)?;
        let xd = x.dims.clone();
        let kernel: Vec<usize> = attrs
            .ints("kernel_shape")?
            .ok_or("attribute 'kernel_shape' is required")?
            .iter()
            .map(|&k| usize::try_from(k).map_err(|_| format!("kernel size {k} is negative")))
            .collect::<Result<_, _>>()?;
        if xd.len() < 3 || kernel.len() != xd.len() - 2 {
            return Err(format!("kernel {kernel:?} does not fit the input {xd:?}"));
        }
        let win = Window::from_attrs(attrs, &xd[2..], &kernel)?;
        let planes = xd[0] * xd[1];
        let kind = if self.graph().node(id).op == OpKind::MaxPool { PoolKind::Max } else { PoolKind::Avg };
        let count_include_pad = attrs.int_or("count_include_pad", 0)? != 0;
        if xd.len() == 5 {
            let y = self.pool3d(&x, &win, &out_dims, kind, count_include_pad)?;
            self.set(id, 0, y);
            return Ok(());
        }
        let geom = geom2d(&win, &xd[2..], &out_dims[2..], planes, planes, 1)?;
        if kind == PoolKind::Avg && count_include_pad {
            // The kernel divides by kh·kw: no window may reach past the end padding.
            for (a, &size) in xd[2..].iter().enumerate() {
                let last = (out_dims[2 + a].max(1) - 1) * win.strides[a] + (win.kernel[a] - 1) * win.dilations[a] + 1;
                if last > size + win.pads_begin[a] + win.pads_end[a] {
                    return Err("count_include_pad with windows past the padding (ceil_mode) is not supported".into());
                }
            }
        }
        let x = self.dense(&x);
        let out = self.new_dense(&out_dims);
        if out.numel() > 0 {
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            self.emit(Kernel::Pool2d(Pool2d { kind, geom, count_include_pad, x: x_loc, out: out_loc }));
        }
        self.set(id, 0, out);
        Ok(())
    }

    /// A 3-D pool as two `Pool2d`s (max and average are separable): the
    /// depth axis with a `kd × 1` window over `(planes, D, H·W)`, then
    /// `kh × kw` over `(planes·D', H, W)`. Both passes skip taps outside the
    /// image and divide by the in-image tap count, whose product is the 3-D
    /// count. With `count_include_pad` the padding is made explicit zeros
    /// first, so the count is the taps inside the padded input (as ONNX
    /// counts them, also for ceil_mode windows past the padding).
    fn pool3d(
        &mut self,
        x: &View,
        win: &Window,
        out_dims: &[usize],
        kind: PoolKind,
        count_include_pad: bool,
    ) -> OpResult<View> {
        let (mut pb, pe) = (win.pads_begin.clone(), win.pads_end.clone());
        let mut v = x.clone();
        if kind == PoolKind::Avg && count_include_pad {
            for a in 0..3 {
                if pb[a] + pe[a] > 0 {
                    v = self.pad_axis(&v, 2 + a, pb[a], pe[a], 0.0);
                }
            }
            pb = vec![0; 3];
        }
        let v = self.dense(&v);
        let planes = v.dims[0] * v.dims[1];
        let (d, h, w) = (v.dims[2], v.dims[3], v.dims[4]);
        let (od, oh, ow) = (out_dims[2], out_dims[3], out_dims[4]);
        let out = self.new_dense(out_dims);
        if out.numel() == 0 {
            return Ok(out);
        }
        let mid = self.new_dense(&[planes, od, h, w]);
        let depth = Conv2dGeom {
            c: planes,
            h: d,
            w: h * w,
            oc: planes,
            oh: od,
            ow: h * w,
            kh: win.kernel[0],
            kw: 1,
            stride_h: win.strides[0],
            stride_w: 1,
            pad_top: pb[0],
            pad_left: 0,
            dil_h: win.dilations[0],
            dil_w: 1,
            groups: 1,
        };
        let plane = Conv2dGeom {
            c: planes * od,
            h,
            w,
            oc: planes * od,
            oh,
            ow,
            kh: win.kernel[1],
            kw: win.kernel[2],
            stride_h: win.strides[1],
            stride_w: win.strides[2],
            pad_top: pb[1],
            pad_left: pb[2],
            dil_h: win.dilations[1],
            dil_w: win.dilations[2],
            groups: 1,
        };
        let (v_loc, mid_loc, out_loc) = (self.loc(&v), self.loc(&mid), self.loc(&out));
        self.emit(Kernel::Pool2d(Pool2d { kind, geom: depth, count_include_pad: false, x: v_loc, out: mid_loc }));
        self.emit(Kernel::Pool2d(Pool2d { kind, geom: plane, count_include_pad: false, x: mid_loc, out: out_loc }));
        Ok(out)
    }

    pub(crate) fn global_average_pool(&mut self, id: NodeId) -> OpResult<()> {
        let x = self.input(id, 0)?;
        let out_dims = self.out_dims(id, 0)?;
        if x.dims.len() < 3 {
            return Err(format!("input {:?} has no spatial axes", x.dims));
        }
        let x = self.dense(&x);
        let out = self.new_dense(&out_dims);
        if out.numel() > 0 {
            let (x_loc, out_loc) = (self.loc(&x), self.loc(&out));
            let reduce = x.dims[2..].iter().product();
            self.emit(Kernel::Reduce(Reduce {
                op: ReduceOp::Mean,
                outer: x.dims[0] * x.dims[1],
                reduce,
                inner: 1,
                src: x_loc,
                out: out_loc,
            }));
        }
        self.set(id, 0, out);
        Ok(())
    }
}
