//! Rules for `shape`, `range`, `constant_of_shape` and `resize`.

use super::{Operand, optional, required};
use crate::attr::{Attr, Attrs};
use crate::dim::{Dim, Shape};
use crate::dtype::DType;
use crate::graph::ValueType;

pub fn shape(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let rank = x.ty.rank() as i64;
    let clamp = |a: i64| (if a < 0 { a + rank } else { a }).clamp(0, rank);
    let start = clamp(attrs.int_or("start", 0)?);
    let end = clamp(attrs.int_or("end", rank)?);
    Ok(vec![ValueType::new(DType::I64, vec![Dim::Known((end - start).max(0) as usize)])])
}

pub fn range(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let start = required(operands, 0)?;
    let dtype = start.ty.dtype;
    let value = |i: usize| -> Result<f64, String> {
        let o = required(operands, i)?;
        match o.value {
            Some(t) => t.to_f64_vec().first().copied().ok_or_else(|| "range operand is empty".to_string()),
            None => o
                .known_ints("range operands")?
                .first()
                .map(|&v| v as f64)
                .ok_or_else(|| "range operand is empty".into()),
        }
    };
    let (s, l, d) = (value(0)?, value(1)?, value(2)?);
    if d == 0.0 {
        return Err("range delta must not be 0".into());
    }
    let n = ((l - s) / d).ceil().max(0.0) as usize;
    Ok(vec![ValueType::new(dtype, vec![Dim::Known(n)])])
}

pub fn constant_of_shape(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let dims: Shape = required(operands, 0)?
        .int_values("the shape")?
        .iter()
        .map(|v| v.to_dim().ok_or_else(|| format!("invalid dim {v}")))
        .collect::<Result<_, _>>()?;
    let dtype = match attrs.get("dtype") {
        Some(Attr::Str(s)) => DType::from_name(s).ok_or_else(|| format!("unsupported dtype '{s}'"))?,
        _ => DType::F32,
    };
    Ok(vec![ValueType::new(dtype, dims)])
}

pub fn resize(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let rank = x.ty.rank();
    let axes: Vec<usize> = match attrs.ints("axes")? {
        Some(a) => a.iter().map(|&v| crate::geometry::normalize_axis(v, rank)).collect::<Result<_, _>>()?,
        None => (0..rank).collect(),
    };
    let in_size = |a: usize| x.ty.shape[a].known().ok_or_else(|| format!("axis {a} is symbolic and cannot be resized"));
    let mut out = x.ty.shape.clone();
    if let Some(sizes) = optional(operands, 3).filter(|o| o.ty.shape != [Dim::Known(0)]) {
        let sizes = sizes.known_ints("resize sizes")?;
        if sizes.len() != axes.len() {
            return Err(format!("sizes has {} values for {} axes", sizes.len(), axes.len()));
        }
        let policy = attrs.str_or("keep_aspect_ratio_policy", "stretch")?;
        if policy == "stretch" {
            for (&a, &s) in axes.iter().zip(&sizes) {
                out[a] = Dim::Known(usize::try_from(s).map_err(|_| "negative resize size")?);
            }
        } else {
            let ratios: Vec<f64> = axes
                .iter()
                .zip(&sizes)
                .map(|(&a, &s)| Ok(s as f64 / in_size(a)? as f64))
                .collect::<Result<_, String>>()?;
            let scale = match policy {
                "not_larger" => ratios.iter().copied().fold(f64::INFINITY, f64::min),
                "not_smaller" => ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                other => {
                    return Err(format!(
                        "keep_aspect_ratio_policy '{other}' is not stretch, not_larger or not_smaller"
                    ));
                }
            };
            for &a in &axes {
                out[a] = Dim::Known((scale * in_size(a)? as f64 + 0.5) as usize);
            }
        }
    } else if let Some(scales) = optional(operands, 2) {
        let t = scales.value.ok_or("resize scales must be constant")?;
        let scales = t.to_f64_vec();
        if scales.len() != axes.len() {
            return Err(format!("scales has {} values for {} axes", scales.len(), axes.len()));
        }
        for (&a, s) in axes.iter().zip(scales) {
            if s != 1.0 {
                out[a] = Dim::Known((in_size(a)? as f64 * s).floor() as usize);
            }
        }
    } else {
        return Err("resize needs scales or sizes".into());
    }
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}
