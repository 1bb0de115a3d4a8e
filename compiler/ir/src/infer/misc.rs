//! Rules for shape-producing ops.

use super::Operand;
use crate::attr::Attrs;
use crate::graph::ValueType;

pub fn shape(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn range(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn constant_of_shape(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn resize(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
