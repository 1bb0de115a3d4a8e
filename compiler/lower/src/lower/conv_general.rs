//! Convolutions the direct kernels do not cover: run-time weights, three
//! spatial axes and transposed convolutions other than the constant 2-D
//! one. They all become `Im2col` + `Gemm` over kernels that exist already:
//!
//! - **Convolution** (1 to 3 spatial axes, any groups, weights constant or
//!   not): the input seen as 3-D `[n, c, D, H, W]`. Depth padding is made
//!   explicit (`Fill` + copy); the depth taps become channels of a copy
//!   `[n, Do, c·kd, H, W]` of the input (a strided view per output depth);
//!   one 2-D `Im2col` per image, group and output depth then writes
//!   `cols[n][group][Do·oh·ow][icg·kd·kh·kw]`, and one `Gemm` per image
//!   (batched over the groups) computes `W_g · colsᵀ` straight into the
//!   `[n, oc, Do·oh·ow]` output, the weights read as A in place. A bias is a
//!   broadcast `Map` add.
//! - **Transposed convolution**: `y[Y] = Σ x[X]·w[K]` over `X·s + K·d − p = Y`
//!   is the plain convolution (stride 1, dilation `d`, no padding) of the
//!   input with `s − 1` zeros inserted after every element (a `Select` map
//!   against a constant one-hot mask) and padded by `(k−1)·d − p` before
//!   and up to `out + (k−1)·d` in all, by the weights transposed per group
//!   and flipped on every spatial axis (a strided copy with negative
//!   strides, made at compile time for constant weights).

use super::{Lowerer, OpResult};
use crate::kernel::{BinaryOp, Conv2dGeom, GemmB, Kernel, Loc, MapOp};
use crate::kernel::{Gemm, Im2col};
use crate::view::{Base, View, dense_strides};

/// Per-spatial-axis geometry of a convolution (1 to 3 axes).
pub(crate) struct NdConv {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads_begin: Vec<usize>,
    pub pads_end: Vec<usize>,
    pub output: Vec<usize>,
}

fn at(loc: Loc, by: usize) -> Loc {
    Loc { region: loc.region, offset: loc.offset + by }
}

/// `v` with size-1 spatial axes inserted before its own so that it has
/// three (`[a, b, S..]` → `[a, b, 1.., S..]`).
fn lift3(v: &View) -> OpResult<View> {
    let spatial = v.dims.len() - 2;
    let mut dims = v.dims[..2].to_vec();
    dims.extend(std::iter::repeat_n(1, 3 - spatial));
    dims.extend_from_slice(&v.dims[2..]);
    v.reshape(&dims).ok_or_else(|| "internal: size-1 axes do not reshape".to_string())
}

/// A per-axis list lifted to three axes with `fill` in front.
fn lift_list(v: &[usize], fill: usize) -> Vec<usize> {
    let mut out = vec![fill; 3 - v.len()];
    out.extend_from_slice(v);
    out
}

impl Lowerer<'_> {
    /// `conv(x, w) + bias` for `x: [n, c, S..]`, `w: [oc, c/groups, K..]`
    /// (any views, constant or not) and an optional `bias: [oc]`; returns
    /// the dense `[n, oc, O..]` output.
    pub(crate) fn conv_im2col(
        &mut self,
        x: &View,
        w: &View,
        bias: Option<&View>,
        groups: usize,
        g: &NdConv,
    ) -> OpResult<View> {
        let spatial = x.dims.len().saturating_sub(2);
        if !(1..=3).contains(&spatial) || w.dims.len() != x.dims.len() || g.kernel.len() != spatial {
            return Err(format!("convolutions of {spatial} spatial axes are not supported"));
        }
        let (n, c, oc) = (x.dims[0], x.dims[1], w.dims[0]);
        let icg = w.dims[1];
        if groups == 0 || c != icg * groups || oc % groups != 0 {
            return Err(format!("{c} channels do not fit weights {:?} in {groups} groups", w.dims));
        }
        let ocg = oc / groups;
        let mut out_dims = vec![n, oc];
        out_dims.extend_from_slice(&g.output);
        let [k, s, d] = [&g.kernel, &g.strides, &g.dilations].map(|v| lift_list(v, 1));
        let [pb, pe] = [&g.pads_begin, &g.pads_end].map(|v| lift_list(v, 0));
        let o = lift_list(&g.output, 1);
        let mut x3 = lift3(x)?;
        let w3 = lift3(w)?;
        if pb[0] + pe[0] > 0 {
            x3 = self.pad_axis(&x3, 2, pb[0], pe[0], 0.0);
        }
        let (depth, h, wd) = (x3.dims[2], x3.dims[3], x3.dims[4]);
        if o[0] > 0 && (o[0] - 1) * s[0] + (k[0] - 1) * d[0] >= depth {
            return Err(format!("internal: output depth {} does not fit the input depth {depth}", o[0]));
        }
        // [n, Do, c, kd, H, W]: output depth `z` and depth tap `t` read input depth z·sd + t·dd.
        let sd = x3.strides[2];
        let expanded = View {
            base: x3.base,
            offset: x3.offset,
            dims: vec![n, o[0], c, k[0], h, wd],
            strides: vec![
                x3.strides[0],
                sd * s[0] as isize,
                x3.strides[1],
                sd * d[0] as isize,
                x3.strides[3],
                x3.strides[4],
            ],
        };
        let xe = self.dense(&expanded);
        let out = self.new_dense(&[n, oc, o.iter().product()]);
        if out.numel() == 0 {
            return out.reshape(&out_dims).ok_or_else(|| "internal: empty output".into());
        }
        let cg = icg * k[0];
        let ckk = cg * k[1] * k[2];
        let plane = o[1] * o[2];
        let positions = o[0] * plane;
        let cols = self.new_dense(&[n * groups * positions, ckk]);
        let (xe_loc, cols_loc) = (self.loc(&xe), self.loc(&cols));
        let geom = Conv2dGeom {
            c: cg,
            h,
            w: wd,
            oc: cg,
            oh: o[1],
            ow: o[2],
            kh: k[1],
            kw: k[2],
            stride_h: s[1],
            stride_w: s[2],
            pad_top: pb[1],
            pad_left: pb[2],
            dil_h: d[1],
            dil_w: d[2],
            groups: 1,
        };
        for i in 0..n {
            for gi in 0..groups {
                for z in 0..o[0] {
                    let src = ((i * o[0] + z) * c * k[0] + gi * cg) * h * wd;
                    let dst = ((i * groups + gi) * positions + z * plane) * ckk;
                    self.emit(Kernel::Im2col(Im2col { geom, x: at(xe_loc, src), out: at(cols_loc, dst) }));
                }
            }
        }
        let wdense = self.dense(&w3);
        let (w_loc, out_loc) = (self.loc(&wdense), self.loc(&out));
        for i in 0..n {
            let b = GemmB::Strided {
                at: at(cols_loc, i * groups * positions * ckk),
                row_stride: 1,
                col_stride: ckk as isize,
                batch_stride: (positions * ckk) as isize,
            };
            self.emit_gemm(Kernel::Gemm(Gemm {
                m: ocg,
                n: positions,
                k: ckk,
                batch: groups,
                a: w_loc,
                lda: ckk,
                a_batch_stride: ocg * ckk,
                b,
                c: at(out_loc, i * oc * positions),
                ldc: positions,
                c_batch_stride: ocg * positions,
                bias: None,
                bias_batch_stride: 0,
                residual: None,
                act: crate::kernel::Activation::None,
            }));
        }
        let y = match bias {
            Some(b) => {
                if b.dims != [oc] {
                    return Err(format!("the bias {:?} does not hold {oc} values", b.dims));
                }
                let per_channel = View { dims: out.dims.clone(), strides: vec![0, b.strides[0], 0], ..b.clone() };
                self.map(MapOp::Binary(BinaryOp::Add), &out.dims.clone(), &[out, per_channel])
            }
            None => out,
        };
        y.reshape(&out_dims).ok_or_else(|| "internal: a dense view does not reshape".into())
    }

    /// A transposed convolution of `x: [n, c, X..]` by `w: [c, oc/groups,
    /// K..]` (see the module docs); `pads_begin` and `output` as ONNX
    /// resolves them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn conv_transpose_im2col(
        &mut self,
        x: &View,
        w: &View,
        bias: Option<&View>,
        groups: usize,
        strides: &[usize],
        dilations: &[usize],
        pads_begin: &[usize],
        output: &[usize],
    ) -> OpResult<View> {
        let r = x.dims.len().saturating_sub(2);
        if r == 0 || w.dims.len() != r + 2 || [strides.len(), dilations.len(), pads_begin.len(), output.len()] != [r; 4]
        {
            return Err(format!("unsupported transposed convolution of {:?} by {:?}", x.dims, w.dims));
        }
        let (c, ocg) = (w.dims[0], w.dims[1]);
        if groups == 0 || x.dims[1] != c || c % groups != 0 {
            return Err(format!("{} channels do not fit weights {:?} in {groups} groups", x.dims[1], w.dims));
        }
        let icg = c / groups;
        let kernel = w.dims[2..].to_vec();
        // Zeros inserted: [n, c, X1, s1, ..] with x at offset 0 of each s-block.
        let mut z = x.clone();
        if strides.iter().any(|&s| s > 1) {
            let mut dims = x.dims[..2].to_vec();
            let mut x_strides = x.strides[..2].to_vec();
            let mut m_strides = vec![0isize; 2];
            let mask_strides = dense_strides(strides);
            for a in 0..r {
                dims.extend([x.dims[2 + a], strides[a]]);
                x_strides.extend([x.strides[2 + a], 0]);
                m_strides.extend([0, mask_strides[a]]);
            }
            let mut one_hot = vec![0.0f32; strides.iter().product()];
            one_hot[0] = 1.0;
            let mask = self.const_view(one_hot, strides);
            let mask = View { dims: dims.clone(), strides: m_strides, ..mask };
            let zero = self.const_view(vec![0.0], &[]);
            let zero = View { dims: dims.clone(), strides: vec![0; dims.len()], ..zero };
            let xs = View { dims: dims.clone(), strides: x_strides, ..x.clone() };
            let inserted = self.map(MapOp::Select, &dims, &[mask, xs, zero]);
            let mut zdims = x.dims[..2].to_vec();
            zdims.extend((0..r).map(|a| x.dims[2 + a] * strides[a]));
            z = inserted.reshape(&zdims).ok_or("internal: a dense view does not reshape")?;
        }
        // Padded (or cropped) to `out + (k−1)·d`, starting `(k−1)·d − p` before the data.
        for a in 0..r {
            let reach = ((kernel[a] - 1) * dilations[a]) as i64;
            let len = z.dims[2 + a] as i64;
            let begin = reach - pads_begin[a] as i64;
            let end = output[a] as i64 + reach - begin - len;
            let crop_b = (-begin).max(0) as usize;
            let crop_e = (-end).max(0) as usize;
            let kept = (len as usize)
                .checked_sub(crop_b + crop_e)
                .ok_or_else(|| format!("the transposed convolution pads crop axis {a} below 0"))?;
            z = z.slice_axis(2 + a, crop_b, 1, kept);
            let (pb, pe) = (begin.max(0) as usize, end.max(0) as usize);
            if pb + pe > 0 {
                z = self.pad_axis(&z, 2 + a, pb, pe, 0.0);
            }
        }
        // Weights [c, ocg, K..] → [groups·ocg, icg, K..], flipped spatially.
        let mut gdims = vec![groups, icg, ocg];
        gdims.extend_from_slice(&kernel);
        let wg = match w.reshape(&gdims) {
            Some(v) => v,
            None => self.dense(w).reshape(&gdims).ok_or("internal: a dense view does not reshape")?,
        };
        let mut perm = vec![0, 2, 1];
        perm.extend(3..3 + r);
        let mut flipped = wg.permute(&perm);
        for (a, &k) in kernel.iter().enumerate() {
            flipped = flipped.slice_axis(3 + a, k - 1, -1, k);
        }
        let mut wdims = vec![groups * ocg, icg];
        wdims.extend_from_slice(&kernel);
        let wt = self.dense(&flipped).reshape(&wdims).ok_or("internal: a dense view does not reshape")?;
        let geometry = NdConv {
            kernel,
            strides: vec![1; r],
            dilations: dilations.to_vec(),
            pads_begin: vec![0; r],
            pads_end: vec![0; r],
            output: output.to_vec(),
        };
        self.conv_im2col(&z, &wt, bias, groups, &geometry)
    }

    /// Whether a view reads the arena (a run-time value).
    pub(crate) fn is_runtime(v: &View) -> bool {
        matches!(v.base, Base::Arena(_))
    }
}
