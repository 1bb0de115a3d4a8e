//! Layout ops, which move elements without changing them: Reshape,
//! Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split and Expand.

use crate::args::{from_vec, int_values, normalize_axes, numel, row_major, to_owned_std};
use crate::broadcast::broadcast_to;
use ndarray::{ArrayD, IxDyn};
use vitc_ir::geometry::{broadcast_sizes, normalize_axis, normalize_axis_inclusive};
use vitc_ir::{Attrs, Tensor, map_tensor};

/// The same elements under a new shape.
fn with_shape(t: &Tensor, shape: &[usize]) -> Result<Tensor, String> {
    if numel(shape) != t.len() {
        return Err(format!("cannot view {:?} ({} elements) as {shape:?}", t.dims(), t.len()));
    }
    Ok(map_tensor!(t, a => from_vec(shape, row_major(a).into_owned())?))
}

/// ONNX Reshape: `0` copies the input's size on that axis (unless
/// `allowzero`), `-1` takes what is left.
pub(crate) fn reshape(attrs: &Attrs, data: &Tensor, shape: &Tensor) -> Result<Tensor, String> {
    let spec = int_values(shape, "shape")?;
    let allowzero = attrs.int_or("allowzero", 0)? != 0;
    let dims = data.dims();
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &s) in spec.iter().enumerate() {
        match s {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            -1 => return Err(format!("shape {spec:?} has more than one -1")),
            0 if !allowzero => out
                .push(*dims.get(i).ok_or_else(|| format!("shape {spec:?} copies axis {i} but the data is {dims:?}"))?),
            s if s >= 0 => out.push(s as usize),
            _ => return Err(format!("shape {spec:?} has a negative size other than -1")),
        }
    }
    if let Some(i) = infer {
        let known = numel(&out);
        if known == 0 || !data.len().is_multiple_of(known) {
            return Err(format!("cannot reshape {dims:?} ({} elements) to {spec:?}", data.len()));
        }
        out[i] = data.len() / known;
    }
    if numel(&out) != data.len() {
        return Err(format!("cannot reshape {dims:?} ({} elements) to {spec:?}", data.len()));
    }
    with_shape(data, &out)
}

/// ONNX Flatten: `[prod(d[..axis]), prod(d[axis..])]`.
pub(crate) fn flatten(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let dims = x.dims();
    let axis = normalize_axis_inclusive(attrs.int_or("axis", 1)?, dims.len())?;
    with_shape(x, &[numel(&dims[..axis]), numel(&dims[axis..])])
}

/// ONNX Transpose; without `perm` the axes are reversed.
pub(crate) fn transpose(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let rank = x.dims().len();
    let perm: Vec<usize> = match attrs.ints("perm")? {
        Some(p) => {
            let p = normalize_axes(p, rank)?;
            if p.len() != rank {
                return Err(format!("perm {p:?} does not list all {rank} axes"));
            }
            p
        }
        None => (0..rank).rev().collect(),
    };
    Ok(permute(x, &perm))
}

/// `x` with its axes permuted (`perm` must be a permutation), row-major.
pub(crate) fn permute(x: &Tensor, perm: &[usize]) -> Tensor {
    map_tensor!(x, a => to_owned_std(a.view().permuted_axes(IxDyn(perm))))
}

/// ONNX Squeeze: removes the listed size-1 axes, or every size-1 axis.
pub(crate) fn squeeze(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let dims = x.dims();
    let axes = match attrs.ints("axes")? {
        Some(a) => normalize_axes(a, dims.len())?,
        None => (0..dims.len()).filter(|&i| dims[i] == 1).collect(),
    };
    if let Some(&bad) = axes.iter().find(|&&a| dims[a] != 1) {
        return Err(format!("cannot squeeze axis {bad} of size {} in {dims:?}", dims[bad]));
    }
    let out: Vec<usize> = (0..dims.len()).filter(|i| !axes.contains(i)).map(|i| dims[i]).collect();
    with_shape(x, &out)
}

/// ONNX Unsqueeze: inserts size-1 axes at the listed output positions.
pub(crate) fn unsqueeze(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let axes = attrs.ints("axes")?.ok_or("attribute 'axes' is required")?;
    let rank = x.dims().len() + axes.len();
    let axes = normalize_axes(axes, rank)?;
    let mut src = x.dims().iter();
    let out: Vec<usize> =
        (0..rank).map(|i| if axes.contains(&i) { 1 } else { src.next().copied().unwrap_or(1) }).collect();
    with_shape(x, &out)
}

fn concat_typed<T: Clone>(arrays: &[&ArrayD<T>], axis: usize) -> Result<ArrayD<T>, String> {
    let first = arrays[0].shape();
    let mut shape = first.to_vec();
    shape[axis] = 0;
    for a in arrays {
        let s = a.shape();
        if s.len() != first.len() || (0..s.len()).any(|i| i != axis && s[i] != first[i]) {
            return Err(format!("cannot concatenate {first:?} and {s:?} on axis {axis}"));
        }
        shape[axis] += s[axis];
    }
    let outer = numel(&first[..axis]);
    let inner = numel(&first[axis + 1..]);
    let data: Vec<_> = arrays.iter().map(|a| row_major(a)).collect();
    let mut out = Vec::with_capacity(numel(&shape));
    for o in 0..outer {
        for (a, d) in arrays.iter().zip(&data) {
            let block = a.shape()[axis] * inner;
            out.extend_from_slice(&d[o * block..(o + 1) * block]);
        }
    }
    from_vec(&shape, out)
}

/// ONNX Concat along `axis`.
pub(crate) fn concat(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let tensors: Vec<&Tensor> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| t.ok_or_else(|| format!("operand {i} is absent")))
        .collect::<Result<_, _>>()?;
    let first = *tensors.first().ok_or("concat needs at least one operand")?;
    let axis = normalize_axis(attrs.int_or("axis", 0)?, first.dims().len())?;
    macro_rules! typed {
        ($variant:ident) => {{
            let arrays = tensors
                .iter()
                .map(|t| match t {
                    Tensor::$variant(a) => Ok(a),
                    other => Err(format!("operand dtypes differ: {} and {}", first.dtype(), other.dtype())),
                })
                .collect::<Result<Vec<_>, String>>()?;
            Tensor::$variant(concat_typed(&arrays, axis)?)
        }};
    }
    Ok(match first {
        Tensor::F32(_) => typed!(F32),
        Tensor::I64(_) => typed!(I64),
        Tensor::I32(_) => typed!(I32),
        Tensor::Bool(_) => typed!(Bool),
    })
}

/// ONNX Split along `axis`: by the `split` sizes, or into `n_outputs`
/// parts of `ceil(d / n)` (the last one smaller when not divisible).
pub(crate) fn split(attrs: &Attrs, x: &Tensor, n_outputs: usize) -> Result<Vec<Tensor>, String> {
    let dims = x.dims();
    let axis = normalize_axis(attrs.int_or("axis", 0)?, dims.len())?;
    let d = dims[axis];
    let sizes: Vec<usize> = match attrs.ints("split")? {
        Some(s) => {
            let s = crate::args::to_sizes(s, "split")?;
            if s.len() != n_outputs || s.iter().sum::<usize>() != d {
                return Err(format!("split {s:?} does not cut axis {axis} of size {d} into {n_outputs} parts"));
            }
            s
        }
        None => {
            if n_outputs == 0 {
                return Err("split needs at least one output".into());
            }
            let chunk = d.div_ceil(n_outputs);
            if chunk * (n_outputs - 1) > d {
                return Err(format!("axis {axis} of size {d} cannot be split into {n_outputs} parts"));
            }
            (0..n_outputs).map(|i| if i + 1 < n_outputs { chunk } else { d - chunk * (n_outputs - 1) }).collect()
        }
    };
    let outer = numel(&dims[..axis]);
    let inner = numel(&dims[axis + 1..]);
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for &len in &sizes {
        let mut shape = dims.to_vec();
        shape[axis] = len;
        parts.push(map_tensor!(x, a => {
            let data = row_major(a);
            let mut out = Vec::with_capacity(outer * len * inner);
            for o in 0..outer {
                let base = (o * d + start) * inner;
                out.extend_from_slice(&data[base..base + len * inner]);
            }
            from_vec(&shape, out)?
        }));
        start += len;
    }
    Ok(parts)
}

/// ONNX Expand: broadcast of the data and the requested shape.
pub(crate) fn expand(x: &Tensor, shape: &Tensor) -> Result<Tensor, String> {
    let spec = crate::args::to_sizes(&int_values(shape, "shape")?, "shape")?;
    let out = broadcast_sizes(x.dims(), &spec)?;
    Ok(map_tensor!(x, a => broadcast_to(a, &out)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitc_ir::Attr;

    fn iota(shape: &[usize]) -> Tensor {
        Tensor::I64(ArrayD::from_shape_vec(IxDyn(shape), (0..numel(shape) as i64).collect()).unwrap())
    }

    #[test]
    fn reshape_with_zero_and_minus_one() {
        let x = iota(&[2, 3, 4]);
        let y = reshape(&Attrs::new(), &x, &Tensor::i64_vec(&[0, -1])).unwrap();
        assert_eq!(y.dims(), &[2, 12]);
        let z = reshape(&Attrs::new(), &x, &Tensor::i64_vec(&[-1, 0, 2])).unwrap();
        assert_eq!(z.dims(), &[4, 3, 2]);
        assert_eq!(z.to_i64_vec(), x.to_i64_vec());
        assert!(reshape(&Attrs::new(), &x, &Tensor::i64_vec(&[5, -1])).is_err());
        let empty = iota(&[0, 3]);
        let allow = Attrs::new().with("allowzero", Attr::Int(1));
        assert_eq!(reshape(&allow, &empty, &Tensor::i64_vec(&[3, 0])).unwrap().dims(), &[3, 0]);
    }

    #[test]
    fn flatten_and_squeeze() {
        let x = iota(&[2, 1, 3, 1]);
        let f = flatten(&Attrs::new().with("axis", Attr::Int(-1)), &x).unwrap();
        assert_eq!(f.dims(), &[6, 1]);
        assert_eq!(squeeze(&Attrs::new(), &x).unwrap().dims(), &[2, 3]);
        let one = Attrs::new().with("axes", Attr::Ints(vec![-1]));
        assert_eq!(squeeze(&one, &x).unwrap().dims(), &[2, 1, 3]);
        let bad = Attrs::new().with("axes", Attr::Ints(vec![0]));
        assert!(squeeze(&bad, &x).is_err());
        let un = Attrs::new().with("axes", Attr::Ints(vec![0, -1]));
        assert_eq!(unsqueeze(&un, &iota(&[3])).unwrap().dims(), &[1, 3, 1]);
    }

    #[test]
    fn transpose_default_reverses() {
        let x = iota(&[2, 3]);
        let t = transpose(&Attrs::new(), &x).unwrap();
        assert_eq!(t.dims(), &[3, 2]);
        assert_eq!(t.to_i64_vec(), vec![0, 3, 1, 4, 2, 5]);
        let p = Attrs::new().with("perm", Attr::Ints(vec![1, 0, 2]));
        let y = transpose(&p, &iota(&[2, 2, 2])).unwrap();
        assert_eq!(y.to_i64_vec(), vec![0, 1, 4, 5, 2, 3, 6, 7]);
    }

    #[test]
    fn concat_on_inner_axis() {
        let a = iota(&[2, 1]);
        let b = iota(&[2, 2]);
        let c = concat(&Attrs::new().with("axis", Attr::Int(1)), &[Some(&a), Some(&b)]).unwrap();
        assert_eq!(c.dims(), &[2, 3]);
        assert_eq!(c.to_i64_vec(), vec![0, 0, 1, 1, 2, 3]);
    }

    #[test]
    fn split_equal_uneven_and_explicit() {
        let x = iota(&[7]);
        let parts = split(&Attrs::new(), &x, 3).unwrap();
        let got: Vec<Vec<i64>> = parts.iter().map(Tensor::to_i64_vec).collect();
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let m = iota(&[2, 4]);
        let attrs = Attrs::new().with("axis", Attr::Int(1)).with("split", Attr::Ints(vec![1, 3]));
        let parts = split(&attrs, &m, 2).unwrap();
        assert_eq!(parts[0].to_i64_vec(), vec![0, 4]);
        assert_eq!(parts[1].to_i64_vec(), vec![1, 2, 3, 5, 6, 7]);
    }

    #[test]
    fn expand_is_bidirectional() {
        let x = iota(&[3, 1]);
        let y = expand(&x, &Tensor::i64_vec(&[2, 1, 2])).unwrap();
        assert_eq!(y.dims(), &[2, 3, 2]);
        assert_eq!(y.to_i64_vec(), vec![0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
    }
}
