//! Rules for `matmul`, `gemm` and `einsum`.

use super::Operand;
use crate::attr::Attrs;
use crate::graph::ValueType;

pub fn matmul(_operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn gemm(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
pub fn einsum(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
