//! Rules for layout ops.

use super::Operand;
use crate::attr::Attrs;
use crate::graph::ValueType;

pub fn reshape(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn flatten(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn transpose(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn squeeze(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn unsqueeze(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn concat(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn split(_attrs: &Attrs, _operands: &[Option<Operand<'_>>], _n: usize) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn slice(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn gather(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn expand(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn pad(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
