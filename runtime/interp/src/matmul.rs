//! MatMul (numpy semantics: 1-D operands, broadcast batch axes) and Gemm,
//! both on ndarray's `general_mat_mul` (matrixmultiply's sgemm) over 2-D
//! views; also the batched GEMM that Einsum reuses.

use crate::args::{checked_numel, f32_of, from_vec, numel, row_major};
use crate::broadcast::{Plan, broadcast_to};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayD, ArrayView2, ArrayViewMut2, Ix2, IxDyn};
use rayon::prelude::*;
use vitc_ir::geometry::broadcast_sizes;
use vitc_ir::{Attrs, Tensor};

/// Below this many multiply-adds per matrix, batches run in parallel on
/// rayon (matrixmultiply only threads large products itself).
const SMALL_GEMM: usize = 1 << 21;

/// A matrix operand of [`batched_gemm`]: `data` holds consecutive row-major
/// matrices; with `transposed`, each is stored as `cols x rows` and used
/// transposed.
#[derive(Clone, Copy)]
pub(crate) struct Mats<'a> {
    pub data: &'a [f32],
    pub transposed: bool,
}

impl<'a> Mats<'a> {
    fn view(&self, index: usize, rows: usize, cols: usize) -> Result<ArrayView2<'a, f32>, String> {
        let size = rows * cols;
        let start = index * size;
        let slice = self
            .data
            .get(start..start + size)
            .ok_or_else(|| format!("internal: matrix {index} of {rows}x{cols} is out of bounds"))?;
        if self.transposed {
            Ok(ArrayView2::from_shape((cols, rows), slice).map_err(|e| e.to_string())?.reversed_axes())
        } else {
            ArrayView2::from_shape((rows, cols), slice).map_err(|e| e.to_string())
        }
    }
}

/// For each `(i, j)` of `pairs`: `A[i] (m x k) · B[j] (k x n)`, stacked into
/// a row-major `[pairs.len(), m, n]` buffer.
pub(crate) fn batched_gemm(
    a: Mats<'_>,
    b: Mats<'_>,
    m: usize,
    k: usize,
    n: usize,
    pairs: &[(usize, usize)],
) -> Result<Vec<f32>, String> {
    let mut out = vec![0.0f32; checked_numel(&[pairs.len(), m, n])?];
    if m * n == 0 || k == 0 {
        return Ok(out);
    }
    let one = |c: &mut [f32], (i, j): (usize, usize)| -> Result<(), String> {
        let av = a.view(i, m, k)?;
        let bv = b.view(j, k, n)?;
        let mut cv = ArrayViewMut2::from_shape((m, n), c).map_err(|e| e.to_string())?;
        general_mat_mul(1.0, &av, &bv, 0.0, &mut cv);
        Ok(())
    };
    if pairs.len() > 1 && m * n * k < SMALL_GEMM {
        out.par_chunks_mut(m * n).zip(pairs.par_iter()).try_for_each(|(c, &p)| one(c, p))?;
    } else {
        for (c, &p) in out.chunks_mut(m * n).zip(pairs) {
            one(c, p)?;
        }
    }
    Ok(out)
}

/// ONNX MatMul: `[..., m, k] · [..., k, n]` with broadcast batch axes; a
/// 1-D first operand is a row, a 1-D second operand a column, and the added
/// axis is removed from the result.
pub(crate) fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    let a = f32_of(a, "A")?;
    let b = f32_of(b, "B")?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(format!("matmul operands must have rank >= 1, found {:?} and {:?}", a.shape(), b.shape()));
    }
    let (a_vec, b_vec) = (a.ndim() == 1, b.ndim() == 1);
    let mut ash = a.shape().to_vec();
    if a_vec {
        ash.insert(0, 1);
    }
    let mut bsh = b.shape().to_vec();
    if b_vec {
        bsh.push(1);
    }
    let (m, k) = (ash[ash.len() - 2], ash[ash.len() - 1]);
    let (k2, n) = (bsh[bsh.len() - 2], bsh[bsh.len() - 1]);
    if k != k2 {
        return Err(format!("inner dimensions differ: {:?} · {:?}", a.shape(), b.shape()));
    }
    let a_batch = &ash[..ash.len() - 2];
    let b_batch = &bsh[..bsh.len() - 2];
    let batch = broadcast_sizes(a_batch, b_batch)?;
    checked_numel(&[numel(&batch), m, n])?;
    let xa = row_major(a);
    let xb = row_major(b);
    let am = Mats { data: &xa, transposed: false };
    let bm = Mats { data: &xb, transposed: false };
    let data = if numel(b_batch) == 1 {
        // One right-hand matrix: fold A's batch axes into its rows.
        batched_gemm(am, bm, numel(a_batch) * m, k, n, &[(0, 0)])?
    } else {
        let plan = Plan::new(&batch, [a_batch, b_batch])?;
        let mut pairs = Vec::with_capacity(numel(&batch));
        plan.for_each_row(|[oa, ob], len, [sa, sb]| pairs.extend((0..len).map(|j| (oa + j * sa, ob + j * sb))));
        batched_gemm(am, bm, m, k, n, &pairs)?
    };
    let mut shape = batch;
    if !a_vec {
        shape.push(m);
    }
    if !b_vec {
        shape.push(n);
    }
    Ok(Tensor::F32(from_vec(&shape, data)?))
}

/// ONNX Gemm: `alpha · op(A) · op(B) + beta · C`, C broadcast to `[m, n]`.
pub(crate) fn gemm(attrs: &Attrs, a: &Tensor, b: &Tensor, c: Option<&Tensor>) -> Result<Tensor, String> {
    let a = f32_of(a, "A")?;
    let b = f32_of(b, "B")?;
    let alpha = attrs.float_or("alpha", 1.0)?;
    let beta = attrs.float_or("beta", 1.0)?;
    let mut av = a.view().into_dimensionality::<Ix2>().map_err(|_| format!("A must be 2-D, found {:?}", a.shape()))?;
    let mut bv = b.view().into_dimensionality::<Ix2>().map_err(|_| format!("B must be 2-D, found {:?}", b.shape()))?;
    if attrs.int_or("transA", 0)? != 0 {
        av = av.reversed_axes();
    }
    if attrs.int_or("transB", 0)? != 0 {
        bv = bv.reversed_axes();
    }
    let ((m, k), (k2, n)) = (av.dim(), bv.dim());
    if k != k2 {
        return Err(format!("inner dimensions differ: op(A) is {m}x{k}, op(B) is {k2}x{n}"));
    }
    checked_numel(&[m, n])?;
    let mut out = match c {
        Some(c) if beta != 0.0 => {
            let c = f32_of(c, "C")?;
            if c.ndim() > 2 {
                return Err(format!("C must have rank <= 2, found {:?}", c.shape()));
            }
            let mut cb =
                broadcast_to(c, &[m, n]).map_err(|_| format!("C {:?} does not broadcast to [{m}, {n}]", c.shape()))?;
            if beta != 1.0 {
                cb.mapv_inplace(|v| v * beta);
            }
            cb
        }
        _ => ArrayD::zeros(IxDyn(&[m, n])),
    };
    {
        let mut ov = out.view_mut().into_dimensionality::<Ix2>().map_err(|e| e.to_string())?;
        if k > 0 {
            general_mat_mul(alpha, &av, &bv, 1.0, &mut ov);
        }
    }
    Ok(Tensor::F32(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2, arr3};
    use vitc_ir::Attr;

    fn f32s(t: &Tensor) -> Vec<f32> {
        t.as_f32().unwrap().iter().copied().collect()
    }

    #[test]
    fn two_by_two_product() {
        let a = Tensor::F32(arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn());
        let b = Tensor::F32(arr2(&[[5.0, 6.0], [7.0, 8.0]]).into_dyn());
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.dims(), &[2, 2]);
        assert_eq!(f32s(&c), vec![19.0, 22.0, 43.0, 50.0]);
    }

    #[test]
    fn vectors_drop_their_added_axis() {
        let v = Tensor::F32(arr1(&[1.0, 2.0]).into_dyn());
        let m = Tensor::F32(arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).into_dyn());
        let vm = matmul(&v, &m).unwrap();
        assert_eq!((vm.dims().to_vec(), f32s(&vm)), (vec![3], vec![9.0, 12.0, 15.0]));
        let w = Tensor::F32(arr1(&[1.0, 0.0, -1.0]).into_dyn());
        let mw = matmul(&m, &w).unwrap();
        assert_eq!((mw.dims().to_vec(), f32s(&mw)), (vec![2], vec![-2.0, -2.0]));
        let dot = matmul(&w, &w).unwrap();
        assert_eq!((dot.dims().to_vec(), f32s(&dot)), (vec![], vec![2.0]));
    }

    #[test]
    fn batch_axes_broadcast() {
        // A: [2,1,2,2] (two batches of identity-like), B: [3,2,1] (three columns).
        let a = Tensor::F32(
            ArrayD::from_shape_vec(IxDyn(&[2, 1, 2, 2]), vec![1.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 2.0]).unwrap(),
        );
        let b = Tensor::F32(arr3(&[[[1.0], [2.0]], [[3.0], [4.0]], [[5.0], [6.0]]]).into_dyn());
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.dims(), &[2, 3, 2, 1]);
        assert_eq!(f32s(&c), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    }

    #[test]
    fn gemm_with_transposes_and_bias() {
        // A^T = [[1,2],[3,4]] stored transposed; B^T = [[1,0],[0,1]]; C = [10, 20].
        let a = Tensor::F32(arr2(&[[1.0, 3.0], [2.0, 4.0]]).into_dyn());
        let b = Tensor::F32(arr2(&[[1.0, 0.0], [0.0, 1.0]]).into_dyn());
        let c = Tensor::F32(arr1(&[10.0, 20.0]).into_dyn());
        let attrs = Attrs::new()
            .with("transA", Attr::Int(1))
            .with("transB", Attr::Int(1))
            .with("alpha", Attr::Float(2.0))
            .with("beta", Attr::Float(0.5));
        let y = gemm(&attrs, &a, &b, Some(&c)).unwrap();
        assert_eq!(f32s(&y), vec![7.0, 14.0, 11.0, 18.0]);
    }
}
