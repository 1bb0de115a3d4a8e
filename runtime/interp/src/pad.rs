//! ONNX Pad: `pad(x, pads, value?, axes?)` in modes constant, reflect, edge
//! and wrap. Negative pads crop. Each axis gets a map from output index to
//! source index (or none, for the constant), and rows are copied through
//! the innermost map.

use crate::args::{
    MAX_ELEMENTS, checked_numel, from_vec, input, int_values, normalize_axes, optional_nonempty, row_major,
};
use vitc_ir::{Attrs, Tensor};

/// Where output index `o` of one axis reads from, for `size` input elements
/// and `begin` elements of padding (negative: cropping) before them.
fn source(o: usize, begin: i64, size: usize, mode: &str) -> Option<usize> {
    let n = size as i64;
    let p = o as i64 - begin;
    if (0..n).contains(&p) {
        return Some(p as usize);
    }
    if n == 0 {
        return None;
    }
    match mode {
        "edge" => Some(p.clamp(0, n - 1) as usize),
        "wrap" => Some(p.rem_euclid(n) as usize),
        "reflect" if n == 1 => Some(0),
        "reflect" => {
            let period = 2 * (n - 1);
            let q = p.rem_euclid(period);
            Some(if q < n { q } else { period - q } as usize)
        }
        _ => None,
    }
}

/// One axis of the padding: output size and source per output index.
struct AxisMap {
    size: usize,
    src: Vec<Option<usize>>,
}

pub(crate) fn pad(attrs: &Attrs, inputs: &[Option<&Tensor>]) -> Result<Tensor, String> {
    let x = input(inputs, 0, "data")?;
    let pads = int_values(input(inputs, 1, "pads")?, "pads")?;
    let mode = attrs.str_or("mode", "constant")?;
    if !matches!(mode, "constant" | "reflect" | "edge" | "wrap") {
        return Err(format!("pad mode '{mode}' is not one of constant, reflect, edge, wrap"));
    }
    let dims = x.dims();
    let rank = dims.len();
    let axes = match optional_nonempty(inputs, 3) {
        Some(t) => normalize_axes(&int_values(t, "axes")?, rank)?,
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(format!("pads {pads:?} must hold 2 values per padded axis ({} axes)", axes.len()));
    }
    let mut begin = vec![0i64; rank];
    let mut end = vec![0i64; rank];
    for (i, &a) in axes.iter().enumerate() {
        begin[a] = pads[i];
        end[a] = pads[axes.len() + i];
    }
    let mut maps = Vec::with_capacity(rank);
    for a in 0..rank {
        // Crop first (negative pads), then pad what is left.
        let size_of = |v: i64| usize::try_from(v).unwrap_or(usize::MAX);
        let crop_of = |v: i64| usize::try_from(v.min(0).unsigned_abs()).unwrap_or(usize::MAX);
        let (crop_b, crop_e) = (crop_of(begin[a]), crop_of(end[a]));
        let kept = dims[a]
            .checked_sub(crop_b.saturating_add(crop_e))
            .ok_or_else(|| format!("pads {pads:?} crop axis {a} below 0"))?;
        let (pb, pe) = (size_of(begin[a].max(0)), size_of(end[a].max(0)));
        if kept == 0 && mode != "constant" && pb + pe > 0 {
            return Err(format!("cannot pad an empty axis {a} in mode '{mode}'"));
        }
        let size = kept
            .checked_add(pb)
            .and_then(|s| s.checked_add(pe))
            .filter(|&s| s <= MAX_ELEMENTS)
            .ok_or_else(|| format!("pads {pads:?} make axis {a} too long"))?;
        let src = (0..size).map(|o| source(o, pb as i64, kept, mode).map(|s| s + crop_b)).collect();
        maps.push(AxisMap { size, src });
    }
    let shape: Vec<usize> = maps.iter().map(|m| m.size).collect();
    macro_rules! typed {
        ($variant:ident, $ty:ty, $a:expr) => {{
            let fill: $ty = match optional_nonempty(inputs, 2) {
                Some(Tensor::$variant(v)) => v.iter().next().copied().unwrap_or_default(),
                Some(other) => {
                    return Err(format!("constant_value must match the data dtype, found {}", other.dtype()));
                }
                None => <$ty>::default(),
            };
            Tensor::$variant(fill_padded(&row_major($a), dims, &maps, &shape, fill)?)
        }};
    }
    Ok(match x {
        Tensor::F32(a) => typed!(F32, f32, a),
        Tensor::I64(a) => typed!(I64, i64, a),
        Tensor::I32(a) => typed!(I32, i32, a),
        Tensor::Bool(a) => typed!(Bool, bool, a),
    })
}

fn fill_padded<T: Copy>(
    src: &[T],
    dims: &[usize],
    maps: &[AxisMap],
    shape: &[usize],
    fill: T,
) -> Result<ndarray::ArrayD<T>, String> {
    let total = checked_numel(shape)?;
    let mut out = Vec::with_capacity(total);
    if total == 0 {
        return from_vec(shape, out);
    }
    let rank = shape.len();
    if rank == 0 {
        out.push(src[0]);
        return from_vec(shape, out);
    }
    let mut strides = vec![1usize; rank];
    for a in (0..rank - 1).rev() {
        strides[a] = strides[a + 1] * dims[a + 1];
    }
    let last = &maps[rank - 1].src;
    let mut idx = vec![0usize; rank - 1];
    loop {
        let base: Option<usize> =
            idx.iter().enumerate().try_fold(0usize, |acc, (a, &o)| maps[a].src[o].map(|s| acc + s * strides[a]));
        match base {
            Some(b) => out.extend(last.iter().map(|s| s.map_or(fill, |s| src[b + s]))),
            None => out.extend(std::iter::repeat_n(fill, shape[rank - 1])),
        }
        let mut a = rank - 1;
        loop {
            if a == 0 {
                return from_vec(shape, out);
            }
            a -= 1;
            idx[a] += 1;
            if idx[a] < shape[a] {
                break;
            }
            idx[a] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use vitc_ir::Attr;

    fn onnx_data() -> Tensor {
        // ONNX Pad examples: [[1.0, 1.2], [2.3, 3.4], [4.5, 5.7]]
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![1.0, 1.2, 2.3, 3.4, 4.5, 5.7]).unwrap())
    }

    fn f32s(t: &Tensor) -> Vec<f32> {
        t.as_f32().unwrap().iter().copied().collect()
    }

    #[test]
    fn constant_pad_example() {
        // pads [0, 2, 0, 0] -> [[0,0,1.0,1.2],[0,0,2.3,3.4],[0,0,4.5,5.7]]
        let pads = Tensor::i64_vec(&[0, 2, 0, 0]);
        let y = pad(&Attrs::new(), &[Some(&onnx_data()), Some(&pads)]).unwrap();
        assert_eq!(y.dims(), &[3, 4]);
        assert_eq!(f32s(&y), vec![0., 0., 1.0, 1.2, 0., 0., 2.3, 3.4, 0., 0., 4.5, 5.7]);
    }

    #[test]
    fn reflect_and_edge_examples() {
        let pads = Tensor::i64_vec(&[0, 2, 0, 0]);
        let reflect = Attrs::new().with("mode", Attr::Str("reflect".into()));
        let y = pad(&reflect, &[Some(&onnx_data()), Some(&pads)]).unwrap();
        assert_eq!(f32s(&y), vec![1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]);
        let edge = Attrs::new().with("mode", Attr::Str("edge".into()));
        let y = pad(&edge, &[Some(&onnx_data()), Some(&pads)]).unwrap();
        assert_eq!(f32s(&y), vec![1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]);
        // 1-D reflect past one period: [1,2,3] padded 3 on the left -> [2,3,2,1,2,3]
        let x = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, 2, 3]).unwrap());
        let y = pad(&reflect, &[Some(&x), Some(&Tensor::i64_vec(&[3, 0]))]).unwrap();
        assert_eq!(y.to_i64_vec(), vec![2, 3, 2, 1, 2, 3]);
    }

    #[test]
    fn wrap_axes_value_and_crop() {
        let x = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1, 2, 3, 4, 5, 6]).unwrap());
        let wrap = Attrs::new().with("mode", Attr::Str("wrap".into()));
        let axes = Tensor::i64_vec(&[-1]);
        let y = pad(&wrap, &[Some(&x), Some(&Tensor::i64_vec(&[1, 1])), None, Some(&axes)]).unwrap();
        assert_eq!(y.to_i64_vec(), vec![3, 1, 2, 3, 1, 6, 4, 5, 6, 4]);
        let value = Tensor::I64(ArrayD::from_elem(IxDyn(&[]), 9));
        let y = pad(&Attrs::new(), &[Some(&x), Some(&Tensor::i64_vec(&[1, -1, 0, 0])), Some(&value)]).unwrap();
        assert_eq!((y.dims().to_vec(), y.to_i64_vec()), (vec![3, 2], vec![9, 9, 2, 3, 5, 6]));
    }
}
