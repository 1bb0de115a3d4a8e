//! Ops that make tensors from shapes and scalars: Shape (with `start` /
//! `end`), Range and ConstantOfShape.

use crate::args::{checked_numel, from_vec, int_values, scalar_f64, to_sizes};
use ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Tensor};

/// ONNX Shape: the input's dims `[start, end)` as i64.
pub(crate) fn shape(attrs: &Attrs, x: &Tensor) -> Result<Tensor, String> {
    let dims = x.dims();
    let rank = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v.saturating_add(rank) } else { v }).clamp(0, rank) as usize;
    let start = clamp(attrs.int_or("start", 0)?);
    let end = clamp(attrs.int_or("end", rank)?);
    let values: Vec<i64> = if start < end { dims[start..end].iter().map(|&d| d as i64).collect() } else { vec![] };
    Ok(Tensor::i64_vec(&values))
}

/// ONNX Range: `start + i * delta` for `i` in `0..max(ceil((limit - start) / delta), 0)`.
pub(crate) fn range(start: &Tensor, limit: &Tensor, delta: &Tensor) -> Result<Tensor, String> {
    if start.dtype() != limit.dtype() || start.dtype() != delta.dtype() {
        return Err(format!(
            "start, limit and delta must share a dtype, found {}, {}, {}",
            start.dtype(),
            limit.dtype(),
            delta.dtype()
        ));
    }
    match start.dtype() {
        DType::F32 => {
            let (s, l, d) = (scalar_f64(start, "start")?, scalar_f64(limit, "limit")?, scalar_f64(delta, "delta")?);
            if d == 0.0 {
                return Err("delta must not be 0".into());
            }
            let n = ((l - s) / d).ceil().max(0.0);
            if n.is_nan() || n > crate::args::MAX_ELEMENTS as f64 {
                return Err(format!("range({s}, {l}, {d}) is too long"));
            }
            let n = n as usize;
            let values: Vec<f32> = (0..n).map(|i| (s + i as f64 * d) as f32).collect();
            Ok(Tensor::F32(from_vec(&[n], values)?))
        }
        DType::I64 | DType::I32 => {
            let one = |t: &Tensor, what: &str| -> Result<i128, String> {
                let v = int_values(t, what)?;
                if v.len() != 1 {
                    return Err(format!("{what} must hold one element, found shape {:?}", t.dims()));
                }
                Ok(i128::from(v[0]))
            };
            let (s, l, d) = (one(start, "start")?, one(limit, "limit")?, one(delta, "delta")?);
            if d == 0 {
                return Err("delta must not be 0".into());
            }
            let span = l - s;
            let n = if (span > 0 && d > 0) || (span < 0 && d < 0) { (span.abs() - 1) / d.abs() + 1 } else { 0 };
            let n = usize::try_from(n)
                .ok()
                .filter(|&n| n <= crate::args::MAX_ELEMENTS)
                .ok_or_else(|| "range is too long".to_string())?;
            let values = (0..n as i128).map(|i| s + i * d);
            Ok(if start.dtype() == DType::I64 {
                Tensor::I64(from_vec(&[n], values.map(|v| v as i64).collect())?)
            } else {
                Tensor::I32(from_vec(&[n], values.map(|v| v as i32).collect())?)
            })
        }
        DType::Bool => Err("range is not defined on bool".into()),
    }
}

/// ONNX ConstantOfShape: a tensor of `shape` filled with the `value`
/// attribute (default 0) in the `dtype` attribute (default f32).
pub(crate) fn constant_of_shape(attrs: &Attrs, shape: &Tensor) -> Result<Tensor, String> {
    let dims = to_sizes(&int_values(shape, "shape")?, "shape")?;
    checked_numel(&dims)?;
    let dtype_name = attrs.str_or("dtype", "f32")?;
    let dtype = DType::from_name(dtype_name).ok_or_else(|| format!("dtype '{dtype_name}' is not supported"))?;
    let value = match attrs.get("value") {
        None => 0.0,
        Some(Attr::Float(v)) => f64::from(*v),
        Some(Attr::Int(v)) => *v as f64,
        Some(Attr::Floats(v)) if v.len() == 1 => f64::from(v[0]),
        Some(Attr::Ints(v)) if v.len() == 1 => v[0] as f64,
        Some(other) => return Err(format!("attribute 'value' must be one number, found {other}")),
    };
    let int_value = match attrs.get("value") {
        Some(Attr::Int(v)) => *v,
        Some(Attr::Ints(v)) if v.len() == 1 => v[0],
        _ => value as i64,
    };
    let shape = IxDyn(&dims);
    Ok(match dtype {
        DType::F32 => Tensor::F32(ArrayD::from_elem(shape, value as f32)),
        DType::I64 => Tensor::I64(ArrayD::from_elem(shape, int_value)),
        DType::I32 => Tensor::I32(ArrayD::from_elem(shape, int_value as i32)),
        DType::Bool => Tensor::Bool(ArrayD::from_elem(shape, value != 0.0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_with_start_and_end() {
        let x = Tensor::zeros(DType::F32, &[2, 3, 4, 5]);
        assert_eq!(shape(&Attrs::new(), &x).unwrap().to_i64_vec(), vec![2, 3, 4, 5]);
        let attrs = Attrs::new().with("start", Attr::Int(1)).with("end", Attr::Int(-1));
        assert_eq!(shape(&attrs, &x).unwrap().to_i64_vec(), vec![3, 4]);
        let past = Attrs::new().with("start", Attr::Int(10));
        assert_eq!(shape(&past, &x).unwrap().to_i64_vec(), Vec::<i64>::new());
    }

    #[test]
    fn range_examples_from_the_spec() {
        // start 3, limit 9, delta 3 -> [3, 6]; start 10, limit 4, delta -2 -> [10, 8, 6]
        let t = |v: i64| Tensor::I64(ArrayD::from_elem(IxDyn(&[]), v));
        assert_eq!(range(&t(3), &t(9), &t(3)).unwrap().to_i64_vec(), vec![3, 6]);
        assert_eq!(range(&t(10), &t(4), &t(-2)).unwrap().to_i64_vec(), vec![10, 8, 6]);
        assert_eq!(range(&t(1), &t(1), &t(1)).unwrap().dims(), &[0]);
        let f = |v: f32| Tensor::f32_scalar(v);
        assert_eq!(range(&f(0.0), &f(1.0), &f(0.25)).unwrap().to_f64_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    }

    #[test]
    fn constant_of_shape_fills() {
        let attrs = Attrs::new().with("value", Attr::Int(7)).with("dtype", Attr::Str("i64".into()));
        let t = constant_of_shape(&attrs, &Tensor::i64_vec(&[2, 2])).unwrap();
        assert_eq!(t.to_i64_vec(), vec![7; 4]);
        let z = constant_of_shape(&Attrs::new(), &Tensor::i64_vec(&[3])).unwrap();
        assert_eq!((z.dtype(), z.to_f64_vec()), (DType::F32, vec![0.0; 3]));
    }
}
