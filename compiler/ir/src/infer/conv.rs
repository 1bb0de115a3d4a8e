//! Rules for convolutions and pools.

use super::Operand;
use crate::attr::Attrs;
use crate::graph::ValueType;

pub fn conv(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn conv_transpose(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn pool(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn global_pool(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
