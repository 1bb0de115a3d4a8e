//! Element-wise rules: unary ops, broadcast binary ops, `where`, and ops whose
//! output has the type of their first operand.

use super::{Operand, required};
use crate::attr::Attrs;
use crate::dtype::DType;
use crate::geometry::broadcast_shapes;
use crate::graph::ValueType;
use crate::op::OpKind;

pub fn unary(op: OpKind, attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    let dtype = if op == OpKind::Cast {
        let to = attrs.str_or("to", "")?;
        DType::from_name(to).ok_or_else(|| format!("cast target '{to}' is not a supported dtype"))?
    } else if matches!(op, OpKind::IsNaN | OpKind::IsInf) {
        DType::Bool
    } else {
        x.ty.dtype
    };
    Ok(vec![ValueType::new(dtype, x.ty.shape.clone())])
}

pub fn binary(op: OpKind, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let a = required(operands, 0)?;
    let b = required(operands, 1)?;
    if a.ty.dtype != b.ty.dtype && op != OpKind::Pow {
        return Err(format!("operand dtypes differ: {} and {}", a.ty.dtype, b.ty.dtype));
    }
    let shape = broadcast_shapes(&a.ty.shape, &b.ty.shape)?;
    let dtype = if matches!(op, OpKind::Equal | OpKind::Less | OpKind::Greater) { DType::Bool } else { a.ty.dtype };
    Ok(vec![ValueType::new(dtype, shape)])
}

pub fn where_(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let c = required(operands, 0)?;
    let a = required(operands, 1)?;
    let b = required(operands, 2)?;
    if c.ty.dtype != DType::Bool {
        return Err(format!("condition must be bool, found {}", c.ty.dtype));
    }
    if a.ty.dtype != b.ty.dtype {
        return Err(format!("branch dtypes differ: {} and {}", a.ty.dtype, b.ty.dtype));
    }
    let shape = broadcast_shapes(&broadcast_shapes(&c.ty.shape, &a.ty.shape)?, &b.ty.shape)?;
    Ok(vec![ValueType::new(a.ty.dtype, shape)])
}

/// Softmax: the input's type; `axis` (default −1) must name one of its axes.
pub fn softmax(attrs: &Attrs, operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    crate::geometry::normalize_axis(attrs.int_or("axis", -1)?, x.ty.rank())?;
    Ok(vec![x.ty.clone()])
}

pub fn same_as_first(operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    let x = required(operands, 0)?;
    Ok(vec![x.ty.clone()])
}
