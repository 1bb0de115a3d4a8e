//! ONNX Gather: picks slices along `axis` by (possibly negative) indices;
//! the output shape is `data[..axis] ++ indices ++ data[axis+1..]`.

use crate::args::{checked_numel, from_vec, int_values, numel, row_major};
use vitc_ir::geometry::normalize_axis;
use vitc_ir::{Attrs, Tensor, map_tensor};

pub(crate) fn gather(attrs: &Attrs, data: &Tensor, indices: &Tensor) -> Result<Tensor, String> {
    let dims = data.dims();
    let axis = normalize_axis(attrs.int_or("axis", 0)?, dims.len())?;
    let d = dims[axis];
    let idx: Vec<usize> = int_values(indices, "indices")?
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + d as i64 } else { i };
            usize::try_from(j)
                .ok()
                .filter(|&j| j < d)
                .ok_or_else(|| format!("index {i} is out of range for axis {axis} of size {d}"))
        })
        .collect::<Result<_, _>>()?;
    checked_numel(&[numel(&dims[..axis]), indices.len(), numel(&dims[axis + 1..])])?;
    let outer = numel(&dims[..axis]);
    let inner = numel(&dims[axis + 1..]);
    let mut shape = dims[..axis].to_vec();
    shape.extend_from_slice(indices.dims());
    shape.extend_from_slice(&dims[axis + 1..]);
    Ok(map_tensor!(data, a => {
        let x = row_major(a);
        let mut out = Vec::with_capacity(outer * idx.len() * inner);
        for o in 0..outer {
            for &i in &idx {
                let base = (o * d + i) * inner;
                out.extend_from_slice(&x[base..base + inner]);
            }
        }
        from_vec(&shape, out)?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::Attr;

    #[test]
    fn onnx_example_axis_0() {
        // data [[1.0,1.2],[2.3,3.4],[4.5,5.7]], indices [[0,1],[1,2]] -> [[[1.0,1.2],[2.3,3.4]],[[2.3,3.4],[4.5,5.7]]]
        let data = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![1.0, 1.2, 2.3, 3.4, 4.5, 5.7]).unwrap());
        let idx = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0, 1, 1, 2]).unwrap());
        let y = gather(&Attrs::new(), &data, &idx).unwrap();
        assert_eq!(y.dims(), &[2, 2, 2]);
        assert_eq!(
            y.to_f64_vec(),
            Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[8]), vec![1.0f32, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]).unwrap())
                .to_f64_vec()
        );
    }

    #[test]
    fn negative_indices_on_axis_1() {
        let data = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0, 1, 2, 3, 4, 5]).unwrap());
        let idx = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[]), vec![-1]).unwrap());
        let attrs = Attrs::new().with("axis", Attr::Int(1));
        let y = gather(&attrs, &data, &idx).unwrap();
        assert_eq!((y.dims().to_vec(), y.to_i64_vec()), (vec![2], vec![2, 5]));
        let bad = Tensor::i64_vec(&[3]);
        assert!(gather(&attrs, &data, &bad).is_err());
    }
}
