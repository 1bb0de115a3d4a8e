//! Shape arithmetic shared by shape inference and every executor:
//! broadcasting, axis normalisation, and the sliding-window geometry of
//! convolutions and pools (explicit pads and `auto_pad`).

use crate::attr::Attrs;
use crate::dim::{Dim, Shape};

/// Numpy-style broadcast of two shapes.
pub fn broadcast_shapes(a: &[Dim], b: &[Dim]) -> Result<Shape, String> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let da = if i + a.len() >= rank { Some(&a[i + a.len() - rank]) } else { None };
        let db = if i + b.len() >= rank { Some(&b[i + b.len() - rank]) } else { None };
        let d = match (da, db) {
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (Some(x), Some(y)) if x == y => x.clone(),
            (Some(Dim::Known(1)), Some(y)) => y.clone(),
            (Some(x), Some(Dim::Known(1))) => x.clone(),
            (Some(x), Some(y)) => {
                return Err(format!(
                    "shapes {} and {} do not broadcast (axis {i}: {x} vs {y})",
                    crate::dim::format_shape(a),
                    crate::dim::format_shape(b)
                ));
            }
            (None, None) => unreachable!("i < rank"),
        };
        out.push(d);
    }
    Ok(out)
}

/// Broadcast of known sizes.
pub fn broadcast_sizes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let shape = broadcast_shapes(&crate::dim::known_shape(a), &crate::dim::known_shape(b))?;
    Ok(crate::dim::shape_sizes(&shape).unwrap_or_default())
}

/// Maps a possibly negative axis into `0..rank`.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) { Ok(a as usize) } else { Err(format!("axis {axis} is out of range for rank {rank}")) }
}

/// Like [`normalize_axis`] but allows `rank` itself (Flatten's axis, in
/// `[-rank, rank]`, negative counting from the end).
pub fn normalize_axis_inclusive(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..=r).contains(&a) { Ok(a as usize) } else { Err(format!("axis {axis} is out of range for rank {rank}")) }
}

/// The geometry of a sliding window over the spatial axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// Padding before each spatial axis.
    pub pads_begin: Vec<usize>,
    /// Padding after each spatial axis.
    pub pads_end: Vec<usize>,
    /// Pools only: round the output size up.
    pub ceil_mode: bool,
}

fn usize_list(attrs: &Attrs, name: &str, n: usize, default: usize) -> Result<Vec<usize>, String> {
    match attrs.ints(name)? {
        None => Ok(vec![default; n]),
        Some(v) if v.len() == n && v.iter().all(|&x| x >= 0) => {
            for &x in v {
                crate::limits::check_window_value(&format!("attribute '{name}' value"), x)?;
            }
            Ok(v.iter().map(|&x| x as usize).collect())
        }
        Some(v) => Err(format!("attribute '{name}' must hold {n} non-negative values, found {v:?}")),
    }
}

impl Window {
    /// Reads `strides`, `dilations`, `pads`, `auto_pad`, `ceil_mode` for a
    /// window of `kernel` over `input` (spatial sizes only).
    pub fn from_attrs(attrs: &Attrs, input: &[usize], kernel: &[usize]) -> Result<Window, String> {
        let n = kernel.len();
        if input.len() != n {
            return Err(format!("kernel has {n} spatial axes but the input has {}", input.len()));
        }
        let strides = usize_list(attrs, "strides", n, 1)?;
        let dilations = usize_list(attrs, "dilations", n, 1)?;
        if strides.contains(&0) || dilations.contains(&0) {
            return Err("strides and dilations must be positive".into());
        }
        if kernel.contains(&0) {
            return Err(format!("kernel {kernel:?} has an empty axis"));
        }
        for &k in kernel {
            crate::limits::check_window_value("kernel size", k as i64)?;
        }
        let ceil_mode = attrs.int_or("ceil_mode", 0)? != 0;
        let auto_pad = attrs.str_or("auto_pad", "NOTSET")?;
        let (pads_begin, pads_end) = match auto_pad {
            "NOTSET" => {
                let pads = usize_list(attrs, "pads", 2 * n, 0)?;
                (pads[..n].to_vec(), pads[n..].to_vec())
            }
            "VALID" => (vec![0; n], vec![0; n]),
            "SAME_UPPER" | "SAME_LOWER" => {
                let mut begin = Vec::with_capacity(n);
                let mut end = Vec::with_capacity(n);
                for (((&size, &stride), &k), &dilation) in input.iter().zip(&strides).zip(kernel).zip(&dilations) {
                    let out = size.div_ceil(stride);
                    let span = (k - 1).checked_mul(dilation).ok_or("dilated kernel extent overflows")? + 1;
                    let total = out
                        .saturating_sub(1)
                        .checked_mul(stride)
                        .and_then(|v| v.checked_add(span))
                        .ok_or("padding overflows")?
                        .saturating_sub(size);
                    let small = total / 2;
                    let (b, e) = if auto_pad == "SAME_UPPER" { (small, total - small) } else { (total - small, small) };
                    begin.push(b);
                    end.push(e);
                }
                (begin, end)
            }
            other => return Err(format!("auto_pad '{other}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")),
        };
        Ok(Window { kernel: kernel.to_vec(), strides, dilations, pads_begin, pads_end, ceil_mode })
    }

    /// Output spatial sizes for `input` spatial sizes.
    pub fn output_sizes(&self, input: &[usize]) -> Result<Vec<usize>, String> {
        let mut out = Vec::with_capacity(input.len());
        for (i, &size) in input.iter().enumerate() {
            let overflow = || format!("window arithmetic overflows on spatial axis {i}");
            let padded = size
                .checked_add(self.pads_begin[i])
                .and_then(|v| v.checked_add(self.pads_end[i]))
                .ok_or_else(overflow)?;
            let span =
                self.kernel[i].checked_sub(1).and_then(|k| k.checked_mul(self.dilations[i])).ok_or_else(overflow)? + 1;
            if padded < span {
                return Err(format!(
                    "window of extent {span} does not fit in padded size {padded} on spatial axis {i}"
                ));
            }
            let steps = padded - span;
            let mut o = if self.ceil_mode { steps.div_ceil(self.strides[i]) + 1 } else { steps / self.strides[i] + 1 };
            // ONNX: with ceil_mode the last window must start inside the input or left padding.
            if self.ceil_mode && (o - 1) * self.strides[i] >= size + self.pads_begin[i] {
                o -= 1;
            }
            out.push(o);
        }
        Ok(out)
    }
}

/// Geometry of a transposed convolution: the window plus output padding,
/// with the output sizes resolved (from `output_shape` when given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransposedWindow {
    pub window: Window,
    pub output: Vec<usize>,
}

impl TransposedWindow {
    pub fn from_attrs(attrs: &Attrs, input: &[usize], kernel: &[usize]) -> Result<TransposedWindow, String> {
        let n = kernel.len();
        let strides = usize_list(attrs, "strides", n, 1)?;
        let dilations = usize_list(attrs, "dilations", n, 1)?;
        let output_padding = usize_list(attrs, "output_padding", n, 0)?;
        if strides.contains(&0) || dilations.contains(&0) || kernel.contains(&0) || input.contains(&0) {
            return Err("transposed convolution needs positive strides, dilations, kernel and input sizes".into());
        }
        if input.len() != n {
            return Err(format!("kernel has {n} spatial axes but the input has {}", input.len()));
        }
        for &k in kernel {
            crate::limits::check_window_value("kernel size", k as i64)?;
        }
        let auto_pad = attrs.str_or("auto_pad", "NOTSET")?;
        let full: Vec<usize> = (0..n)
            .map(|i| {
                let grown = strides[i].checked_mul(input[i] - 1)?.checked_add(output_padding[i])?;
                grown.checked_add((kernel[i] - 1).checked_mul(dilations[i])?)?.checked_add(1)
            })
            .collect::<Option<_>>()
            .ok_or("transposed output size overflows")?;
        let output_shape = attrs.ints("output_shape")?;
        let explicit_pads = attrs.ints("pads")?.is_some() && auto_pad == "NOTSET";
        let (pads_begin, pads_end, output) = match output_shape {
            Some(v) if v.len() < n => {
                return Err(format!("output_shape {v:?} has fewer values than the {n} spatial axes"));
            }
            Some(v) if explicit_pads => {
                // Explicit pads win; output_shape only sets the output size.
                let pads = usize_list(attrs, "pads", 2 * n, 0)?;
                let target: Vec<usize> = v[v.len().saturating_sub(n)..].iter().map(|&x| x.max(0) as usize).collect();
                (pads[..n].to_vec(), pads[n..].to_vec(), target)
            }
            _ if output_shape.is_some() || matches!(auto_pad, "SAME_UPPER" | "SAME_LOWER") => {
                let target: Vec<usize> = match output_shape {
                    Some(v) => v[v.len().saturating_sub(n)..].iter().map(|&x| x.max(0) as usize).collect(),
                    None => (0..n).map(|i| input[i] * strides[i]).collect(),
                };
                let mut b = vec![0; n];
                let mut e = vec![0; n];
                for i in 0..n {
                    // ONNX: the larger half goes before, except for SAME_UPPER. A
                    // negative total (output larger than the full result) leaves
                    // zeros at the end.
                    let total = full[i] as i64 - target[i] as i64;
                    let half = total.div_euclid(2);
                    let (begin, end) =
                        if auto_pad == "SAME_UPPER" { (half, total - half) } else { (total - half, half) };
                    b[i] = usize::try_from(begin)
                        .map_err(|_| "output_shape needs negative leading padding".to_string())?;
                    e[i] = end.max(0) as usize;
                }
                (b, e, target)
            }
            _ => {
                let pads = if auto_pad == "VALID" { vec![0; 2 * n] } else { usize_list(attrs, "pads", 2 * n, 0)? };
                let output: Result<Vec<usize>, String> = (0..n)
                    .map(|i| {
                        full[i]
                            .checked_sub(pads[i] + pads[n + i])
                            .ok_or_else(|| "pads exceed the transposed output".to_string())
                    })
                    .collect();
                (pads[..n].to_vec(), pads[n..].to_vec(), output?)
            }
        };
        Ok(TransposedWindow {
            window: Window { kernel: kernel.to_vec(), strides, dilations, pads_begin, pads_end, ceil_mode: false },
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Attr;

    #[test]
    fn broadcasting_follows_numpy() {
        let a = crate::dim::known_shape(&[4, 1, 3]);
        let b = crate::dim::known_shape(&[5, 1]);
        assert_eq!(broadcast_shapes(&a, &b).unwrap(), crate::dim::known_shape(&[4, 5, 3]));
        assert!(broadcast_shapes(&a, &crate::dim::known_shape(&[2])).is_err());
    }

    #[test]
    fn same_upper_pads_keep_the_size_over_stride() {
        let attrs =
            Attrs::new().with("auto_pad", Attr::Str("SAME_UPPER".into())).with("strides", Attr::Ints(vec![2, 2]));
        let w = Window::from_attrs(&attrs, &[5, 5], &[3, 3]).unwrap();
        assert_eq!(w.output_sizes(&[5, 5]).unwrap(), vec![3, 3]);
        assert_eq!((w.pads_begin.clone(), w.pads_end.clone()), (vec![1, 1], vec![1, 1]));
    }

    #[test]
    fn levit_stem_conv_halves_the_image() {
        let attrs = Attrs::new().with("strides", Attr::Ints(vec![2, 2])).with("pads", Attr::Ints(vec![1, 1, 1, 1]));
        let w = Window::from_attrs(&attrs, &[224, 224], &[3, 3]).unwrap();
        assert_eq!(w.output_sizes(&[224, 224]).unwrap(), vec![112, 112]);
    }

    #[test]
    fn transposed_conv_doubles_with_output_padding() {
        let attrs = Attrs::new()
            .with("strides", Attr::Ints(vec![2, 2]))
            .with("pads", Attr::Ints(vec![1, 1, 1, 1]))
            .with("output_padding", Attr::Ints(vec![1, 1]));
        let t = TransposedWindow::from_attrs(&attrs, &[28, 28], &[3, 3]).unwrap();
        assert_eq!(t.output, vec![56, 56]);
    }
}
