//! MatMul, Gemm and Einsum (batched-matmul forms) as `Gemm` kernels.
//!
//! A constant right operand shared by all batches is packed into panels
//! ([`crate::GemmB::Packed`]) and, with few rows, split by columns
//! ([`Lowerer::emit_gemm`]); any other right operand is read through its
//! strides. Batch axes merge where the strides allow it; a shared right
//! operand with row-continuous batches folds the batch into `m`; what
//! cannot merge becomes one kernel per outer batch index.

use super::fuse::{Absorbs, Epilogue};
use super::{Lowerer, OpResult};
use crate::GEMM_COL_BLOCK;
use crate::kernel::Gemm;
use crate::kernel::{Activation, BinaryOp, GemmB, Kernel, Loc, MapOp};
use crate::view::{View, coalesce, inverse_perm};
use crate::weights::pack_b;
use vitc_ir::{NodeId, Value};

/// GEMMs with at most this many rows (all batches) are split by columns.
const COL_SPLIT_MAX_ROWS: usize = 64;

/// What a GEMM adds to `A · B`.
pub(crate) struct GemmExtras {
    /// Per-column factors folded into a constant B.
    pub scale: Option<Vec<f32>>,
    pub bias: Option<Vec<f32>>,
    /// Dense, shaped like the output.
    pub residual: Option<View>,
    pub act: Activation,
    /// Store the output permuted: the buffer holds `[batch.., m, n]`
    /// permuted by this (the last axis must stay last).
    pub out_perm: Option<Vec<usize>>,
}

impl GemmExtras {
    pub fn none() -> GemmExtras {
        GemmExtras { scale: None, bias: None, residual: None, act: Activation::None, out_perm: None }
    }
}

fn shift(loc: Loc, by: isize) -> Loc {
    Loc { region: loc.region, offset: (loc.offset as isize + by) as usize }
}

impl Lowerer<'_> {
    /// `v` stored densely except for broadcast (stride 0) axes, which stay
    /// broadcast.
    fn dense_keep_broadcast(&mut self, v: &View) -> View {
        let core_dims: Vec<usize> = v.dims.iter().zip(&v.strides).map(|(&d, &s)| if s == 0 { 1 } else { d }).collect();
        let core = View { dims: core_dims, ..v.clone() };
        let d = self.dense(&core);
        View {
            dims: v.dims.clone(),
            strides: d.strides.iter().zip(&v.strides).map(|(&ds, &s)| if s == 0 { 0 } else { ds }).collect(),
            ..d
        }
    }

    /// `A · B` for `a: [batch.., m, k]` and `b: [batch.., k, n]` (batch axes
    /// equal) into a new dense `[batch.., m, n]` buffer.
    pub(crate) fn gemm_views(&mut self, a: &View, b: &View, extras: GemmExtras) -> OpResult<View> {
        let r = a.dims.len();
        if r < 2 || b.dims.len() != r || a.dims[..r - 2] != b.dims[..r - 2] || a.dims[r - 1] != b.dims[r - 2] {
            return Err(format!("internal: gemm operands {:?} and {:?} do not fit", a.dims, b.dims));
        }
        let (m, k, n) = (a.dims[r - 2], a.dims[r - 1], b.dims[r - 1]);
        let bdims = a.dims[..r - 2].to_vec();
        let mut out_dims = bdims.clone();
        out_dims.extend([m, n]);
        let out = match &extras.out_perm {
            Some(perm) => {
                if extras.residual.is_some() || perm.last() != Some(&(r - 1)) || perm.len() != r {
                    return Err(format!("internal: unusable output permutation {perm:?}"));
                }
                let pdims: Vec<usize> = perm.iter().map(|&p| out_dims[p]).collect();
                self.new_dense(&pdims).permute(&inverse_perm(perm))
            }
            None => self.new_dense(&out_dims),
        };
        if out.numel() == 0 {
            return Ok(out);
        }
        let ldc = if m > 1 { out.strides[r - 2] as usize } else { n };
        let a_ok = (k == 1 || a.strides[r - 1] == 1) && a.strides[..r - 1].iter().all(|&s| s >= 0);
        let a = if a_ok { a.clone() } else { self.dense_keep_broadcast(a) };
        let lda = if m > 1 { a.strides[r - 2] as usize } else { k };
        let b_const = Self::is_const(b);
        let b_shared = b.strides[..r - 2].iter().zip(&bdims).all(|(&s, &d)| s == 0 || d == 1);
        let scaled = |values: Vec<f32>, cols: usize, scale: &Option<Vec<f32>>| -> Vec<f32> {
            match scale {
                Some(s) => values.iter().enumerate().map(|(i, v)| v * s[i % cols]).collect(),
                None => values,
            }
        };
        let (gemm_b, b_strides) = if b_const && b_shared {
            let core = View { dims: vec![k, n], strides: b.strides[r - 2..].to_vec(), ..b.clone() };
            let values = scaled(self.const_values(&core).ok_or("internal: constant B")?, n, &extras.scale);
            let packed = pack_b(k, n, self.gemm_nr, |kk, j| values[kk * n + j]);
            (GemmB::Packed { at: self.blob_f32(&packed), nr: self.gemm_nr, batch_stride: 0 }, vec![0isize; bdims.len()])
        } else {
            let b = if extras.scale.is_some() {
                let values = self.const_values(b).ok_or("internal: a run-time B cannot be scaled")?;
                self.const_view(scaled(values, n, &extras.scale), &b.dims)
            } else {
                b.clone()
            };
            let at = self.loc(&b);
            let gb = GemmB::Strided { at, row_stride: b.strides[r - 2], col_stride: b.strides[r - 1], batch_stride: 0 };
            (gb, b.strides[..r - 2].to_vec())
        };
        let bias = extras.bias.as_ref().map(|bias| self.blob_f32(bias));
        let residual = match &extras.residual {
            Some(res) => {
                let res = self.dense(res);
                Some(self.loc(&res))
            }
            None => None,
        };
        let c_strides = out.strides[..r - 2].to_vec();
        let a_strides = a.strides[..r - 2].to_vec();
        let (cdims, cstr) = coalesce(&bdims, &[a_strides, b_strides, c_strides]);
        let (sa, sb, sc) = (&cstr[0], &cstr[1], &cstr[2]);
        let a_loc = self.loc(&a);
        let c_loc = self.loc(&out);
        let last = cdims.len() - 1;
        let fold = cdims.len() == 1 && sb[0] == 0 && sa[0] == (m * lda) as isize && sc[0] == (m * ldc) as isize;
        let outer: usize = cdims[..last].iter().product();
        for o in 0..outer {
            // Offsets of outer batch index `o` (row-major over cdims[..last]).
            let (mut rem, mut da, mut db, mut dc) = (o, 0isize, 0isize, 0isize);
            for ax in (0..last).rev() {
                let i = (rem % cdims[ax]) as isize;
                rem /= cdims[ax];
                da += i * sa[ax];
                db += i * sb[ax];
                dc += i * sc[ax];
            }
            let b = match &gemm_b {
                GemmB::Packed { at, nr, batch_stride } => {
                    GemmB::Packed { at: *at, nr: *nr, batch_stride: *batch_stride }
                }
                GemmB::Strided { at, row_stride, col_stride, .. } => GemmB::Strided {
                    at: shift(*at, db),
                    row_stride: *row_stride,
                    col_stride: *col_stride,
                    batch_stride: sb[last],
                },
            };
            let (m, batch, a_bs, c_bs) =
                if fold { (m * cdims[0], 1, 0, 0) } else { (m, cdims[last], sa[last] as usize, sc[last] as usize) };
            self.emit_gemm(Kernel::Gemm(Gemm {
                m,
                n,
                k,
                batch,
                a: shift(a_loc, da),
                lda,
                a_batch_stride: a_bs,
                b,
                c: shift(c_loc, dc),
                ldc,
                c_batch_stride: c_bs,
                bias,
                bias_batch_stride: 0,
                residual: residual.map(|l| shift(l, dc)),
                act: extras.act,
            }));
        }
        Ok(out)
    }

    pub(crate) fn matmul(&mut self, id: NodeId) -> OpResult<()> {
        let mut a = self.input(id, 0)?;
        let mut b = self.input(id, 1)?;
        if a.dims.is_empty() || b.dims.is_empty() {
            return Err("matmul operands must have rank ≥ 1".into());
        }
        let b_vec = b.dims.len() == 1;
        if a.dims.len() == 1 {
            a = a.reshape(&[1, a.dims[0]]).ok_or("internal: vector reshape")?;
        }
        if b_vec {
            b = b.reshape(&[b.dims[0], 1]).ok_or("internal: vector reshape")?;
        }
        let (ra, rb) = (a.dims.len(), b.dims.len());
        let bdims = vitc_ir::geometry::broadcast_sizes(&a.dims[..ra - 2], &b.dims[..rb - 2])?;
        let mut ad = bdims.clone();
        ad.extend_from_slice(&a.dims[ra - 2..]);
        let mut bd = bdims;
        bd.extend_from_slice(&b.dims[rb - 2..]);
        let (a, b) = (a.broadcast_to(&ad)?, b.broadcast_to(&bd)?);
        let out_dims = self.out_dims(id, 0)?;
        let b_const = Self::is_const(&b);
        let promoted = b_vec || out_dims.len() != a.dims.len();
        let epi = if promoted {
            Epilogue::none()
        } else {
            self.plan_epilogue(
                Value::first(id),
                &out_dims,
                out_dims.len() - 1,
                Absorbs { scale: b_const, residual: true, transpose: true },
            )
        };
        let n = b.dims[b.dims.len() - 1];
        let mut gemm_dims = a.dims.clone();
        if let Some(last) = gemm_dims.last_mut() {
            *last = n;
        }
        let residual = match epi.residual {
            Some(r) => {
                let r = self.view(r)?;
                Some(self.reshape_or_copy(&r, &gemm_dims)?)
            }
            None => None,
        };
        let extras = GemmExtras {
            scale: epi.scale.clone(),
            bias: epi.combined_bias(None, n),
            residual,
            act: epi.act,
            out_perm: epi.perm.clone(),
        };
        let c = self.gemm_views(&a, &b, extras)?;
        let y = self.reshape_or_copy(&c, &out_dims)?;
        self.set(id, 0, y.clone());
        self.commit_epilogue(&epi, &y)
    }

    pub(crate) fn gemm(&mut self, id: NodeId) -> OpResult<()> {
        let attrs = self.attrs(id);
        let mut a = self.input(id, 0)?;
        let mut b = self.input(id, 1)?;
        if a.dims.len() != 2 || b.dims.len() != 2 {
            return Err("gemm operands must be 2-D".into());
        }
        if attrs.int_or("transA", 0)? != 0 {
            a = a.permute(&[1, 0]);
        }
        if attrs.int_or("transB", 0)? != 0 {
            b = b.permute(&[1, 0]);
        }
        let (alpha, beta) = (attrs.float_or("alpha", 1.0)?, attrs.float_or("beta", 1.0)?);
        let (m, n) = (a.dims[0], b.dims[1]);
        let b_const = Self::is_const(&b);
        let mut alpha_in_b = false;
        if alpha != 1.0 {
            if b_const {
                alpha_in_b = true;
            } else if let Some(values) = self.const_values(&a) {
                a = self.const_view(values.iter().map(|v| v * alpha).collect(), &a.dims);
            } else {
                let s = self.const_view(vec![alpha], &[1]).broadcast_to(&a.dims)?;
                a = self.map(MapOp::Binary(BinaryOp::Mul), &a.dims.clone(), &[a, s]);
            }
        }
        let (mut own_bias, mut residual) = (None, None);
        if let Some(c) = self.optional_input(id, 2)? {
            let c = c.broadcast_to(&[m, n])?;
            if Self::is_const(&c) && (c.strides[0] == 0 || m == 1) {
                // One row for all: the bias.
                let row = View { dims: vec![n], strides: vec![c.strides[1]], ..c.clone() };
                let values = self.const_values(&row).ok_or("internal: constant C")?;
                own_bias = Some(values.iter().map(|v| v * beta).collect::<Vec<f32>>());
            } else if let Some(values) = self.const_values(&c) {
                residual = Some(self.const_view(values.iter().map(|v| v * beta).collect(), &[m, n]));
            } else if beta == 1.0 {
                residual = Some(c);
            } else {
                let s = self.const_view(vec![beta], &[1]).broadcast_to(&[m, n])?;
                residual = Some(self.map(MapOp::Binary(BinaryOp::Mul), &[m, n], &[c, s]));
            }
        }
        let absorbs = Absorbs { scale: b_const && residual.is_none(), residual: residual.is_none(), transpose: false };
        let epi = self.plan_epilogue(Value::first(id), &[m, n], 1, absorbs);
        if let Some(r) = epi.residual {
            residual = Some(self.view(r)?);
        }
        let mut scale = epi.scale.clone();
        if alpha_in_b {
            scale = Some(scale.unwrap_or_else(|| vec![1.0; n]).iter().map(|s| s * alpha).collect());
        }
        let extras = GemmExtras {
            scale,
            bias: epi.combined_bias(own_bias.as_deref(), n),
            residual,
            act: epi.act,
            out_perm: None,
        };
        let y = self.gemm_views(&a, &b, extras)?;
        self.set(id, 0, y.clone());
        self.commit_epilogue(&epi, &y)
    }

    /// Two-operand einsums that are batched matrix products (every label in
    /// both operands and the output is a batch axis, every label in both
    /// operands only is contracted), and one-operand permutations.
    pub(crate) fn einsum(&mut self, id: NodeId) -> OpResult<()> {
        let equation = self.attrs(id).str_or("equation", "")?;
        let spec = vitc_ir::infer::parse_einsum(equation)?;
        let unsupported = || format!("equation '{equation}' is not a batched matrix product");
        if spec.inputs.iter().flatten().chain(&spec.output).any(|&c| c == '.') {
            return Err(format!("equation '{equation}': ellipsis is not supported"));
        }
        let distinct = |t: &[char]| t.iter().enumerate().all(|(i, c)| !t[..i].contains(c));
        if !spec.inputs.iter().all(|t| distinct(t)) || !distinct(&spec.output) {
            return Err(format!("equation '{equation}': repeated labels (traces, diagonals) are not supported"));
        }
        let out_dims = self.out_dims(id, 0)?;
        let lo = &spec.output;
        if spec.inputs.len() == 1 {
            let x = self.input(id, 0)?;
            let li = &spec.inputs[0];
            if li.len() != lo.len() {
                return Err(unsupported());
            }
            let perm: Vec<usize> =
                lo.iter().map(|c| li.iter().position(|x| x == c).ok_or_else(unsupported)).collect::<Result<_, _>>()?;
            self.set(id, 0, x.permute(&perm));
            return Ok(());
        }
        if spec.inputs.len() != 2 {
            return Err(unsupported());
        }
        let (la, lb) = (&spec.inputs[0], &spec.inputs[1]);
        let (a, b) = (self.input(id, 0)?, self.input(id, 1)?);
        let size = |l: &[char], v: &View, c: char| l.iter().position(|x| *x == c).map(|p| v.dims[p]);
        let batch: Vec<char> = lo.iter().copied().filter(|c| la.contains(c) && lb.contains(c)).collect();
        let ms: Vec<char> = la.iter().copied().filter(|c| lo.contains(c) && !lb.contains(c)).collect();
        let ns: Vec<char> = lb.iter().copied().filter(|c| lo.contains(c) && !la.contains(c)).collect();
        let ks: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && !lo.contains(c)).collect();
        if la.iter().chain(lb).any(|c| !(lo.contains(c) || (la.contains(c) && lb.contains(c)))) {
            return Err(format!("equation '{equation}': sums over a label of one operand are not supported"));
        }
        for &c in batch.iter().chain(&ks) {
            if size(la, &a, c) != size(lb, &b, c) {
                return Err(format!("equation '{equation}': label '{c}' has different sizes (broadcasting)"));
            }
        }
        let pos = |l: &[char], c: char| l.iter().position(|x| *x == c).unwrap_or(0);
        let perm_a: Vec<usize> = batch.iter().chain(&ms).chain(&ks).map(|&c| pos(la, c)).collect();
        let perm_b: Vec<usize> = batch.iter().chain(&ks).chain(&ns).map(|&c| pos(lb, c)).collect();
        let bdims: Vec<usize> = batch.iter().map(|&c| size(la, &a, c).unwrap_or(1)).collect();
        let prod =
            |l: &[char], v: &View, cs: &[char]| cs.iter().map(|&c| size(l, v, c).unwrap_or(1)).product::<usize>();
        let (m, k, n) = (prod(la, &a, &ms), prod(la, &a, &ks), prod(lb, &b, &ns));
        let mut ad = bdims.clone();
        ad.extend([m, k]);
        let mut bd = bdims.clone();
        bd.extend([k, n]);
        let a2 = self.reshape_or_copy(&a.permute(&perm_a), &ad)?;
        let b2 = self.reshape_or_copy(&b.permute(&perm_b), &bd)?;
        let c = self.gemm_views(&a2, &b2, GemmExtras::none())?;
        let order: Vec<char> = batch.iter().chain(&ms).chain(&ns).copied().collect();
        let mut full: Vec<usize> = bdims;
        full.extend(ms.iter().map(|&c| size(la, &a, c).unwrap_or(1)));
        full.extend(ns.iter().map(|&c| size(lb, &b, c).unwrap_or(1)));
        let c = self.reshape_or_copy(&c, &full)?;
        let perm_out: Vec<usize> = lo.iter().map(|&c| pos(&order, c)).collect();
        let y = c.permute(&perm_out);
        if y.dims != out_dims {
            return Err(format!("internal: einsum gives {:?}, inference {:?}", y.dims, out_dims));
        }
        self.set(id, 0, y);
        Ok(())
    }

    /// Emits a GEMM, column-split when it has few rows and many columns
    /// (see [`Kernel::Gemm`]): the blocks of [`GEMM_COL_BLOCK`] columns
    /// become its batches, the columns past the last whole block one more
    /// GEMM.
    pub(crate) fn emit_gemm(&mut self, kernel: Kernel) {
        let Kernel::Gemm(Gemm {
            m,
            n,
            k,
            batch: 1,
            a,
            lda,
            b: GemmB::Packed { at, nr, batch_stride: 0 },
            c,
            ldc,
            bias,
            residual,
            act,
            ..
        }) = kernel
        else {
            return self.emit(kernel);
        };
        let blocks = n / GEMM_COL_BLOCK;
        if m > COL_SPLIT_MAX_ROWS || blocks < 2 || !GEMM_COL_BLOCK.is_multiple_of(nr) {
            return self.emit(kernel);
        }
        let split = blocks * GEMM_COL_BLOCK;
        let shift = |l: Loc, by: usize| Loc { offset: l.offset + by, ..l };
        self.emit(Kernel::Gemm(Gemm {
            m,
            n: GEMM_COL_BLOCK,
            k,
            batch: blocks,
            a,
            lda,
            a_batch_stride: 0,
            b: GemmB::Packed { at, nr, batch_stride: GEMM_COL_BLOCK * k },
            c,
            ldc,
            c_batch_stride: GEMM_COL_BLOCK,
            bias,
            bias_batch_stride: GEMM_COL_BLOCK,
            residual,
            act,
        }));
        if split < n {
            self.emit(Kernel::Gemm(Gemm {
                m,
                n: n - split,
                k,
                batch: 1,
                a,
                lda,
                a_batch_stride: 0,
                b: GemmB::Packed { at: shift(at, split * k), nr, batch_stride: 0 },
                c: shift(c, split),
                ldc,
                c_batch_stride: 0,
                bias: bias.map(|l| shift(l, split)),
                bias_batch_stride: 0,
                residual: residual.map(|l| shift(l, split)),
                act,
            }));
        }
    }
}
