//! Rules for reductions.

use super::Operand;
use crate::attr::Attrs;
use crate::graph::ValueType;

pub fn reduce(_attrs: &Attrs, _operands: &[Option<Operand<'_>>]) -> Result<Vec<ValueType>, String> {
    Err("todo".into())
}
