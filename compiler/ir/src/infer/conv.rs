//! Rules for convolutions and pools (geometry from [`crate::geometry`]).

use super::{Operand, required};
use crate::attr::Attrs;
use crate::dim::{Dim, known_shape};
use crate::dtype::DType;
use crate::geometry::{TransposedWindow, Window};
use crate::graph::ValueType;

fn spatial_sizes(x: &Operand<'_>) -> Result<Vec<usize>, String> {
    if x.ty.rank() < 3 {
        return Err(format!("input must be N×C×spatial (rank ≥ 3), found {}", x.ty));
    }
    x.ty.shape[2..]
        .iter()
        .map(|d| d.known().ok_or_else(|| format!("spatial sizes must be static, found {}", x.ty)))
        .collect()
}

/// The input and weights must be floats (ONNX `T`; f32 is the one float
/// type of the IR).
fn same_float(x: &Operand<'_>, w: &Operand<'_>) -> Result<(), String> {
    if x.ty.dtype != DType::F32 || w.ty.dtype != DType::F32 {
        return Err(format!("input is {} and weights are {}; both must be f32", x.ty.dtype, w.ty.dtype));
    }
    Ok(())
}

fn kernel_sizes(w: &Operand<'_>) -> Result<Vec<usize>, String> {
    w.ty.shape[2..].iter().map(|d| d.known().ok_or_else(|| "kernel sizes must be static".to_string())).collect()
}

pub fn conv(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let w = required(operands, 1)?;
    same_float(x, w)?;
    let input = spatial_sizes(x)?;
    if w.ty.rank() != x.ty.rank() {
        return Err(format!("weight {} and input {} differ in rank", w.ty, x.ty));
    }
    let kernel = kernel_sizes(w)?;
    let group = attrs.int_or("group", 1)?;
    if group < 1 {
        return Err(format!("group must be ≥ 1, found {group}"));
    }
    if let (Some(c), Some(wc)) = (x.ty.shape[1].known(), w.ty.shape[1].known())
        && c != wc * group as usize
    {
        return Err(format!(
            "input has {c} channels but weight {} with group {group} expects {}",
            w.ty,
            wc * group as usize
        ));
    }
    let window = Window::from_attrs(attrs, &input, &kernel)?;
    let mut out = vec![x.ty.shape[0].clone(), w.ty.shape[0].clone()];
    out.extend(known_shape(&window.output_sizes(&input)?));
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}

pub fn conv_transpose(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let w = required(operands, 1)?;
    same_float(x, w)?;
    let input = spatial_sizes(x)?;
    let kernel = kernel_sizes(w)?;
    let group = attrs.int_or("group", 1)?;
    let out_channels = w.ty.shape[1].mul(&Dim::Known(group.max(1) as usize)).ok_or("weight shape must be static")?;
    let t = TransposedWindow::from_attrs(attrs, &input, &kernel)?;
    let mut out = vec![x.ty.shape[0].clone(), out_channels];
    out.extend(known_shape(&t.output));
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}

pub fn pool(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let input = spatial_sizes(x)?;
    let kernel: Vec<usize> = attrs
        .ints("kernel_shape")?
        .ok_or("attribute 'kernel_shape' is required")?
        .iter()
        .map(|&k| usize::try_from(k).map_err(|_| format!("kernel size {k} is negative")))
        .collect::<Result<_, _>>()?;
    let window = Window::from_attrs(attrs, &input, &kernel)?;
    let mut out = x.ty.shape[..2].to_vec();
    out.extend(known_shape(&window.output_sizes(&input)?));
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}

pub fn global_pool(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    if x.ty.rank() < 3 {
        return Err(format!("input must be N×C×spatial, found {}", x.ty));
    }
    let mut out = x.ty.shape[..2].to_vec();
    out.extend(std::iter::repeat_n(Dim::Known(1), x.ty.rank() - 2));
    Ok(vec![ValueType::new(x.ty.dtype, out)])
}
